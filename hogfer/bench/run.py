"""Scoring every pipeline on the same data: :func:`run_benchmark` and its rows.

Each named pipeline's trained model (trained first where there is none) is
scored on PrivateTest and PublicTest and its throughput measured on this
machine. The ensemble row comes from :mod:`hogfer.bench.ensemble`; the table
and files from :mod:`hogfer.bench.report`.
"""

import logging
import time
from pathlib import Path

from hogfer._env import machine_summary, provenance
from hogfer._progress import progress_bar
from hogfer.data.fer2013 import load_fer2013
from hogfer.exceptions import ArtifactError, HogferError
from hogfer.metrics import evaluate
from hogfer.tta import tta_label
from hogfer.bench.ensemble import RememberedPredictions, ensemble_model, training_runs

__all__ = ["TABLE_ORDER", "all_pipelines", "run_benchmark", "train_seconds"]

logger = logging.getLogger(__name__)

TABLE_ORDER = (
    "svm-hog",
    "svm-landmarks",
    "svm-landmarks-hog",
    "svm-sliding-hog",
    "svm-bovw",
    "svm-bovw-local",
    "lgbm-pixels",
    "lgbm-autoencoded",
    "lgbm-hog-landmarks",
    "simple-cnn",
    "wider-cnn",
    "inception",
    "dexpression",
    "resnet",
    "vgg",
    "xception",
    "hybrid",
    "ensemble",
    "xception-snapshots",
    "fusion",
    "fusion-local",
)

_SEED_ACCURACY = {"ensemble": None}

def all_pipelines():
    """Every row of the full table: :data:`TABLE_ORDER`, then any other registered pipeline."""
    from hogfer.pipelines import list_pipelines

    return list(TABLE_ORDER) + [n for n in list_pipelines() if n not in TABLE_ORDER]

def _seed_accuracy(name):
    from hogfer.pipelines import get_spec, list_pipelines

    if name in list_pipelines():
        return getattr(get_spec(name), "SEED_ACCURACY", None)
    return _SEED_ACCURACY.get(name)

def _obtain_model(name, data, public, loaded, *, retrain, n_jobs, random_state):
    """Load ``name``'s trained model, or train it (classical) where there is none or ``retrain``.

    Deep models remember their predictions and go into ``loaded``, where the
    ensemble finds them.
    """
    from hogfer.store.files import list_models, load_model, save_model, shipped_dir
    from hogfer.paths import cache_dir
    from hogfer.pipelines import kind_of, list_pipelines
    from hogfer.training.classical import train_pipeline

    if name == "ensemble":
        return ensemble_model(data, public, loaded)
    if name not in list_pipelines():
        return None, None, "not implemented in this version of hogfer"
    deep = kind_of(name) == "deep"
    json_path = list_models().get(name)
    if not retrain and json_path is not None:
        model, meta = load_model(name)
        folder = json_path.parent.resolve()
        if folder != shipped_dir().resolve():
            where = "the user model cache" if folder == Path(cache_dir("models")).resolve() else str(folder)
            meta["note"] = f"not shipped: from {where}"
        if deep:
            model = RememberedPredictions(model)
            loaded[name] = (model, meta)
        elif meta.kind == "fusion":
            model.bind(loaded)  # the deep members this run has loaded answer from memory
        _use_jobs(model, n_jobs)
        return model, meta, None
    missing = untrained_reason(name, retrain=retrain)
    if missing:
        return None, None, missing
    logger.warning("%s: %s; training it now", name, "retraining" if retrain else "no trained model")
    model, meta = train_pipeline(name, data, n_jobs=n_jobs, random_state=random_state)
    meta = save_model(model, meta, cache_dir("models"), name)
    meta["_trained_now"] = True
    return model, meta, None

def untrained_reason(name, *, retrain=False):
    """Why the bench leaves pipeline ``name`` unscored when it has no model (``None``: it trains one)."""
    from hogfer.pipelines import kind_of, not_shipped_reason

    if kind_of(name) == "deep":
        return "no trained model; deep models are not trained by bench (`hogfer train " + name + "`, hours on a CPU)"
    reason = None if retrain else not_shipped_reason(name)
    return f"no trained model; {reason} (`hogfer train {name}`)" if reason else None


def _use_jobs(model, n_jobs):
    """Set every ``n_jobs`` parameter of a loaded estimator (its steps', a fusion's members') to ``n_jobs``, where given."""
    if n_jobs is None or not hasattr(model, "get_params"):
        return
    keys = [k for k in model.get_params() if k == "n_jobs" or k.endswith("__n_jobs")]
    if keys:
        model.set_params(**{k: n_jobs for k in keys})
    for member in getattr(model, "member_models", dict)().values():
        _use_jobs(member, n_jobs)


