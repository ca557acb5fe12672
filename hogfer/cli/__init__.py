"""The ``hogfer`` command line: parse, call the library, print.

Heavy libraries (Keras, TensorFlow, dlib, OpenCV) are imported inside the
commands that use them, so ``hogfer --help`` answers instantly.
"""

import logging

import click

from hogfer._version import __version__
from hogfer.cli._options import CONTEXT_SETTINGS, Duration, progress_wanted, HogferGroup, classes_option, data_option, model_option
from hogfer.cli.analyze import analyze_command
from hogfer.cli.models import compress_command, models_command, onnx_command, rescore_command

@click.group(cls=HogferGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="hogfer")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose):
    """hogfer: facial expression recognition on FER2013."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    from hogfer.apps.video import quiet_opencv

    quiet_opencv()


@cli.group(cls=HogferGroup)
def data():
    """Inspect a FER2013 copy, or pack it into one array file."""


@data.command("info")
@data_option
@classes_option
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Also write a bar chart (PNG).")
def data_info(data_path, classes, plot):
    """Print the class distribution per usage."""
    from hogfer.data.fer2013 import load_fer2013

    dataset = load_fer2013(data_path, classes=classes)
    click.echo(dataset.distribution_text())
    if plot:
        from hogfer.plots import plot_class_distribution

        plot_class_distribution(dataset.class_counts(), dataset.emotions, plot)
        click.echo(f"Wrote {plot}")


@data.command("pack")
@click.argument("out", type=click.Path(dir_okay=False))
@data_option
@click.option("--usage", multiple=True, type=click.Choice(["Training", "PublicTest", "PrivateTest"]), help="Keep only this usage (repeatable); default: all.")
def data_pack(out, data_path, usage):
    """Write the data as one compact array file OUT (.npz) that --data takes, for machines without the CSV."""
    from hogfer.data import load_fer2013, save_arrays
    from hogfer.exceptions import DataError

    if not out.endswith(".npz"):
        raise DataError(f"{out}: the array file's name must end in .npz.")
    dataset = load_fer2013(data_path, usage=list(usage) or None)
    save_arrays(dataset, out)
    click.echo(f"Wrote {out}: {len(dataset)} faces of {dataset.source} (sha256 {dataset.sha256[:12]}...)")


jobs_option = click.option("--jobs", "n_jobs", type=int, default=None, help="Parallel jobs (joblib); default: 1, or the joblib backend's.")
quiet_option = click.option("--quiet", is_flag=True, help="No progress bars.")


@cli.command()
@click.argument("name")
@data_option
@classes_option
@click.option(
    "--out", type=click.Path(file_okay=False), default=None, help="Folder for NAME.skops and NAME.json; default: the user model cache."
)
@jobs_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of every random step.")
@click.option(
    "--balance", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True, help="Class weighting: auto keeps it only where it raises validation macro-F1."
)
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Deep pipelines: most epochs (default 60).")
@click.option(
    "--learning-rate", type=click.FloatRange(min=0, min_open=True), default=None, help="Deep pipelines: the initial learning rate (default 1e-3)."
)
@click.option(
    "--optimizer", type=click.Choice(["adam", "sgd"]), default=None, help="Deep pipelines: Adam (default), or SGD with Nesterov momentum 0.9."
)
@click.option(
    "--lr-schedule", type=click.Choice(["plateau", "cosine"]), default=None, help="Deep pipelines: halve on a validation plateau (default), or cosine decay over the epochs."
)
@click.option(
    "--warmup-epochs", type=click.IntRange(min=0), default=None, metavar="N", help="Deep pipelines: with --lr-schedule cosine, N epochs of linear warm-up first (default 0)."
)
@click.option(
    "--precision", type=click.Choice(["auto", "float32", "mixed_bfloat16"]), default=None, help="Deep pipelines: the number format of training (default auto: mixed bfloat16 on a CPU with native bfloat16, else float32)."
)
@click.option(
    "--snapshots", type=click.IntRange(min=2), default=None, metavar="M", help="Deep pipelines: a snapshot ensemble, the epochs split into M cosine cycles with restarts and the end of each kept (no early stopping)."
)
@click.option(
    "--time-limit", type=Duration(), default=None, metavar="DURATION", help="Deep pipelines: most training time (3h, 90m, ...), resumed parts included; the run then ends sooner, its cosine decay too."
)
@click.option(
    "--init-from", default=None, metavar="MODEL", help="Deep pipelines: start from a trained model's weights (name or path), layer by layer where names and shapes match."
)
@click.option(
    "--distill-from", multiple=True, metavar="MODEL", help="Deep pipelines: also learn the mean predicted probabilities of this trained model (name or path) on the training faces (knowledge distillation); repeat for several teachers."
)
@click.option(
    "--distill-weight", type=click.FloatRange(min=0, max=1), default=None, help="Deep pipelines: share of the teachers' probabilities in the training targets (default 0.5)."
)
@quiet_option
def train(
    name, data_path, classes, out, n_jobs, seed, balance, epochs, learning_rate, optimizer, lr_schedule, warmup_epochs,
    precision, snapshots, time_limit, init_from, distill_from, distill_weight, quiet,
):
    """Train pipeline NAME: fit on Training, choose on PublicTest, score PrivateTest.

    NAME is one of the pipelines listed by `hogfer pipelines`.
    """
    from hogfer._progress import show_progress
    from hogfer.data.fer2013 import load_fer2013
    from hogfer.training.classical import check_train_request, train_and_save

    given = {"epochs": epochs, "learning_rate": learning_rate, "optimizer": optimizer, "lr_schedule": lr_schedule, "warmup_epochs": warmup_epochs, "precision": precision, "snapshots": snapshots, "time_limit": time_limit, "init_from": init_from,
             "distill_from": list(distill_from) or None, "distill_weight": distill_weight}
    deep_params = {k: v for k, v in given.items() if v is not None} or None
    check_train_request(name, classes, deep_params)  # before the data loads
    dataset = load_fer2013(data_path, classes=classes)
    with show_progress(progress_wanted(quiet)):
        card, out, history_png = train_and_save(
            name, dataset, out=out, n_jobs=n_jobs, random_state=seed, balance=balance, deep_params=deep_params
        )
    click.echo(card.summary(out))
    if history_png:
        click.echo(f"  history: {out}/{name}.json (per epoch) and {history_png.name}")


@cli.command()
@click.option("--all", "all_", is_flag=True, help="Every pipeline of the table.")
@click.option("--only", multiple=True, metavar="NAME", help="Only this pipeline (repeatable).")
@data_option
@classes_option
@click.option("--retrain", is_flag=True, help="Train every classical pipeline from scratch first.")
@jobs_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed when training.")
@click.option("--out", type=click.Path(file_okay=False), default="benchmarks", show_default=True, help="Folder for the results.")
@click.option(
    "--readme", type=click.Path(dir_okay=False, exists=True), default=None, help="Also put the table into this README, between its bench markers."
)
@click.option(
    "--update", is_flag=True, help="With --only: score just those rows (and the ensemble, with a deep one) and put them into OUT/results.json, keeping its other rows; each row then names the run that scored it."
)
@quiet_option
def bench(all_, only, data_path, classes, retrain, n_jobs, seed, out, readme, update, quiet):
    """Score every pipeline on PrivateTest in one table (results.md/.csv/.json, PNGs).

    Models come from the model folders (`hogfer models`); a classical pipeline
    without one is trained first, unless it ships no model (its row then says
    how to train it), and deep ones are not trained. --jobs also sets the jobs
    of the models scored. Failed rows are marked and the run goes on; the exit
    code is 1 if any row failed.
    """
    from hogfer._progress import show_progress
    from hogfer.bench import merge_results, previous_results, render_table, run_benchmark, update_readme, with_dependent_rows, write_results
    from hogfer.bench.plan import plan_benchmark, plan_text

    if not all_ and not only:
        raise click.UsageError("Say --all, or --only NAME for each pipeline to score.")
    if update and (all_ or not only):
        raise click.UsageError("--update goes with --only NAME (the rows to score again), not --all.")
    previous = previous_results(out, classes) if update else None
    names = None if all_ else list(with_dependent_rows(only) if update else only)
    click.echo(plan_text(plan_benchmark(names, retrain=retrain, classes=classes), out) + f" Results go to {out}/ (its files are replaced).", err=True)
    with show_progress(progress_wanted(quiet)):
        results = run_benchmark(data_path, names=names, classes=classes, retrain=retrain, n_jobs=n_jobs, random_state=seed)
    if previous is not None:
        results = merge_results(previous, results)
    write_results(results, out)
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
    "--results", type=click.Path(dir_okay=False, exists=True), default="benchmarks/results.json", show_default=True, help="results.json written by `hogfer bench`."
)
@click.option("--readme", type=click.Path(dir_okay=False, exists=True), default="README.md", show_default=True, help="README to update.")
def report(results, readme):
    """Regenerate results.md/.csv, the PNGs and the README's table from results.json (no new run)."""
    from pathlib import Path

    from hogfer.bench import load_results, update_readme, write_results

    data = load_results(results)
    write_results(data, Path(results).parent)
    changed = update_readme(readme, data)
    click.echo(f"Rewrote the files beside {results}; {'updated' if changed else 'unchanged'}: the table in {readme}")





