"""The training recipe's parts around :meth:`KerasFERClassifier.fit <hogfer.deep.KerasFERClassifier.fit>`.

Starting from a trained model's weights (``init_from``) with its lineage,
distillation targets from trained teachers (``distill_from``), and
checkpoint-and-resume: the per-epoch log that writes ``last.keras`` and
``history.json``, and the random streams a resumed run restores so that it
does not replay the first epochs' augmentations.
"""

import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from hogfer._io import temporary_path
from hogfer._progress import progress_bar
from hogfer.deep.schedules import MIN_LEARNING_RATE, budget_end, cosine_learning_rate  # noqa: F401  (public here too)

__all__ = ["source_label", "even_training_set", "final_network", "validation_split", "start_or_resume", "training_callbacks", "cosine_learning_rate", "MIN_LEARNING_RATE", "initialize_from", "lineage_metadata", "resumed_initialization",
           "seed_states", "restore_seed_states", "EpochLog"]

logger = logging.getLogger(__name__)


def even_training_set(images, y_idx):
    """``(images, y_idx)`` with an even number of faces: the last one dropped from an odd set.

    With an even ``batch_size`` every training batch is then even: TensorFlow's
    oneDNN CPU kernels (separable convolutions with batch normalization, on
    more than one thread) can abort the process on an odd-sized training batch.
    """
    if len(y_idx) % 2 and len(y_idx) > 1:
        logger.debug("odd training set: its last face is left out (%d -> %d faces)", len(y_idx), len(y_idx) - 1)
        return images[:-1], y_idx[:-1]
    return images, y_idx


def final_network(model, callbacks, rebuild, precision):
    """The network ``fit`` keeps: the snapshot ensemble where one was trained, else ``model`` in float32.

    ``rebuild(augment=None)`` builds the architecture in float32; a network
    trained under a mixed policy is copied into it (weights and random streams),
    so that predictions do not depend on the CPU's bfloat16 arithmetic.
    """
    from hogfer.deep.snapshots import SnapshotLog, snapshot_ensemble

    log = next((c for c in callbacks if isinstance(c, SnapshotLog)), None)
    if log is not None:
        return snapshot_ensemble(log.weights, rebuild, f"{model.name}_snapshots")
    if precision == "float32":
        return model
    network = rebuild()
    network.set_weights(model.get_weights())
    restore_seed_states(network, seed_states(model))
    return network


def validation_split(images, y, X_val, y_val, random_state):
    """``(classes, images, y_idx, val_images, val_idx)``: the training and validation faces with class indices.

    Without ``X_val``, 10% of ``images`` (stratified) is held out for validation.
    """
    from hogfer.features._validation import as_image_stack

    classes, y_idx = np.unique(np.asarray(y), return_inverse=True)
    if X_val is None:
        from sklearn.model_selection import train_test_split

        tr, va = train_test_split(np.arange(len(y_idx)), test_size=0.1, stratify=y_idx, random_state=random_state)
        return classes, images[tr], y_idx[tr], images[va], y_idx[va]
    return classes, images, y_idx, as_image_stack(X_val), np.searchsorted(classes, np.asarray(y_val))


def training_callbacks(clf, history, checkpoint, initial_epoch):
    """The learning-rate schedule, the best epoch by validation accuracy, and the epoch log with its checkpoints.

    The plateau schedule stops after ``clf.patience`` epochs without a better
    validation accuracy; the cosine one runs to its end.

    With ``clf.snapshots``: the cyclic schedule and the snapshots' log instead
    of early stopping (:mod:`hogfer.deep.snapshots`).
    """
    import keras

    if clf.snapshots:
        from hogfer.deep.schedules import snapshot_epochs, snapshot_learning_rate
        from hogfer.deep.snapshots import SnapshotLog

        schedule = keras.callbacks.LearningRateScheduler(
            lambda epoch, lr=None: snapshot_learning_rate(epoch, clf.epochs, clf.snapshots, clf.learning_rate))
        log = SnapshotLog(snapshot_epochs(clf.epochs, clf.snapshots), checkpoint)  # before EpochLog moves the checkpoint on
        return [schedule, log, EpochLog(clf, history, checkpoint, clf.epochs - initial_epoch)]
    if clf.lr_schedule == "cosine":
        schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr=None: cosine_learning_rate(epoch, clf.end_epoch_, clf.learning_rate, clf.warmup_epochs))
        patience = clf.epochs  # restores the best epoch, never stops early
    else:
        schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(2, clf.patience // 3), min_lr=1e-5)
        patience = clf.patience
    return [
        schedule,
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True),
        EpochLog(clf, history, checkpoint, clf.epochs - initial_epoch),
    ]


