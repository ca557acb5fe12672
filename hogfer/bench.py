"""The benchmark: every pipeline scored on the same data, in one table.

:func:`run_benchmark` scores each named pipeline's trained model on
PrivateTest (and PublicTest), measuring its throughput on this machine;
:func:`write_results` writes ``results.md``, ``results.csv``, ``results.json``
and two figures; :func:`update_readme` copies the table into the README
between markers. Nothing in the table is typed by hand.
"""

import csv
import io
import json
import logging
import time
from pathlib import Path

import numpy as np

from ._env import git_commit, library_versions, machine_info, machine_summary, now_iso
from ._io import atomic_path
from ._progress import progress_bar
from ._table import markdown_table
from .datasets import load_fer2013
from .exceptions import ArtifactError, HogferError
from .metrics import evaluate
from .tta import tta_label

__all__ = [
    "all_pipelines",
    "TABLE_ORDER",
    "run_benchmark",
    "merge_results",
    "with_dependent_rows",
    "write_results",
    "update_readme",
    "render_table",
]

logger = logging.getLogger(__name__)

#: The rows of the full table, in order (classical, then deep).
TABLE_ORDER = (
    "svm-hog",
    "svm-landmarks",
    "svm-landmarks-hog",
    "svm-sliding-hog",
    "lgbm-pixels",
    "lgbm-autoencoded",
    "lgbm-hog-landmarks",
    "simple-cnn",
    "xception",
    "hybrid",
    "ensemble",
)
#: The seeds' figure for rows without a pipeline module of their own.
_SEED_ACCURACY = {"ensemble": None}
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def all_pipelines():
    """Every row of the full table: :data:`TABLE_ORDER`, then any other registered pipeline."""
    from .pipelines import list_pipelines

    return list(TABLE_ORDER) + [n for n in list_pipelines() if n not in TABLE_ORDER]


def _seed_accuracy(name):
    from .pipelines import get_spec, list_pipelines

    if name in list_pipelines():
        return getattr(get_spec(name), "SEED_ACCURACY", None)
    return _SEED_ACCURACY.get(name)


def _obtain_model(name, data, *, retrain, n_jobs, random_state):
    """Load ``name``'s trained model, or train it (classical) where there is none or ``retrain``."""
    from .model_store import list_models, load_model, save_model, shipped_dir
    from .paths import cache_dir
    from .pipelines import list_pipelines
    from .training import train_pipeline

    from .pipelines import get_spec

    if name == "ensemble":
        return _ensemble(data)
    if name not in list_pipelines():
        return None, None, "not implemented in this version of hogfer"
    deep = getattr(get_spec(name), "KIND", "classical") == "deep"
    json_path = list_models().get(name)
    if not retrain and json_path is not None:
        model, meta = load_model(name)
        folder = json_path.parent.resolve()
        if folder != shipped_dir().resolve():
            where = "the user model cache" if folder == Path(cache_dir("models")).resolve() else str(folder)
            meta["note"] = f"not shipped: from {where}"
        return model, meta, None
    if deep:
        return None, None, "no trained model; deep models are not trained by bench (`hogfer train " + name + "`, hours on a CPU)"
    logger.warning("%s: %s; training it now", name, "retraining" if retrain else "no trained model")
    model, meta = train_pipeline(name, data, n_jobs=n_jobs, random_state=random_state)
    meta = save_model(model, meta, cache_dir("models"), name)
    meta["_trained_now"] = True
    return model, meta, None


def _score(model, data, emotions):
    """Predictions and timings of ``model`` on ``data``: features, then the classifier.

    Models that are no feature pipeline (the Keras models) report no separate
    feature time.
    """
    from sklearn.pipeline import Pipeline

    from .training import split_feature_steps

    t0 = time.perf_counter()
    if isinstance(model, Pipeline):
        features, head = split_feature_steps(model)
        X = features.transform(data.images)
    else:
        head, X = model, data.images
    t1 = time.perf_counter()
    pred = head.predict(X)
    t2 = time.perf_counter()
    return evaluate(data.labels, pred, emotions), (t1 - t0) if isinstance(model, Pipeline) else None, t2 - t1