@cli.command()
@click.option("--source", default="0", show_default=True, help="Camera index, video file or stream URL.")
@click.option("--blinks", is_flag=True, help="Count blinks (and winks) per face.")
@model_option
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write the annotated video here (.mp4).")
@click.option("--events", type=click.Path(dir_okay=False), default=None, help="Write events as JSON lines here.")
@click.option("--no-display", is_flag=True, help="Do not open a window.")
@click.option("--max-frames", type=click.IntRange(min=1), default=None, help="Stop after N frames.")
@click.option("--min-face", type=click.IntRange(min=20), default=40, show_default=True, help="Smallest face (pixels wide) the search finds, at any resolution.")
@click.option("--search-every", type=click.IntRange(min=1), default=20, show_default=True, help="Frames between full-frame searches for new faces.")
@click.option("--quiet", is_flag=True, help="No progress bar for a video file.")
def live(source, blinks, model_name, output, events, no_display, max_frames, min_face, search_every, quiet):
    """Emotions (and blinks) of every face in a webcam or video, live.

    Ends at the end of the video, on q or Esc in the window, or on Ctrl-C,
    always with complete output files and a summary.
    """
    from hogfer._progress import progress_bar, show_progress
    from hogfer.store.emotion import load_emotion_model
    from hogfer.apps.live import FrameProcessor, run_live, summary_text
    from hogfer.faces.tracking import FaceTracker
    from hogfer.apps.video import EventLog, VideoFileSink, VideoSource, open_window

    model = load_emotion_model(model_name, for_video=True)
    window = None if no_display else open_window()
    tracker = FaceTracker(min_face=min_face, search_every=search_every, search_lag=min(16, search_every))
    with VideoSource(source) as src:
        processor = FrameProcessor(model, fps=src.fps, blinks=blinks, tracker=tracker)
        video_sink = VideoFileSink(output, src.fps, src.size) if output else None
        event_log = EventLog(events) if events else None
        total = min(src.frame_count or 0, max_frames or src.frame_count or 0) or None
        with show_progress(progress_wanted(quiet) and not src.is_camera), progress_bar(total=total, desc="frames", unit="frame") as bar:
            summary = run_live(src, processor, video_sink=video_sink, event_log=event_log, window=window,
                               max_frames=max_frames, on_result=lambda _: bar.update())
    click.echo(summary_text(summary, model, blinks))
    if output:
        click.echo(f"Wrote {output}")
    if events:
        click.echo(f"Wrote {events}")