def start_or_resume(clf, checkpoint, build):
    """The network to train: resumed from ``checkpoint``, or built (and started from ``init_from``) and compiled.

    Returns
    -------
    model : keras.Model
    initial_epoch : int
    history : dict
        The epochs logged so far.
    initialized_from : dict or None
        What the weights started from (see :func:`initialize_from`).
    """
    import keras

    if checkpoint and (checkpoint / "last.keras").exists() and (checkpoint / "history.json").exists():
        model = keras.models.load_model(checkpoint / "last.keras")
        state = json.loads((checkpoint / "history.json").read_text())
        if state["epoch"] >= clf.epochs:
            raise ValueError(f"the checkpoint in {checkpoint} has already run {state['epoch']} epochs; "
                             f"ask for more than that, or delete it to start afresh")
        if state.get("epochs", clf.epochs) != clf.epochs:
            logger.warning("the run planned for %d epochs now ends at %d", state["epochs"], clf.epochs)
        # .keras files do not keep the random streams: without this, the resumed run
        # would replay the first epochs' augmentations and shuffling.
        restore_seed_states(model, state.get("seed_states"))
        keras.utils.set_random_seed(clf.random_state + state["epoch"])
        logger.warning("resuming from %s at epoch %d", checkpoint, state["epoch"])
        return model, state["epoch"], state["history"], resumed_initialization(state.get("initialized_from"))
    model, initialized_from = build(), None
    if clf.init_from is not None:
        initialized_from = initialize_from(model, clf.init_from)
        logger.info("%d layers start from %s", len(initialized_from["layers"]), clf.init_from)
    optimizer = (keras.optimizers.SGD(clf.learning_rate, momentum=0.9, nesterov=True) if clf.optimizer == "sgd"
                 else keras.optimizers.Adam(clf.learning_rate))
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=clf.label_smoothing),
        metrics=["accuracy"],
    )
    return model, 0, {}, initialized_from

