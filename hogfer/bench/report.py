"""The benchmark's outputs: the Markdown table, results.md/.csv/.json, the figures and the README's copy.

Nothing in the table is typed by hand: every figure comes from
:func:`hogfer.bench.run_benchmark`'s results (or their merge, for
``hogfer bench --only NAME --update``).
"""

import csv
import io
import json
from pathlib import Path

from hogfer._env import machine_summary
from hogfer._io import atomic_path
from hogfer._table import markdown_table
from hogfer.exceptions import HogferError
from hogfer.bench.run import all_pipelines

__all__ = ["render_table", "render_summary", "render_reported", "shipping_status", "previous_results", "merge_results", "with_dependent_rows", "write_results", "update_readme", "load_results"]

README_START = "<!-- bench:start -->"

README_END = "<!-- bench:end -->"

_ABBREV = {"Angry": "Ang", "Disgust": "Dis", "Fear": "Fea", "Happy": "Hap", "Sad": "Sad", "Surprise": "Sur", "Neutral": "Neu"}
SEED_DEFINITION = (
    "*reported by its source*: the accuracy the project this pipeline was first written in (the seeds hogfer is "
    "built from) reported for it, on its own split and settings; not measured here."
)


def _pct(value):
    return "" if value is None else f"{100 * value:.1f}"


def _rate(value):
    return "" if value is None else f"{value:,.0f}"


def render_table(results):
    """The Markdown table (with its numbered notes under it) and its caption, from :func:`run_benchmark`'s results.

    Each row's notes go below the table, numbered, so the table stays narrow
    enough for a terminal; the CSV keeps them in a column.
    """
    emotions = results["emotions"]
    headers = [
        "pipeline",
        "PrivateTest acc %",
        "macro-F1",
        *[f"{_ABBREV.get(e, e)} recall %" for e in emotions],
        "PublicTest acc %",
        "train s",
        "features faces/s",
        "predict faces/s",
        "size MB",
        "notes",
    ]
    rows, notes = [], []
    for r in results["rows"]:
        ok = r["status"] == "ok"
        recall = r.get("per_class_recall") or {}
        text = "; ".join(([r["status"]] if not ok else []) + r["notes"])
        if text:
            notes.append(f"{len(notes) + 1}. {r['pipeline']}: {text}")
        note = f"[{len(notes)}]" if text else ""
        rows.append(
            [
                r["pipeline"],
                _pct(r.get("accuracy")) if ok else "",
                f"{r['macro_f1']:.3f}" if ok else "",
                *[_pct(recall.get(e)) if ok else "" for e in emotions],
                _pct(r.get("public_accuracy")) if ok else "",
                f"{r['train_seconds']:.0f}" if ok and r.get("train_seconds") is not None else "",
                _rate(r.get("feature_faces_per_s")) if ok else "",
                _rate(r.get("predict_faces_per_s")) if ok else "",
                f"{r['size_bytes'] / 1e6:.2f}" if ok and r.get("size_bytes") else "",
                note,
            ]
        )
    align = ["l"] + ["r"] * (len(headers) - 2) + ["l"]
    table = markdown_table(headers, rows, align=align) + "\n\n" + "\n".join(notes).rstrip()
    trained_on = sorted({r["train_hardware"] for r in results["rows"] if r.get("train_hardware")})
    runs = results.get("runs") or []
    if len(runs) > 1:
        written = (
            f"Written by `hogfer bench` in {len(runs)} runs on data sha256 {results['data_sha256'][:12]}, each row by "
            "the run that scored it: "
            + "; ".join(
                f"{', '.join(run['rows'])} on {run['date'][:10]} ({machine_summary(run['machine'])}; "
                f"commit {run['commit']}; {run['seconds']:.0f} s)"
                for run in runs
            )
            + ". Throughputs are on the machine of the row's run"
        )
    else:
        written = (
            f"Written by `hogfer bench` on {results['date'][:10]} "
            f"({machine_summary(results['machine'])}; data sha256 {results['data_sha256'][:12]}; "
            f"commit {results['commit']}; {results['seconds']:.0f} s in all). Throughputs are on that machine"
        )
    caption = (
        f"FER2013 `{results['classes']}`, scored on PrivateTest (n={results['n_test']}); "
        f"hyperparameters chosen on PublicTest. {written}, "
        f"features and end-to-end prediction of PrivateTest; training ran on {'; '.join(trained_on) or 'n/a'}."
    )
    return table, caption


