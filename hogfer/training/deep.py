"""Training, exporting and re-scoring deep pipelines under the shared protocol.

:func:`train_deep` trains a Keras pipeline with early stopping on the
validation split, attaches its checked ONNX copies (:func:`attach_onnx`) and
records the run; :func:`add_onnx` gives a trained model its copies afterwards;
:func:`rescore_model` measures any trained model again as it predicts now.
"""

import hashlib
import json
import logging
import os
import shutil
import time

import numpy as np

from hogfer._env import _cpu_flags, library_versions, now_iso
from hogfer.data.fer2013 import file_sha256
from hogfer.exceptions import HogferError
from hogfer.metrics import evaluate
from hogfer.training.protocol import common_metadata, run_metadata, scores_metadata, validation_split
from hogfer.tta import tta_label

__all__ = ["train_deep", "attach_onnx", "add_onnx", "rescore_model", "rescore_text"]

logger = logging.getLogger(__name__)


_BACKEND_FLAGS = ("KERAS_BACKEND", "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def attach_onnx(model, check_images, calibration_images=None, *, keep_float=True):
    """Give a trained deep model its ONNX copies where an exporter is installed; metadata for them.

    With ``calibration_images`` (training faces) an 8-bit copy is made too; where it
    fails its check, the float copy alone (unless ``keep_float`` is False).
    """
    from hogfer.deep.onnx import QuantizationError, onnx_available

    if not onnx_available(export=True):
        logger.info("ONNX export skipped: install hogfer[export] (onnx, tf2onnx) for fast CPU inference")
        return {"exported": False, "reason": "onnx/tf2onnx not installed"}
    refused = None
    try:
        try:
            model.compile_onnx(check_images, X_calibration=calibration_images, keep_float=keep_float)
        except QuantizationError as exc:
            if not keep_float:
                raise
            logger.warning("no 8-bit copy (%s); the float ONNX copy alone", exc)
            refused = {"made": False, "reason": str(exc)}
            model.compile_onnx(check_images)
    except Exception as exc:  # an exporter failure must not lose hours of training
        logger.warning("ONNX export failed (%s: %s); the model runs under Keras", type(exc).__name__, exc)
        return {"exported": False, "reason": f"{type(exc).__name__}: {exc}"}
    info = {
        "exported": True,
        "size_bytes": len(model.onnx_model_) if model.onnx_model_ is not None else None,
        "max_abs_diff_vs_keras": model.onnx_max_abs_diff_,
        "n_check_faces": len(check_images),
    }
    if refused:
        info["int8"] = refused
    if model.onnx_int8_model_ is not None:
        info["int8"] = {
            "size_bytes": len(model.onnx_int8_model_),
            "n_calibration_faces": len(calibration_images),
            "class_agreement_vs_keras": model.onnx_int8_agreement_,
            "max_abs_diff_vs_keras": model.onnx_int8_max_abs_diff_,
            # 7 bits: exact on every CPU; 8 bits: run only where the CPU does not saturate them
            "weight_bits": 7 if model.onnx_int8_reduce_range_ else 8,
            "first_convolution_float": bool(model.onnx_int8_float_stem_),
            "checked_on_cpu_flags": _cpu_flags(),
        }
    return info


def onnx_faces(train, val, random_state):
    """Check faces (every validation face) and calibration faces (a seeded draw
    of 512 training faces) for the ONNX copies."""
    rng = np.random.default_rng(random_state)
    calibration = train.images[np.sort(rng.choice(len(train), size=min(512, len(train)), replace=False))]
    return val.images, calibration


def score_deep(model, val, test, emotions):
    """Validation scores, PrivateTest predictions and their seconds, with the engine the model uses now."""
    val_scores = evaluate(val.labels, model.predict(val.images), emotions)
    t0 = time.perf_counter()
    test_pred = model.predict(test.images) if len(test) else np.array([], int)
    return val_scores, test_pred, time.perf_counter() - t0


def add_onnx(name_or_path, data, out_dir, *, int8=True, keep_float=True, half_weights=False, allow_external=False):
    """Attach ONNX copies to a trained deep model and write it to ``out_dir``.

    The float copy is checked against Keras on validation faces of ``data``;
    the 8-bit copy (``int8=True``) is calibrated on 512 of its training faces
    and checked on the same validation faces. The model's scores and its
    prediction time are measured again with the engine it now predicts with
    (``predict_engine``); those of the engine before are kept under
    ``metrics_before_onnx``. With ``half_weights``, the Keras weights (which
    ``explain`` and retraining use; the ONNX copies are made from them first)
    are stored in float16. Returns the metadata as written.
    """
    from hogfer.store.files import load_model, save_model

    if not (int8 or keep_float):
        raise HogferError("nothing to export: keep the float copy, the 8-bit one, or both.")
    estimator, metadata = load_model(name_or_path, allow_external=allow_external)
    if not metadata.is_deep:
        raise HogferError(f"{metadata['name']}: ONNX export is for deep models; this one is {metadata.get('kind')}.")
    train, val, _ = validation_split(data, metadata.get("random_state", 0))
    check, calibration = onnx_faces(train, val, metadata.get("random_state", 0))
    info = attach_onnx(estimator, check, calibration if int8 else None, keep_float=keep_float)
    if not info["exported"]:
        raise HogferError(f"{metadata['name']}: ONNX export failed ({info['reason']}).")
    name = metadata["name"]
    metadata = {k: v for k, v in metadata.items() if k not in ("metadata_version", "name", "file", "format", "sha256", "size_bytes")}
    # models written before predict_engine was recorded predicted with their float ONNX copy where they had one
    engine_before = metadata.get("predict_engine") or ("onnx" if (metadata.get("onnx") or {}).get("size_bytes") else "keras")
    metadata["onnx"] = info
    if metadata.get("metrics") and data.sha256 == metadata.get("data_sha256"):
        test = data.select("PrivateTest")
        val_scores, test_pred, predict_seconds = score_deep(estimator, val, test, data.emotions)
        metadata.setdefault("metrics_before_onnx", {
            "metrics": metadata["metrics"],
            "test_predict_seconds": metadata.get("test_predict_seconds"),
            "predict_engine": engine_before,
        })
        metadata["metrics"] = scores_metadata(data, val_scores, test, test_pred)
        metadata["test_predict_seconds"] = round(predict_seconds, 2)
    metadata["predict_engine"] = estimator.engine_used_
    if half_weights:
        estimator.keras_weights_dtype_ = "float16"
        metadata["keras_weights_dtype"] = "float16"
    return save_model(estimator, metadata, out_dir, name)


def rescore_model(name_or_path, data, *, allow_external=False):
    """Score a trained model again, as it predicts now, and rewrite its metadata file in place.

    A deep model's predictions depend on settings outside its weights (its
    test-time augmentation, the engine that runs it), and on the code that
    applies them; when these change, the scores recorded at training describe
    another model. This measures the validation and PrivateTest scores and the
    PrivateTest prediction time again on ``data`` (which must be the file the
    model was trained on) and writes them over the old ones, which are kept,
    newest last, under ``metrics_before_rescore``. The model file is not
    touched, so its hash, and every lineage that names it, stays valid.
    Returns the metadata as written.
    """
    from hogfer.store.files import find_model, load_model, write_metadata

    estimator, metadata = load_model(name_or_path, allow_external=allow_external)
    if data.sha256 != metadata.get("data_sha256"):
        raise HogferError(f"{metadata['name']}: trained on another data file than {data.source}; its scores there would not compare.")
    if not metadata.get("metrics"):
        raise HogferError(f"{metadata['name']}: its metadata holds no scores to measure again.")
    _, val, _ = validation_split(data, metadata.get("random_state", 0))
    test = data.select("PrivateTest")
    val_scores, test_pred, predict_seconds = score_deep(estimator, val, test, data.emotions)
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    before = {
        "metrics": metadata["metrics"],
        "test_predict_seconds": metadata.get("test_predict_seconds"),
        "predict_engine": metadata.get("predict_engine"),
        "predict_tta": metadata.get("predict_tta"),
        "until": now_iso(),
    }
    metadata["metrics_before_rescore"] = [*metadata.get("metrics_before_rescore", []), before]
    metadata["metrics"] = scores_metadata(data, val_scores, test, test_pred)
    metadata["test_predict_seconds"] = round(predict_seconds, 2)
    if "tta" in params:
        metadata["predict_tta"] = tta_label(params["tta"])
    if hasattr(estimator, "engine_used_"):
        metadata["predict_engine"] = estimator.engine_used_
    metadata["rescored_at"] = now_iso()
    metadata["rescored_with"] = library_versions()
    json_path, _ = find_model(name_or_path)
    try:
        write_metadata(json_path, metadata)
    except OSError as exc:
        raise HogferError(f"{json_path}: cannot rewrite it ({exc.strerror or exc}).") from None
    return metadata


def source_sha256(init_from):
    """The content hash of the model ``init_from`` names, or None (its errors come later, from ``fit``)."""
    from hogfer.store.files import find_model, read_metadata

    if init_from is None:
        return None
    try:
        if str(init_from).endswith(".keras"):
            return file_sha256(init_from)
        return read_metadata(find_model(init_from)[0])["sha256"]
    except (OSError, HogferError):
        return None


def checkpoint_folder(name, data, random_state, params):
    """The user-cache folder of the checkpoint of pipeline ``name`` trained on ``data`` with ``params``.

    A checkpoint resumes only the run it was written by: same pipeline, data, seed and
    settings, and the same model to start from (a name may point to a newer one). The
    number of epochs and the time limit only say where the run ends, so a run can be
    extended or cut short; snapshot cycles are laid out over all the epochs, so there
    the number of epochs counts too.
    """
    from hogfer.deep.distillation import teacher_names
    from hogfer.paths import cache_dir

    where_it_ends = {"time_limit"} if (params.get("snapshots") or 1) > 1 else {"time_limit", "epochs"}
    keyed = {
        **{k: v for k, v in params.items() if k not in where_it_ends},
        "init_from_sha256": source_sha256(params.get("init_from")),
        "distill_from_sha256": [source_sha256(t) for t in teacher_names(params.get("distill_from"))],
    }
    settings = hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return cache_dir("checkpoints", f"{name}-{data.classes}-{data.sha256[:12]}-seed{random_state}-{settings}")


def train_deep(name, spec, data, *, n_jobs, random_state, balance, **params):
    """Train a Keras pipeline: early stopping on the validation split, scores on PrivateTest.

    Class balancing is on only with ``balance="on"`` (``auto`` would train twice).
    """
    from hogfer import deep  # noqa: F401
    import keras

    train, val, val_name = validation_split(data, random_state)
    test = data.select("PrivateTest")
    if balance == "on":
        params["class_weight"] = "balanced"
    params.setdefault("checkpoint_dir", str(checkpoint_folder(name, data, random_state, params)))
    model = spec.build(n_jobs=n_jobs, random_state=random_state, **params)
    started = time.perf_counter()
    model.fit(train.images, train.labels, X_val=val.images, y_val=val.labels)
    train_seconds = time.perf_counter() - started
    # The checkpoint only serves to resume an interrupted run; a finished one starts afresh next time.
    shutil.rmtree(params["checkpoint_dir"], ignore_errors=True)
    onnx_info = attach_onnx(model, *onnx_faces(train, val, random_state))
    val_scores, test_pred, predict_seconds = score_deep(model, val, test, data.emotions)
    history = model.history_
    # a snapshot ensemble keeps the end of every cycle: no epoch is chosen
    best_epoch = int(np.argmax(history["val_accuracy"])) + 1 if history.get("val_accuracy") and not model.snapshots else None
    metadata = {
        "kind": "deep",
        **common_metadata(name, spec, data, val_name, len(train), len(val), random_state),
        "chosen_params": {k: v for k, v in model.get_params().items() if k not in ("checkpoint_dir", "verbose")},
        "class_balancing": model.class_weight == "balanced",
        "balance_option": balance,
        "architecture": model.architecture,
        "precision": model.precision_,
        "keras_model_name": model.model_.name,
        "n_parameters": int(model.model_.count_params()),
        "epochs_run": len(history.get("loss", [])),
        "resumed_at_epoch": getattr(model, "resumed_at_epoch_", 0),
        "initialized_from": getattr(model, "initialized_from_", None),
        "distilled_from": getattr(model, "distilled_from_", None),
        "epoch_seconds_total": round(float(sum(history.get("seconds", []))), 1),
        "best_epoch": best_epoch,
        "history": history,
        "backend": keras.backend.backend(),
        "backend_flags": {k: os.environ[k] for k in _BACKEND_FLAGS if k in os.environ},
        "onnx": onnx_info,
        "predict_engine": model.engine_used_,
        "predict_tta": tta_label(model.tta),
        **run_metadata(data, val_scores, test, test_pred, train_seconds, predict_seconds, n_jobs),
    }
    return model, metadata


def rescore_text(card):
    """One line on a re-scored model: its scores now and before."""
    before = card["metrics_before_rescore"][-1]["metrics"]

    def change(split, label):
        now, was = ((m.get(split) or {}).get("accuracy") for m in (card["metrics"], before))
        return f"{label} {now:.2%} (was {was:.2%})" if now is not None and was is not None else f"{label} n/a"

    tta = f", TTA {card['predict_tta']}" if card.get("predict_tta") else ""
    return f"{card['name']}{tta}: {change('validation', 'validation')}, {change('test', 'PrivateTest')}"