detector_option = click.option(
    "--detector", type=click.Choice(["hog", "cnn"]), default="hog", show_default=True,
    help="dlib's HOG face detector (with tilted copies), or its CNN detector (finds more turned faces; seconds a photo).",
)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@model_option
@detector_option
@click.option("--upsample", type=click.IntRange(min=0, max=3), default=1, show_default=True, help="Times the image is doubled before the search (smaller faces, slower).")
@click.option("--cropped", is_flag=True, help="Each image is one face, cut as FER2013's are: no search.")
@click.option("--output-dir", type=click.Path(file_okay=False), default=None, help="Annotated copies and predictions.json go here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def predict(inputs, model_name, detector, upsample, cropped, output_dir, as_json):
    """Emotion of every face in images or folders of images.

    Exit code 1 if an input could not be read or no face was found at all.
    """
    import json

    from hogfer._io import atomic_path
    from hogfer._progress import show_progress
    from hogfer.apps.predict import collect_images, predict_images, results_text

    from hogfer.store.emotion import load_emotion_model

    paths = collect_images(inputs)
    model = load_emotion_model(model_name)
    with show_progress(progress_wanted(as_json) and len(paths) > 1):
        results = predict_images(paths, model, output_dir=output_dir, detector=detector, upsample=upsample, cropped=cropped)
    if output_dir:
        with atomic_path(f"{output_dir}/predictions.json") as tmp:
            tmp.write_text(json.dumps(results, indent=1) + "\n")
    click.echo(json.dumps(results, indent=1) if as_json else results_text(results, model, output_dir))
    unreadable = [r["file"] for r in results if r.get("error")]
    if unreadable:
        raise click.ClickException(f"{len(unreadable)} input(s) could not be read: {', '.join(unreadable[:5])}")
    if not any(r["faces"] for r in results):
        raise click.ClickException("No face found in any input.")


@cli.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_name", default="xception", show_default=True, help="A trained xception or hybrid model (name or file).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="heatmap.png", show_default=True, help="Output PNG.")
@click.option("--max-faces", type=click.IntRange(min=1), default=4, show_default=True, help="Explain at most this many faces.")
def explain(image, model_name, output, max_faces):
    """Grad-CAM: which regions of each face in IMAGE drive the deep model's emotion.

    A 48x48 image is taken as a face crop; in any other image the faces are
    detected and aligned first.
    """
    from hogfer.deep.explain import explain_image
    from hogfer.plots import plot_explanations

    items, names = explain_image(model_name, image, max_faces=max_faces)
    for k, item in enumerate(items, start=1):
        c = item["class_index"]
        click.echo(f"face {k}: {names[c]} {item['probabilities'][c]:.0%}")
    plot_explanations(items, names, output)
    click.echo(f"Wrote {output}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (the default: this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--model", "model_name", default=None, metavar="NAME", help="Default emotion model; default: the most accurate by validation.")