def source_label(source):
    """How a record names a model given as a name, a path or a fitted estimator."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    architecture = getattr(source, "architecture", None)
    return f"{type(source).__name__}({architecture!r})" if architecture else type(source).__name__


def _trained_model(source, parameter):
    """``(estimator, metadata)`` of a fitted estimator as it is, or of the hogfer model a name or path gives."""
    from sklearn.base import BaseEstimator
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if isinstance(source, BaseEstimator):
        try:
            check_is_fitted(source)
        except NotFittedError:
            raise ValueError(f"{parameter}: the {type(source).__name__} given is not fitted.") from None
        return source, getattr(source, "metadata_", None)
    from hogfer.store.files import load_model

    return load_model(source, allow_external=True)


def _source_network(init_from):
    """The trained network ``init_from`` gives, and the metadata of the hogfer model it comes from."""
    import keras

    if isinstance(init_from, (str, os.PathLike)) and str(init_from).endswith(".keras"):
        if not Path(init_from).is_file():
            raise ValueError(f"init_from: no such file {init_from}.")
        return keras.models.load_model(init_from, compile=False), None
    estimator, metadata = _trained_model(init_from, "init_from")
    if not hasattr(estimator, "model_"):
        raise ValueError(f"init_from: {source_label(init_from)} is not a deep model (it has no Keras network).")
    return estimator.model_, metadata


def initialize_from(model, init_from):
    """Copy into ``model`` the weights of every layer of ``init_from`` with the same name and shapes."""
    source, metadata = _source_network(init_from)
    by_name = {layer.name: layer for layer in source.layers}
    copied = []
    for layer in model.layers:
        weights = layer.get_weights()
        twin = by_name.get(layer.name)
        if not weights or twin is None:
            continue
        theirs = twin.get_weights()
        if len(theirs) == len(weights) and all(a.shape == b.shape for a, b in zip(weights, theirs)):
            layer.set_weights(theirs)
            copied.append(layer.name)
    if not copied:
        raise ValueError(f"init_from: no layer of {source_label(init_from)} matches this {model.name} network by name and shape.")
    return {"source": source_label(init_from), "layers": copied, "source_metadata": lineage_metadata(metadata)}


def lineage_metadata(metadata):
    """What a model started from ``metadata``'s model keeps of it.

    ``lineage_epochs`` and ``lineage_epoch_seconds`` add up the epochs of the source
    and of every model it started from in turn, so that a chain of continued runs
    reports its whole training; ``lineage`` lists those runs (source first), so
    that models sharing an ancestor (an ensemble's members) count it once.
    """
    if not metadata:
        return None
    keep = ("name", "pipeline", "architecture", "sha256", "data_sha256", "epochs_run", "best_epoch", "epoch_seconds_total", "hardware", "backend")
    source_metadata = {k: metadata[k] for k in keep if k in metadata}
    if metadata.get("metrics"):
        source_metadata["validation_accuracy"] = metadata["metrics"]["validation"]["accuracy"]
    ancestor = (metadata.get("initialized_from") or {}).get("source_metadata") or {}
    for total, own in (("lineage_epochs", "epochs_run"), ("lineage_epoch_seconds", "epoch_seconds_total")):
        if metadata.get(own) is not None:
            source_metadata[total] = metadata[own] + ancestor.get(total, ancestor.get(own, 0))
    run = ("name", "sha256", "epochs_run", "epoch_seconds_total")
    earlier = ancestor.get("lineage") or ([{k: ancestor[k] for k in run if k in ancestor}] if ancestor else [])
    source_metadata["lineage"] = [{k: metadata[k] for k in run if k in metadata}, *earlier]
    return source_metadata


def resumed_initialization(stored):
    """What a resumed run records of the model it started from.

    The checkpoint's record, brought up to date from the source's metadata where
    it lacks the ``lineage`` of :func:`lineage_metadata` (checkpoints written by
    an older hogfer) and the source is still the same model (same sha256).
    """
    from hogfer.exceptions import HogferError
    from hogfer.store.files import find_model, read_metadata

    recorded = (stored or {}).get("source_metadata") or {}
    if "lineage" in recorded or not recorded.get("sha256"):
        return stored
    try:
        metadata = read_metadata(find_model(stored["source"])[0])
    except HogferError:
        return stored
    if metadata.get("sha256") != recorded["sha256"]:
        return stored
    return {**stored, "source_metadata": lineage_metadata(metadata)}


def _seed_generators(model):
    """``{"layer.attribute": SeedGenerator}`` of every layer of ``model`` (augmentation, dropout)."""
    import keras

    found, stack = {}, list(model.layers)
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        for attribute, value in vars(layer).items():
            if isinstance(value, keras.random.SeedGenerator):
                found[f"{layer.name}.{attribute}"] = value
    return found


def seed_states(model):
    """The state of each of ``model``'s random streams, as plain lists for a checkpoint."""
    import keras

    return {name: keras.ops.convert_to_numpy(g.state).tolist() for name, g in _seed_generators(model).items()}


def restore_seed_states(model, states):
    """Put ``model``'s random streams back where :func:`seed_states` found them."""
    for name, generator in _seed_generators(model).items():
        if states and name in states:
            generator.state.assign(np.asarray(states[name], dtype=generator.state.dtype))


def _epoch_callback_base():
    import keras

    return keras.callbacks.Callback


class EpochLog(_epoch_callback_base()):
    """Log each epoch, update the progress bar, save the history and the checkpoint."""

    def __init__(self, owner, history, checkpoint, total):
        super().__init__()
        self.owner, self.history, self.checkpoint = owner, history, checkpoint
        self.bar = progress_bar(total=total, desc=f"{owner.architecture} epochs", unit="epoch")
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))
        self.history.setdefault("seconds", []).append(round(time.perf_counter() - self.t0, 1))
        self.t0 = time.perf_counter()
        end = budget_end(self.owner.end_epoch_, epoch + 1, self.history["seconds"], self.owner.time_limit)
        if end < self.owner.end_epoch_:
            logger.warning("time limit: the run now ends at epoch %d (planned: %d)", end, self.owner.end_epoch_)
            self.owner.end_epoch_ = end
        if epoch + 1 >= end:
            self.model.stop_training = True
        self.bar.set_postfix(acc=f"{logs.get('accuracy', 0):.3f}", val_acc=f"{logs.get('val_accuracy', 0):.3f}")
        self.bar.update()
        if self.owner.verbose:
            logger.info(
                "epoch %d: loss %.4f acc %.4f val_loss %.4f val_acc %.4f",
                epoch + 1, logs.get("loss", 0), logs.get("accuracy", 0), logs.get("val_loss", 0), logs.get("val_accuracy", 0),
            )
        if self.checkpoint is not None:
            self.checkpoint.mkdir(parents=True, exist_ok=True)
            tmp = self.checkpoint / "last.tmp.keras"
            self.model.save(tmp)
            os.replace(tmp, self.checkpoint / "last.keras")
            state = {"epoch": epoch + 1, "epochs": self.owner.epochs, "history": self.history, "initialized_from": self.owner.initialized_from_,
                     "seed_states": seed_states(self.model)}
            (self.checkpoint / "history.tmp.json").write_text(json.dumps(state))
            os.replace(self.checkpoint / "history.tmp.json", self.checkpoint / "history.json")

    def on_train_end(self, logs=None):
        self.bar.close()