class _Ensemble:
    """The mean of several models' class probabilities."""

    def __init__(self, models):
        self.models = models
        self.classes_ = models[0].classes_

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _train_seconds(meta):
    """Training time of a model: its own run's, plus that of the models it started from."""
    runs = _training_runs(meta)
    return None if runs is None else sum(runs.values())


def _training_runs(meta):
    """``{run: seconds}`` of the training behind a model, or None where unrecorded.

    Its own run counts at least the sum of its epochs' times (a resumed run's wall
    time covers only its last part); then every run it started from
    (``initialized_from``) and of every teacher it was distilled from
    (``distilled_from``) with theirs, by content hash, so that models sharing an
    ancestor count it once; training before the recorded runs is one entry per source.
    """
    seconds = meta.get("train_seconds")
    epoch_seconds = (meta.get("history") or {}).get("seconds") if meta.get("kind") == "deep" else None
    if epoch_seconds:
        seconds = max(seconds or 0, float(sum(epoch_seconds)))
    if seconds is None:
        return None
    runs = {meta.get("sha256") or id(meta): float(seconds)}
    teachers = [t.get("source_metadata") or {} for t in meta.get("distilled_from") or []]
    for source in (_source_metadata(meta), *teachers):
        recorded = {run["sha256"]: float(run.get("epoch_seconds_total") or 0) for run in source.get("lineage", []) if run.get("sha256")}
        runs.update(recorded)
        before = float(source.get("lineage_epoch_seconds", source.get("epoch_seconds_total")) or 0) - sum(recorded.values())
        if before > 0:
            runs[("before", source.get("sha256"))] = before
    return runs


def _source_metadata(meta):
    return (meta.get("initialized_from") or {}).get("source_metadata") or {}


def _deep_note(meta, engine, tta=None):
    """How a deep model was trained and what it predicts with (engine, test-time augmentation), for its row's notes."""
    flags = ", ".join(f"{k}={v}" for k, v in (meta.get("backend_flags") or {}).items())
    engine = {"keras": "Keras", "onnx": "onnxruntime", "onnx-int8": "onnxruntime, 8-bit copy"}[engine]
    note = f"{meta.get('epochs_run')} epochs (best {meta.get('best_epoch')}), trained under Keras {meta.get('backend')}"
    note += f" ({flags})" if flags else ""
    note += f", resumed at epoch {meta['resumed_at_epoch']}" if meta.get("resumed_at_epoch") else ""
    if meta.get("initialized_from"):
        source = _source_metadata(meta)
        name = source.get("name") or meta["initialized_from"]["source"]
        before = source.get("lineage_epochs", source.get("epochs_run"))
        note += f", started from {name}" + (f" ({before} epochs before this run, counted in train s)" if before else "")
    if meta.get("distilled_from"):
        names = [(t.get("source_metadata") or {}).get("name") or t["source"] for t in meta["distilled_from"]]
        note += f", distilled from {', '.join(names)} (their training counted in train s)"
    return note + f"; predicts with {engine}" + ("" if tta is None else f", TTA {tta_label(tta)}")


def _ensemble(data):
    from .model_store import list_models, load_model

    members = [n for n in ("xception", "hybrid", "simple-cnn") if n in list_models()]
    if len(members) < 2:
        return None, None, "needs at least two trained deep models (xception, hybrid, simple-cnn)"
    loaded = dict(zip(members, (load_model(n) for n in members)))
    chosen, val_accuracy = choose_ensemble({n: m for n, (m, _) in loaded.items()}, data.select("PublicTest"))
    metas = [loaded[n][1] for n in chosen]
    meta = {
        "description": "mean probabilities of " + ", ".join(chosen),
        "classes": metas[0]["classes"],
        "data_sha256": metas[0]["data_sha256"],
        "train_seconds": sum({run: s for m in metas for run, s in (_training_runs(m) or {}).items()}.values()),
        "hardware": metas[0].get("hardware"),
        "size_bytes": sum(m["size_bytes"] for m in metas),
    }
    if len(members) > 2:
        meta["note"] = (
            f"members {', '.join(chosen)} chosen on PublicTest ({100 * val_accuracy:.1f}%) among {', '.join(members)}; "
            "its PublicTest column is therefore optimistic"
        )
    return _Ensemble([loaded[n][0] for n in chosen]), meta, None