@click.option("--max-upload-mb", type=click.FloatRange(min=0.01), default=10.0, show_default=True, help="Larger uploads are refused.")
@detector_option
@click.option("--upsample", type=click.IntRange(min=0, max=3), default=1, show_default=True, help="Times the photo is doubled before the search.")
@click.option("--tilted/--no-tilted", default=False, show_default=True, help="Also search copies turned 40 degrees (tilted heads; about 4x slower).")
@click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Requests served at once.")
def serve(host, port, model_name, max_upload_mb, detector, upsample, tilted, threads):
    """A web page (and JSON API) to upload a photo and see every face's emotions.

    Needs the web extra: pip install "hogfer[web]".
    """
    from hogfer.apps.serve import serve as run_server

    from hogfer.store.emotion import load_emotion_model

    if model_name is not None:
        load_emotion_model(model_name)  # an unknown name fails here, in one line
    click.echo(f"hogfer serving on http://{host}:{port}/ (Ctrl-C stops)")
    run_server(host, port, threads=threads, model=model_name, max_upload_mb=max_upload_mb,
               detector=detector, upsample=upsample, tilted=tilted)


@cli.command("pipelines")
def pipelines_command():
    """List the named pipelines."""
    from hogfer.pipelines import get_spec, list_pipelines

    for name in list_pipelines():
        click.echo(f"{name:22s} {get_spec(name).DESCRIPTION}")


for _command in (models_command, compress_command, onnx_command, rescore_command, analyze_command):
    cli.add_command(_command)


def main(argv=None):
    """Entry point of the ``hogfer`` console script."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the app's output, not TensorFlow's start-up notes
    return cli.main(args=argv, prog_name="hogfer")