def _score(model, data, emotions):
    """Predictions and timings of ``model`` on ``data``: features, then the classifier.

    Models that are no feature pipeline (the Keras models) report no separate
    feature time.
    """
    from sklearn.pipeline import Pipeline

    from hogfer.training.classical import split_feature_steps

    t0 = time.perf_counter()
    if isinstance(model, Pipeline):
        features, head = split_feature_steps(model)
        X = features.transform(data.images)
    else:
        head, X = model, data.images
    t1 = time.perf_counter()
    pred = head.predict(X)
    predict_s = time.perf_counter() - t1
    if getattr(head, "seconds_per_face_", None) is not None:  # remembered predictions: the time they took
        predict_s = head.seconds_per_face_ * len(data)
    return evaluate(data.labels, pred, emotions), (t1 - t0) if isinstance(model, Pipeline) else None, predict_s

def train_seconds(meta):
    """Training time of a model: its own run's, plus that of the models it started from."""
    runs = training_runs(meta)
    return None if runs is None else sum(runs.values())

def _fusion_note(meta):
    """How a fusion model was fitted, for its row's notes."""
    validation = (meta.get("metrics") or {}).get("validation") or {}
    return (f"logistic regression on the class scores of {', '.join(meta.get('members', {}))}, fitted on their "
            f"scores of PublicTest (C={meta.get('chosen_params', {}).get('C')} chosen by 5-fold cross-validation there, "
            f"out-of-fold accuracy {100 * validation.get('accuracy', float('nan')):.1f}%), so its PublicTest column is "
            "in-sample; the CNN members stopped early on PublicTest; train s adds up the members'")


def _compressed_note(meta):
    """What a compressed model keeps of its exact model, for its row's notes."""
    from hogfer.training.compress import compression_setting

    exact = meta["compressed_from"]
    accuracy = ((exact.get("metrics") or {}).get("validation") or {}).get("accuracy")
    return (f"compressed copy of the trained model ({exact['size_bytes'] / 1e6:.1f} MB"
            + (f", {meta['compression'].get('chosen_on', 'validation')} {100 * accuracy:.1f}%" if accuracy is not None else "")
            + f"): {compression_setting(meta)}; `hogfer train {meta['pipeline']}` makes the exact model")


def _deep_note(meta, engine, tta=None):
    """How a deep model was trained and what it predicts with (engine, test-time augmentation), for its row's notes."""
    flags = ", ".join(f"{k}={v}" for k, v in (meta.get("backend_flags") or {}).items())
    engine = {"keras": "Keras", "onnx": "onnxruntime", "onnx-int8": "onnxruntime, 8-bit copy"}[engine]
    snapshots = (meta.get("chosen_params") or {}).get("snapshots")
    kept = f"the ends of {snapshots} cosine cycles averaged" if snapshots else f"best {meta.get('best_epoch')}"
    epochs = meta.get("epochs_run")
    note = f"{epochs} epoch{'' if epochs == 1 else 's'} ({kept}), trained under Keras {meta.get('backend')}"
    note += f" ({flags})" if flags else ""
    note += f", resumed at epoch {meta['resumed_at_epoch']}" if meta.get("resumed_at_epoch") else ""
    if meta.get("initialized_from"):
        source = (meta.get("initialized_from") or {}).get("source_metadata") or {}
        name = source.get("name") or meta["initialized_from"]["source"]
        before = source.get("lineage_epochs", source.get("epochs_run"))
        note += f", started from {name}" + (f" ({before} epochs before this run, counted in train s)" if before else "")
    if meta.get("distilled_from"):
        names = [(t.get("source_metadata") or {}).get("name") or t["source"] for t in meta["distilled_from"]]
        note += f", distilled from {', '.join(names)} (their training counted in train s)"
    return note + f"; predicts with {engine}" + ("" if tta is None else f", TTA {tta_label(tta)}")

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
        Jobs for feature extraction and training; where given, also the jobs of
        every loaded model and fusion member (their files are not touched);
        where not, each model runs with the jobs it was saved with.
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
    rows, loaded = [], {}
    with progress_bar(total=len(names), desc="bench", unit="pipeline") as bar:
        for name in names:
            bar.set_postfix_str(name)
            rows.append(_bench_one(name, data, test, public, loaded, retrain=retrain, n_jobs=n_jobs, random_state=random_state))
            bar.update()
    made = provenance(Path(__file__).resolve().parent)
    return {
        "date": made["date"],
        "data_file": str(data.source),
        "data_sha256": data.sha256,
        "classes": classes,
        "emotions": list(data.emotions),
        "n_test": len(test),
        "n_public": len(public),
        "machine": made["machine"],
        "libraries": made["libraries"],
        "commit": made["commit"],
        "seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
    }


def _bench_one(name, data, test, public, loaded, *, retrain, n_jobs, random_state):
    row = {"pipeline": name, "seed_accuracy": _seed_accuracy(name), "status": "ok", "notes": []}
    try:
        model, meta, missing = _obtain_model(name, data, public, loaded, retrain=retrain, n_jobs=n_jobs, random_state=random_state)
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
        if meta.get("compressed_from"):
            row["notes"].append(_compressed_note(meta))
        if meta.kind == "fusion":
            row["notes"].append(_fusion_note(meta))
        seconds = train_seconds(meta)
        if meta.is_deep:
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
            train_seconds=seconds,
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