def choose_ensemble(models, val):
    """The members whose mean probabilities are most accurate on the validation faces ``val``.

    Every subset of two or more of ``models`` (a dict name -> fitted model) is
    tried; ties go to the larger subset. PrivateTest plays no part. Without
    validation faces every model is a member.

    Returns
    -------
    chosen : list of str
        Member names, in the order of ``models``.
    accuracy : float or None
        Their validation accuracy.
    """
    from itertools import combinations

    names = list(models)
    if len(val.labels) == 0:
        return names, None
    probas = {n: models[n].predict_proba(val.images) for n in names}
    classes = models[names[0]].classes_
    best = None
    for k in range(2, len(names) + 1):
        for subset in combinations(names, k):
            pred = classes[np.argmax(np.mean([probas[n] for n in subset], axis=0), axis=1)]
            accuracy = float(np.mean(pred == val.labels))
            if best is None or accuracy >= best[1]:
                best = (list(subset), accuracy)
    return best


def run_benchmark(data_path=None, *, names=None, classes="fer7", retrain=False, n_jobs=None, random_state=0):
    """Score every pipeline in ``names`` on PrivateTest and PublicTest.

    Parameters
    ----------
    data_path : str or path-like, default=None
        FER2013 (default ``$HOGFER_DATA``).
    names : list of str, default=None
        Pipelines to score; every pipeline of the table if None.
    classes : str, default="fer7"
        Label scheme; a model trained on another scheme is a failed row.
    retrain : bool, default=False
        Train every classical pipeline first, as ``hogfer train`` would.
    n_jobs : int, default=None
        Jobs for feature extraction and training.
    random_state : int, default=0
        Seed when training.

    Returns
    -------
    dict
        ``rows`` (one dict per pipeline) and the run's context (data hash,
        machine, libraries, date, commit, duration).
    """
    started = time.perf_counter()
    data = load_fer2013(data_path, classes=classes)
    test, public = data.select("PrivateTest"), data.select("PublicTest")
    if len(test) == 0:
        raise HogferError(f"{data.source}: no PrivateTest rows to score on.")
    names = list(names) if names else all_pipelines()
    known = set(all_pipelines())
    for name in names:
        if name not in known:
            raise HogferError(f"Unknown pipeline {name!r}. Known pipelines: {', '.join(sorted(known))}.")
    rows = []
    with progress_bar(total=len(names), desc="bench", unit="pipeline") as bar:
        for name in names:
            bar.set_postfix_str(name)
            rows.append(_bench_one(name, data, test, public, retrain=retrain, n_jobs=n_jobs, random_state=random_state))
            bar.update()
    return {
        "date": now_iso(),
        "data_file": str(data.source),
        "data_sha256": data.sha256,
        "classes": classes,
        "emotions": list(data.emotions),
        "n_test": len(test),
        "n_public": len(public),
        "machine": machine_info(),
        "libraries": library_versions(),
        "commit": git_commit(Path(__file__).resolve().parent),
        "seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
    }