def shipping_status(row):
    """Where a row's model comes from, at a glance: ``"yes"`` (it ships), ``"local cache"`` or ``"trained by bench"``."""
    notes = " ".join(row.get("notes") or [])
    if "not shipped" in notes:
        return "local cache"
    if "trained by this run" in notes:
        return "trained by bench"
    return "yes"


def render_summary(results):
    """The README's short table (what ships, how accurate, how fast, how big) and its caption.

    Per-class recalls, provenance and notes stay in ``benchmarks/results.md``
    (:func:`render_table`).
    """
    headers = ["pipeline", "PrivateTest acc %", "macro-F1", "faces/s", "MB", "ships"]
    rows = [
        [r["pipeline"], _pct(r.get("accuracy")), f"{r['macro_f1']:.3f}", _rate(r.get("predict_faces_per_s")),
         _megabytes(r.get("size_bytes")), shipping_status(r)]
        for r in results["rows"] if r["status"] == "ok"
    ]
    dates = sorted({run["date"][:10] for run in _runs(results) if run.get("date")})
    machines = sorted({machine_summary(run["machine"]) for run in _runs(results) if run.get("machine")})
    where = machines[0] if len(machines) == 1 else f"{len(machines)} machines"
    caption = (
        f"FER2013 PrivateTest (n={results['n_test']}), choices made on PublicTest. Written by `hogfer bench` "
        f"({' to '.join(dates[::max(1, len(dates) - 1)])}, {where}); faces/s end to end. Details: "
        "[benchmarks/results.md](benchmarks/results.md)."
    )
    return markdown_table(headers, rows, align=["l", "r", "r", "r", "r", "l"]), caption


def _megabytes(size_bytes):
    if not size_bytes:
        return ""
    return f"{size_bytes / 1e6:.1f}" if size_bytes >= 1e5 else f"{size_bytes / 1e6:.2f}"


def render_reported(results):
    """The sources' reported accuracies beside those measured here, as a labelled Markdown table."""
    rows = [[r["pipeline"], _pct(r["seed_accuracy"]), _pct(r.get("accuracy")) if r["status"] == "ok" else ""]
            for r in results["rows"] if r.get("seed_accuracy") is not None]
    if not rows:
        return ""
    table = markdown_table(["pipeline", "reported by its source %", "measured here %"], rows, align=["l", "r", "r"])
    return f"## Reported by the sources\n\n{SEED_DEFINITION}\n\n{table}\n"


_RUN_KEYS = ("date", "commit", "machine", "seconds", "libraries")


def _runs(results):
    """The runs that scored ``results``' rows: its ``runs``, or the one run it is."""
    if results.get("runs"):
        return results["runs"]
    return [{**{k: results.get(k) for k in _RUN_KEYS}, "rows": [r["pipeline"] for r in results["rows"]]}]


def merge_results(old, new):
    """``old`` benchmark results with the rows of ``new`` put in, replacing those of the same pipelines.

    Each row keeps the run that scored it: the merged results list the runs
    under ``runs`` (date, commit, machine, seconds, library versions and the
    rows each scored), the table's caption names them, and the CSV gives each
    row its run's date and commit. The top-level date, commit and machine are
    ``new``'s.

    Parameters
    ----------
    old, new : dict
        Results from :func:`run_benchmark` (or :func:`load_results`).

    Returns
    -------
    dict
        The merged results, rows in table order.

    Raises
    ------
    HogferError
        If the two were scored on different data, label schemes or test sets.
    """
    for key in ("data_sha256", "classes", "n_test"):
        if old.get(key) != new.get(key):
            raise HogferError(
                f"cannot merge benchmark results of different data: {key} is {old.get(key)!r} in the existing "
                f"results and {new.get(key)!r} in this run's."
            )
    replaced = {r["pipeline"] for r in new["rows"]}
    runs = [{**run, "rows": kept} for run in _runs(old) if (kept := [n for n in run["rows"] if n not in replaced])]
    runs += _runs(new)
    by_name = {r["pipeline"]: r for r in old["rows"]}
    by_name.update({r["pipeline"]: r for r in new["rows"]})
    order = all_pipelines()
    rows = sorted(by_name.values(), key=lambda r: order.index(r["pipeline"]) if r["pipeline"] in order else len(order))
    return {**new, "rows": rows, "runs": runs}


