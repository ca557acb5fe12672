"""The ``hogfer`` command line: parse, call the library, print.

Heavy libraries (Keras, TensorFlow, dlib, OpenCV) are imported inside the
commands that use them, so ``hogfer --help`` answers instantly.
"""

import logging
import sys

import click

from ._version import __version__
from .exceptions import HogferError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

data_option = click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=str),
    default=None,
    help="FER2013 CSV (.csv or .csv.gz) or image folder; default: $HOGFER_DATA.",
)
classes_option = click.option(
    "--classes",
    type=click.Choice(["fer7", "fer6-merge", "fer6-drop"]),
    default="fer7",
    show_default=True,
    help="Label scheme: 7 classes, Disgust merged into Angry, or Disgust dropped.",
)


class _Group(click.Group):
    """A group that turns hogfer's input errors into one line and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HogferError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="hogfer")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose):
    """hogfer: facial expression recognition on FER2013."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")


@cli.group(cls=_Group)
def data():
    """Inspect a FER2013 copy."""


@data.command("info")
@data_option
@classes_option
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Also write a bar chart (PNG).")
def data_info(data_path, classes, plot):
    """Print the class distribution per usage."""
    from ._table import markdown_table
    from .datasets import load_fer2013

    dataset = load_fer2013(data_path, classes=classes)
    counts = dataset.class_counts()
    rows = [[usage, *c.tolist(), int(c.sum())] for usage, c in counts.items()]
    total = sum(counts.values())
    rows.append(["all", *total.tolist(), int(total.sum())])
    click.echo(f"{dataset.source} (sha256 {dataset.sha256[:12]}..., {classes})")
    click.echo(markdown_table(["usage", *dataset.emotions, "total"], rows))
    if plot:
        from .plots import plot_class_distribution

        plot_class_distribution(counts, dataset.emotions, plot)
        click.echo(f"Wrote {plot}")


jobs_option = click.option(
    "--jobs", "n_jobs", type=int, default=None, help="Parallel jobs (joblib); default: 1, or the joblib backend's."
)


@cli.command()
@click.argument("name")
@data_option
@classes_option
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for NAME.skops and NAME.json; default: the user model cache.",
)
@jobs_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of every random step.")
@click.option(
    "--balance",
    type=click.Choice(["auto", "on", "off"]),
    default="auto",
    show_default=True,
    help="Class weighting: auto keeps it only where it raises validation macro-F1.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(name, data_path, classes, out, n_jobs, seed, balance, quiet):
    """Train pipeline NAME: fit on Training, choose on PublicTest, score PrivateTest.

    NAME is one of the pipelines listed by `hogfer pipelines`.
    """
    from ._progress import show_progress
    from .datasets import load_fer2013
    from .model_store import save_model
    from .paths import cache_dir
    from .pipelines import get_spec
    from .training import train_pipeline

    get_spec(name)  # unknown names fail before the data loads
    dataset = load_fer2013(data_path, classes=classes)
    with show_progress(not quiet):
        estimator, metadata = train_pipeline(name, dataset, n_jobs=n_jobs, random_state=seed, balance=balance)
    out = out or cache_dir("models")
    metadata = save_model(estimator, metadata, out, name)
    click.echo(_train_summary(metadata, out))


def _train_summary(metadata, out):
    test, val = metadata["metrics"]["test"], metadata["metrics"]["validation"]
    lines = [
        f"{metadata['pipeline']}: {metadata['description']}",
        f"  chosen on {metadata['split']['validation']}: {metadata['chosen_params']}, "
        f"class balancing {'on' if metadata['class_balancing'] else 'off'}",
        f"  validation accuracy {val['accuracy']:.2%}, macro-F1 {val['macro_f1']:.3f}",
    ]
    if test:
        lines.append(f"  PrivateTest accuracy {test['accuracy']:.2%}, macro-F1 {test['macro_f1']:.3f} (n={test['n']})")
    lines.append(f"  trained in {metadata['train_seconds']:.0f} s; model {metadata['size_bytes'] / 1e6:.2f} MB")
    lines.append(f"  wrote {out}/{metadata['name']}.skops and .json")
    return "\n".join(lines)


@cli.command()
@click.option("--all", "all_", is_flag=True, help="Every pipeline of the table.")
@click.option("--only", multiple=True, metavar="NAME", help="Only this pipeline (repeatable).")
@data_option
@classes_option
@click.option("--retrain", is_flag=True, help="Train every classical pipeline from scratch first.")
@jobs_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed when training.")
@click.option(
    "--out", type=click.Path(file_okay=False), default="benchmarks", show_default=True, help="Folder for the results."
)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Also put the table into this README, between its bench markers.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def bench(all_, only, data_path, classes, retrain, n_jobs, seed, out, readme, quiet):
    """Score every pipeline on PrivateTest in one table (results.md/.csv/.json, PNGs).

    Models come from the model folders (`hogfer models`); a classical pipeline
    without one is trained first. Failed rows are marked and the run goes on;
    the exit code is 1 if any row failed.
    """
    from ._progress import show_progress
    from .bench import run_benchmark, update_readme, write_results

    if not all_ and not only:
        raise click.UsageError("Say --all, or --only NAME for each pipeline to score.")
    with show_progress(not quiet):
        results = run_benchmark(
            data_path, names=None if all_ else list(only), classes=classes, retrain=retrain, n_jobs=n_jobs, random_state=seed
        )
    write_results(results, out)
    from .bench import render_table

    table, caption = render_table(results)
    click.echo(f"{caption}\n\n{table}\n\nWrote {out}/results.md, results.csv, results.json and PNGs.")
    if readme:
        changed = update_readme(readme, results)
        click.echo(f"{'Updated' if changed else 'Unchanged'}: the table in {readme}")
    failed = [r["pipeline"] for r in results["rows"] if r["status"] == "failed"]
    if failed:
        raise click.ClickException(f"{len(failed)} pipeline(s) failed: {', '.join(failed)} (see notes in the table).")


@cli.command()
@click.option(
    "--results",
    type=click.Path(dir_okay=False, exists=True),
    default="benchmarks/results.json",
    show_default=True,
    help="results.json written by `hogfer bench`.",
)
@click.option(
    "--readme", type=click.Path(dir_okay=False, exists=True), default="README.md", show_default=True, help="README to update."
)
def report(results, readme):
    """Regenerate the README's benchmark table from results.json (no new run)."""
    from .bench import load_results, update_readme

    changed = update_readme(readme, load_results(results))
    click.echo(f"{'Updated' if changed else 'Unchanged'}: the table in {readme}")


@cli.command("models")
def models_command():
    """List the trained models hogfer can find, and where."""
    from .model_store import list_models, model_dirs, read_metadata

    click.echo("Model folders: " + ", ".join(map(str, model_dirs())))
    for name, json_path in list_models().items():
        meta = read_metadata(json_path)
        acc = ((meta.get("metrics") or {}).get("test") or {}).get("accuracy")
        acc_text = f"{acc:.2%}" if acc is not None else "n/a"
        click.echo(f"{name:22s} PrivateTest {acc_text:>7s}  {meta['size_bytes'] / 1e6:6.2f} MB  {json_path}")


@cli.command("pipelines")
def pipelines_command():
    """List the named pipelines."""
    from .pipelines import get_spec, list_pipelines

    for name in list_pipelines():
        click.echo(f"{name:22s} {get_spec(name).DESCRIPTION}")


def main(argv=None):
    """Entry point of the ``hogfer`` console script."""
    return cli.main(args=argv, prog_name="hogfer")


if __name__ == "__main__":  # pragma: no cover
    main()