def _bench_one(name, data, test, public, *, retrain, n_jobs, random_state):
    row = {"pipeline": name, "seed_accuracy": _seed_accuracy(name), "status": "ok", "notes": []}
    try:
        model, meta, missing = _obtain_model(name, data, retrain=retrain, n_jobs=n_jobs, random_state=random_state)
        if missing:
            row.update(status="missing", notes=[missing])
            return row
        if meta.get("classes") != data.classes:
            raise ArtifactError(f"trained on the {meta.get('classes')} label scheme, not {data.classes}")
        if meta.get("data_sha256") != data.sha256:
            row["notes"].append("trained on a different data file (hash differs)")
            logger.warning("%s: its training data's hash differs from %s", name, data.source)
        if meta.pop("_trained_now", False):
            row["notes"].append("trained by this run")
        if meta.get("note"):
            row["notes"].append(meta["note"])
        train_seconds = _train_seconds(meta)
        if meta.get("kind") == "deep":
            row["notes"].append(_deep_note(meta, model.engine_used_, model.get_params().get("tta")))
        scores, feature_s, predict_s = _score(model, test, data.emotions)
        public_scores = _score(model, public, data.emotions)[0] if len(public) else None
        row.update(
            description=meta.get("description"),
            accuracy=scores["accuracy"],
            macro_f1=scores["macro_f1"],
            per_class_recall=scores["per_class_recall"],
            confusion_matrix=scores["confusion_matrix"],
            public_accuracy=public_scores["accuracy"] if public_scores else None,
            train_seconds=train_seconds,
            train_hardware=machine_summary(meta["hardware"]) if meta.get("hardware") else None,
            feature_faces_per_s=len(test) / feature_s if feature_s else None,
            predict_faces_per_s=len(test) / ((feature_s or 0) + predict_s),
            size_bytes=meta.get("size_bytes"),
            chosen_params=meta.get("chosen_params"),
            class_balancing=meta.get("class_balancing"),
        )
    except Exception as exc:  # one broken row must not end the table
        message = str(exc) if isinstance(exc, HogferError) else f"{type(exc).__name__}: {exc}"
        row.update(status="failed", notes=[message])
        logger.warning("%s: %s", name, message)
    return row


# --------------------------------------------------------------------------- output

_ABBREV = {"Angry": "Ang", "Disgust": "Dis", "Fear": "Fea", "Happy": "Hap", "Sad": "Sad", "Surprise": "Sur", "Neutral": "Neu"}


def _pct(value):
    return "" if value is None else f"{100 * value:.1f}"


def _rate(value):
    return "" if value is None else f"{value:,.0f}"


def render_table(results):
    """The Markdown table and its caption, from :func:`run_benchmark`'s results."""
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
        "seeds' acc %",
        "notes",
    ]
    rows = []
    for r in results["rows"]:
        ok = r["status"] == "ok"
        recall = r.get("per_class_recall") or {}
        note = "; ".join(([r["status"]] if not ok else []) + r["notes"])
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
                _pct(r.get("seed_accuracy")),
                note,
            ]
        )
    align = ["l"] + ["r"] * (len(headers) - 2) + ["l"]
    table = markdown_table(headers, rows, align=align)
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
    from .pipelines import get_spec, list_pipelines

    names = list(names)
    deep = [n for n in names if n in list_pipelines() and getattr(get_spec(n), "KIND", "classical") == "deep"]
    return names + ["ensemble"] if deep and "ensemble" not in names else names


def write_results(results, out_dir):
    """Write results.md, results.csv, results.json, confusion_matrices.png and accuracy.png."""
    out_dir = Path(out_dir)
    table, caption = render_table(results)
    with atomic_path(out_dir / "results.md") as tmp:
        tmp.write_text(f"# hogfer benchmark\n\n{caption}\n\n{table}\n")
    with atomic_path(out_dir / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2) + "\n")
    with atomic_path(out_dir / "results.csv") as tmp:
        tmp.write_text(_csv(results))
    from .plots import plot_accuracy_bars, plot_confusion_grid

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
    table, caption = render_table(results)
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_START}\n{caption}\n\n{table}\n{README_END}{tail}"
    if new != text:
        with atomic_path(readme) as tmp:
            tmp.write_text(new)
    return new != text


def load_results(path):
    """Read a results.json written by :func:`write_results`."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise HogferError(f"{path}: unreadable benchmark results ({exc}).") from None


def confusion_normalized(matrix):
    """Rows of a confusion matrix divided by their sums (0 for empty rows)."""
    m = np.asarray(matrix, dtype=float)
    sums = m.sum(axis=1, keepdims=True)
    return np.divide(m, sums, out=np.zeros_like(m), where=sums > 0)