def with_dependent_rows(names):
    """``names`` and the rows scored from them: the ensemble row averages the deep models, so it goes with any of them."""
    from hogfer.pipelines import kind_of, list_pipelines

    names = list(names)
    deep = [n for n in names if n in list_pipelines() and kind_of(n) == "deep"]
    return names + ["ensemble"] if deep and "ensemble" not in names else names


def write_results(results, out_dir):
    """Write results.md, results.csv, results.json, confusion_matrices.png and accuracy.png."""
    out_dir = Path(out_dir)
    table, caption = render_table(results)
    with atomic_path(out_dir / "results.md") as tmp:
        reported = render_reported(results)
        tmp.write_text(f"# hogfer benchmark\n\n{caption}\n\n{table}\n" + (f"\n{reported}" if reported else ""))
    with atomic_path(out_dir / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2) + "\n")
    with atomic_path(out_dir / "results.csv") as tmp:
        tmp.write_text(_csv(results))
    from hogfer.plots import plot_accuracy_bars, plot_confusion_grid

    scored = [r for r in results["rows"] if r["status"] == "ok"]
    if scored:
        plot_confusion_grid(scored, results["emotions"], out_dir / "confusion_matrices.png")
        plot_accuracy_bars(scored, out_dir / "accuracy.png")
    return out_dir


def _csv(results):
    emotions = results["emotions"]
    fields = [
        "pipeline",
        "status",
        "accuracy",
        "macro_f1",
        *[f"recall_{e}" for e in emotions],
        "public_accuracy",
        "train_seconds",
        "train_hardware",
        "feature_faces_per_s",
        "predict_faces_per_s",
        "size_bytes",
        "seed_accuracy",
        "notes",
        "run_date",
        "run_commit",
    ]
    run_of = {name: run for run in _runs(results) for name in run["rows"]}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for r in results["rows"]:
        flat = dict(r)
        for e in emotions:
            flat[f"recall_{e}"] = (r.get("per_class_recall") or {}).get(e)
        flat["notes"] = "; ".join(r["notes"])
        run = run_of.get(r["pipeline"], {})
        flat["run_date"], flat["run_commit"] = run.get("date"), run.get("commit")
        writer.writerow(flat)
    return buffer.getvalue()


def update_readme(readme, results):
    """Replace the README's text between the bench markers with the table; return True if it changed."""
    readme = Path(readme)
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        raise HogferError(f"{readme}: no {README_START} ... {README_END} markers to put the table between.")
    table, caption = render_summary(results)
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_START}\n{caption}\n\n{table}\n{README_END}{tail}"
    if new != text:
        with atomic_path(readme) as tmp:
            tmp.write_text(new)
    return new != text


def previous_results(out_dir, classes):
    """The results ``hogfer bench --only NAME --update`` merges into: ``OUT/results.json``, of the same label scheme."""
    path = Path(out_dir) / "results.json"
    if not path.is_file():
        raise HogferError(f"--update: no {path} to update; run `hogfer bench --all` first.")
    previous = load_results(path)
    if previous.get("classes") != classes:
        raise HogferError(f"--update: {path} scores the {previous.get('classes')} classes, not {classes}.")
    return previous


def load_results(path):
    """Read a results.json written by :func:`write_results`."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise HogferError(f"{path}: unreadable benchmark results ({exc}).") from None
