"""A scikit-learn classifier around hogfer's Keras models.

:class:`KerasFERClassifier` trains and predicts on the same ``(n, 48, 48)``
arrays as the classical pipelines (``fit``, ``predict``, ``predict_proba``),
so ``hogfer train``, ``hogfer bench`` and the live app treat deep and
classical models alike. The hybrid model takes its handcrafted features
from hogfer's own transformers, computed inside ``fit`` and ``predict``.

Training recipe (all parameters): on-model augmentation, label smoothing, L2,
optional class weighting, early stopping and learning-rate reduction on the
validation split, checkpoint-and-resume, a fixed seed, distillation from
trained models, and test-time augmentation (mirror images, zoom, small
rotations or shifted crops: :mod:`hogfer.tta`) at prediction.
"""

import json
import logging
import math
import os
import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted

from .._progress import progress_bar
from ..features._validation import as_image_stack
from ..tta import n_views, tta_views
from ._serialization import pack_network, unpack_network

__all__ = ["KerasFERClassifier", "ARCHITECTURES"]

logger = logging.getLogger(__name__)
ARCHITECTURES = ("xception", "simple-cnn", "hybrid")
LR_SCHEDULES = ("plateau", "cosine")
MIN_LEARNING_RATE = 1e-6


def _feature_pipeline(n_jobs=None):
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..features import HOGFeatures, LandmarkFeatures

    return make_pipeline(
        FeatureUnion([("hog", HOGFeatures(n_jobs=n_jobs)), ("landmarks", LandmarkFeatures(n_jobs=n_jobs))]),
        StandardScaler(),
    )


def _transform_features(pipeline, images):
    """``pipeline.transform(images)`` of the hybrid's fitted feature pipeline, minus its overhead.

    ``images`` is an already checked ``(n, 48, 48)`` stack. For the pipeline
    :func:`_feature_pipeline` builds (a plain union of hogfer's image
    transformers, then a standard scaler) the same arithmetic runs without
    scikit-learn's per-call checks and joblib dispatch, about 2 ms of a single
    face's call on these machines; the result is the same array. Any other
    pipeline goes through its own ``transform``.
    """
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import StandardScaler

    from ..features._base import ImageTransformer

    steps = [step for _, step in pipeline.steps]
    if len(steps) == 2 and type(steps[0]) is FeatureUnion and type(steps[1]) is StandardScaler:
        union, scaler = steps
        parts = [t for _, t in union.transformer_list]
        plain = (
            union.transformer_weights is None
            and all(isinstance(t, ImageTransformer) and t.image_shape_ == images.shape[1:] for t in parts)
            and scaler.with_mean
            and scaler.with_std
            and all(getattr(e, "_sklearn_output_config", {}).get("transform", "default") == "default" for e in (pipeline, union, scaler, *parts))
        )
        if plain:
            features = np.hstack([t._transform_images(images) for t in parts])
            features -= scaler.mean_
            features /= scaler.scale_
            return features
    return pipeline.transform(images)


class KerasFERClassifier(ClassifierMixin, BaseEstimator):
    """A Keras FER model with a scikit-learn face.

    Parameters
    ----------
    architecture : {"xception", "simple-cnn", "hybrid"}, default="xception"
        Which builder of :mod:`hogfer.deep.models` makes the network.
    epochs : int, default=60
        Most epochs (early stopping usually ends sooner).
    batch_size : int, default=64
    learning_rate : float, default=1e-3
        Adam's initial learning rate.
    lr_schedule : {"plateau", "cosine"}, default="plateau"
        ``"plateau"`` halves the learning rate when validation loss stalls;
        ``"cosine"`` decays it from ``learning_rate`` to 1e-6 over ``epochs``
        (Loshchilov & Hutter, 2017, without restarts), the better choice for
        a short run such as fine-tuning.
    label_smoothing : float, default=0.1
    l2 : float, default=1e-4
    augment : bool, default=True
        On-model augmentation (flip, shift, rotation, zoom, random erasing).
    class_weight : {None, "balanced"}, default=None
    patience : int, default=12
        Epochs without better validation accuracy before stopping (the best
        weights are restored).
    tta : {True, False, "flip", "shifts", "zoom", "affine"}, default=True
        Test-time augmentation: average the predictions over several views of
        each face (:mod:`hogfer.tta`): ``True`` is the recommended set,
        ``"affine"`` (the face and its mirror image, as they are, zoomed in by
        10% and rotated by 5 degrees either way: eight views); ``"zoom"`` (four
        views), ``"shifts"`` (the face, its mirror image and two crops shifted
        by 2 pixels) and ``"flip"`` (two) cost less; False predicts on the
        face alone.
    engine : {"auto", "keras", "onnx", "onnx-int8"}, default="auto"
        What runs predictions: Keras, or onnxruntime on the float or the 8-bit
        ONNX copy of the network made by :meth:`compile_onnx`. ``"auto"`` takes
        the 8-bit copy, else the float one, when the model has it and
        onnxruntime is installed, else Keras; it skips an 8-bit copy with full
        8-bit weights on a CPU that would saturate them (see
        ``onnx_int8_reduce_range_``).
    checkpoint_dir : str, default=None
        Save the model and history here after every epoch and resume from it.
    model_params : dict, default=None
        Extra keyword arguments for the builder (``block_filters``, ...).
    init_from : str or path-like, default=None
        Start from a trained network instead of random weights: a hogfer deep
        model (its name, or the path of its ``.skops``/``.json``, a file you
        trust) or a ``.keras`` file. Every layer with the same name and weight
        shapes takes that network's weights (the hybrid, say, starts its image
        trunk from a trained xception); the others start afresh. Ignored when
        resuming from a checkpoint. The source must not have been trained on
        the data you score on.
    distill_from : str or list of str, default=None
        Knowledge distillation (Hinton et al., 2015): train towards a mix of
        the labels and the mean predicted probabilities of these trained
        hogfer models (names, or paths of files you trust) on the training
        faces, each predicting as it is configured (its TTA included). The
        teachers must not have been trained on the data you validate or score
        on. Their probabilities are computed once per fit (kept in the
        checkpoint to resume).
    distill_weight : float, default=0.5
        Share of the teachers' probabilities in the training targets (0: the
        labels alone, 1: the teachers alone). Used with ``distill_from``.
    n_jobs : int, default=None
        Jobs for the hybrid's feature extraction, in ``fit`` and, as set at
        the time, in ``predict``/``predict_proba`` (``-1``: every core).
    random_state : int, default=0
    verbose : int, default=0
        Log one line per epoch at INFO level when >= 1.

    Attributes
    ----------
    classes_ : ndarray
        Class labels seen in ``fit``.
    model_ : keras.Model
        The trained network.
    history_ : dict of list
        Per-epoch loss and accuracy, training and validation, and seconds.
    resumed_at_epoch_ : int
        Epochs already done in the checkpoint this fit resumed from (0 for a fresh run).
    initialized_from_ : dict or None
        With ``init_from``: the source, the names of the layers it initialised,
        and the source model's own metadata where it has one.
    distilled_from_ : list of dict or None
        With ``distill_from``: each teacher, its metadata where it has one, and
        its accuracy on the training faces.
    features_ : Pipeline or None
        The hybrid's fitted feature pipeline.
    onnx_model_ : bytes or None
        The network in ONNX form (float), set by :meth:`compile_onnx`.
    onnx_int8_model_ : bytes or None
        Its 8-bit copy, set by :meth:`compile_onnx` with ``X_calibration``.
    onnx_int8_agreement_ : float or None
        Share of the check faces on which the 8-bit copy predicts Keras' class.
    onnx_int8_reduce_range_ : bool or None
        True where the 8-bit copy has 7-bit weights (exact on every CPU); False
        where it has full 8-bit weights, which it runs with only on CPUs that
        compute them exactly (x86 with VNNI, ARM); the float copy or Keras
        predicts elsewhere. None without an 8-bit copy, or for copies made before
        the choice was recorded (full 8-bit weights).
    n_features_in_ : int
        Pixels per image.
    """

    def __init__(
        self,
        architecture="xception",
        *,
        epochs=60,
        batch_size=64,
        learning_rate=1e-3,
        lr_schedule="plateau",
        label_smoothing=0.1,
        l2=1e-4,
        augment=True,
        class_weight=None,
        patience=12,
        tta=True,
        engine="auto",
        checkpoint_dir=None,
        model_params=None,
        init_from=None,
        distill_from=None,
        distill_weight=0.5,
        n_jobs=None,
        random_state=0,
        verbose=0,
    ):
        self.architecture = architecture
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.label_smoothing = label_smoothing
        self.l2 = l2
        self.augment = augment
        self.class_weight = class_weight
        self.patience = patience
        self.tta = tta
        self.engine = engine
        self.checkpoint_dir = checkpoint_dir
        self.model_params = model_params
        self.init_from = init_from
        self.distill_from = distill_from
        self.distill_weight = distill_weight
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _inputs(self, images, features=None):
        x = images[..., None].astype("float32")
        if self.architecture == "hybrid":
            return {"image": x, "features": features.astype("float32")}
        return x

    def _build(self, n_classes, n_features=None, *, augment=None):
        from . import models

        params = dict(self.model_params or {})
        augment = self.augment if augment is None else augment
        common = {"num_classes": n_classes, "l2": self.l2, "augment": augment, "seed": self.random_state}
        if self.architecture == "xception":
            return models.build_xception((48, 48, 1), **common, **params)
        if self.architecture == "simple-cnn":
            return models.build_simple_cnn((48, 48, 1), **common, **params)
        return models.build_hybrid((48, 48, 1), n_features, **common, **params)

    def fit(self, X, y, *, X_val=None, y_val=None):
        """Train on images ``X`` and labels ``y``; early stopping watches ``(X_val, y_val)``.

        Without a validation set, 10% of ``X`` (stratified) is held out for it.
        """
        import keras

        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}; got {self.architecture!r}.")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}; got {self.lr_schedule!r}.")
        if not 0.0 <= self.distill_weight <= 1.0:
            raise ValueError(f"distill_weight must be between 0 and 1; got {self.distill_weight!r}.")
        images = as_image_stack(X)
        if images.shape[1:] != (48, 48):
            raise ValueError(f"KerasFERClassifier takes 48x48 faces; got {images.shape[1]}x{images.shape[2]}.")
        y = np.asarray(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if X_val is None:
            from sklearn.model_selection import train_test_split

            tr, va = train_test_split(np.arange(len(y)), test_size=0.1, stratify=y_idx, random_state=self.random_state)
            images, val_images, y_idx, val_idx = images[tr], images[va], y_idx[tr], y_idx[va]
        else:
            val_images = as_image_stack(X_val)
            val_idx = np.searchsorted(self.classes_, np.asarray(y_val))
        self.n_features_in_ = 48 * 48
        keras.utils.set_random_seed(self.random_state)

        train_features = val_features = None
        self.features_ = None
        if self.architecture == "hybrid":
            self.features_ = _feature_pipeline(self.n_jobs)
            train_features = self.features_.fit_transform(images)
            val_features = self.features_.transform(val_images)
        n_classes = len(self.classes_)
        onehot = np.eye(n_classes, dtype="float32")
        x_train, x_val = self._inputs(images, train_features), self._inputs(val_images, val_features)

        checkpoint = Path(self.checkpoint_dir) if self.checkpoint_dir else None
        targets = onehot[y_idx]
        self.distilled_from_ = None
        if self.distill_from:
            teacher_proba, self.distilled_from_ = _teacher_probabilities(self.distill_from, images, y_idx, self.classes_, checkpoint)
            targets = (1.0 - self.distill_weight) * targets + self.distill_weight * teacher_proba
        initial_epoch, history = 0, {}
        self.initialized_from_ = None
        if checkpoint and (checkpoint / "last.keras").exists() and (checkpoint / "history.json").exists():
            model = keras.models.load_model(checkpoint / "last.keras")
            state = json.loads((checkpoint / "history.json").read_text())
            initial_epoch, history = state["epoch"], state["history"]
            self.initialized_from_ = _resumed_initialization(state.get("initialized_from"))
            # .keras files do not keep the random streams: without this, the resumed run
            # would replay the first epochs' augmentations and shuffling.
            _restore_seed_states(model, state.get("seed_states"))
            keras.utils.set_random_seed(self.random_state + initial_epoch)
            logger.warning("resuming from %s at epoch %d", checkpoint, initial_epoch)
        else:
            model = self._build(n_classes, None if train_features is None else train_features.shape[1])
            if self.init_from is not None:
                self.initialized_from_ = _initialize_from(model, self.init_from)
                logger.info("%d layers start from %s", len(self.initialized_from_["layers"]), self.init_from)
            model.compile(
                optimizer=keras.optimizers.Adam(self.learning_rate),
                loss=keras.losses.CategoricalCrossentropy(label_smoothing=self.label_smoothing),
                metrics=["accuracy"],
            )
        weights = None
        if self.class_weight == "balanced":
            w = compute_class_weight("balanced", classes=np.arange(n_classes), y=y_idx)
            weights = dict(enumerate(w.tolist()))
        if self.lr_schedule == "cosine":
            schedule = keras.callbacks.LearningRateScheduler(self._cosine_learning_rate)
        else:
            schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(2, self.patience // 3), min_lr=1e-5)
        callbacks = [
            schedule,
            keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=self.patience, restore_best_weights=True),
            _EpochLog(self, history, checkpoint, self.epochs - initial_epoch),
        ]
        model.fit(
            x_train,
            targets,
            validation_data=(x_val, onehot[val_idx]),
            epochs=self.epochs,
            initial_epoch=initial_epoch,
            batch_size=self.batch_size,
            class_weight=weights,
            callbacks=callbacks,
            verbose=0,
            shuffle=True,
        )
        self.model_ = model
        self.history_ = history
        self.resumed_at_epoch_ = initial_epoch
        self.onnx_model_ = self.onnx_int8_model_ = self.onnx_int8_agreement_ = self.onnx_int8_reduce_range_ = None
        self.__dict__.pop("_onnx_session", None)
        return self

    def _cosine_learning_rate(self, epoch, lr=None):
        """The learning rate of (0-based) ``epoch`` under ``lr_schedule="cosine"``."""
        progress = min(epoch / max(self.epochs, 1), 1.0)
        return MIN_LEARNING_RATE + (self.learning_rate - MIN_LEARNING_RATE) * 0.5 * (1.0 + math.cos(math.pi * progress))

    # ------------------------------------------------------------------ inference
    def inference_network(self):
        """The trained network without its augmentation layers (same weights)."""
        from .onnx import inference_network

        check_is_fitted(self, "model_")
        n_features = None
        if self.architecture == "hybrid":
            n_features = int(self.model_.get_layer("features").output.shape[-1])
        return inference_network(self.model_, lambda: self._build(len(self.classes_), n_features, augment=False))

    def compile_onnx(self, X_check, *, X_calibration=None, keep_float=True, min_agreement=0.97):
        """Attach ONNX copies of the network for fast CPU inference.

        The float copy (``onnx_model_``) must give the same probabilities as
        Keras on the faces ``X_check`` (within 1e-4). With ``X_calibration``,
        an 8-bit copy (``onnx_int8_model_``, see
        :func:`hogfer.deep.onnx.quantize_onnx`) is calibrated on those faces
        and must predict Keras' class on at least ``min_agreement`` of
        ``X_check``. A copy that fails its check raises ``RuntimeError``
        (:class:`~hogfer.deep.onnx.QuantizationError` for the 8-bit one) and
        the model is left unchanged. Needs ``onnx`` and ``tf2onnx`` (the ``export``
        extra) to convert, only onnxruntime to run.

        Parameters
        ----------
        X_check : array-like of faces
            Faces both runtimes are compared on (validation faces, say).
        X_calibration : array-like of faces, default=None
            Faces that set the 8-bit ranges (a few hundred training faces);
            None makes no 8-bit copy.
        keep_float : bool, default=True
            Keep the float copy beside the 8-bit one; False saves its size.
        min_agreement : float, default=0.97

        Returns
        -------
        self
        """
        from .onnx import OnnxNetwork, QuantizationError, export_onnx, int8_full_range_exact, quantize_onnx

        if not keep_float and X_calibration is None:
            raise ValueError("keep_float=False needs X_calibration (the 8-bit copy is then the only one).")
        images, features = self._predict_inputs(X_check)
        check_inputs = self._inputs(images, features)
        onnx_bytes, diff = export_onnx(self.inference_network(), check_inputs)
        int8_bytes = agreement = int8_diff = reduce_range = None
        if X_calibration is not None:
            calibration_inputs = self._inputs(*self._predict_inputs(X_calibration))
            expected = OnnxNetwork(onnx_bytes)(check_inputs)

            def checked_copy(reduce_range):
                copy = quantize_onnx(onnx_bytes, calibration_inputs, reduce_range=reduce_range)
                got = OnnxNetwork(copy)(check_inputs)
                agree = float(np.mean(got.argmax(axis=1) == expected.argmax(axis=1)))
                return copy, agree, float(np.abs(got - expected).max()), reduce_range

            # 7-bit weights: the same integers on every CPU. Full 8-bit weights only where
            # this CPU computes them exactly, and then they run only on such CPUs (_network).
            int8_bytes, agreement, int8_diff, reduce_range = checked_copy(True)
            if agreement < min_agreement and int8_full_range_exact():
                full = checked_copy(False)
                if full[1] > agreement:
                    int8_bytes, agreement, int8_diff, reduce_range = full
            if agreement < min_agreement:
                raise QuantizationError(
                    f"the 8-bit copy predicts Keras' class on {agreement:.1%} of the check faces (< {min_agreement:.0%})."
                )
        self.onnx_model_ = onnx_bytes if keep_float else None
        self.onnx_max_abs_diff_ = diff
        self.onnx_int8_model_ = int8_bytes
        self.onnx_int8_agreement_ = agreement
        self.onnx_int8_max_abs_diff_ = int8_diff
        self.onnx_int8_reduce_range_ = reduce_range
        self.__dict__.pop("_onnx_session", None)
        return self

    def _network(self):
        """What runs the network, and how many images it takes best per call.

        onnxruntime runs fastest on small batches here (its activations stay in
        cache: see benchmarks/inference.md); Keras' ``predict`` batches itself.
        """
        engines = ("auto", "keras", "onnx", "onnx-int8")
        if self.engine not in engines:
            raise ValueError(f"engine must be one of {', '.join(map(repr, engines))}; got {self.engine!r}.")
        copies = {"onnx-int8": getattr(self, "onnx_int8_model_", None), "onnx": getattr(self, "onnx_model_", None)}
        wanted = {"auto": ["onnx-int8", "onnx"], "onnx": ["onnx"], "onnx-int8": ["onnx-int8"], "keras": []}[self.engine]
        saturating = "onnx-int8" in wanted and copies["onnx-int8"] is not None and not self._int8_copy_exact_here()
        if saturating and self.engine == "auto":  # a full-range copy off a VNNI CPU: the float copy, or Keras
            wanted = ["onnx"]
        which = next((w for w in wanted if copies[w] is not None), None)
        if saturating and self.engine not in self.__dict__.setdefault("_warned_int8", set()):
            self._warned_int8.add(self.engine)  # once per engine: auto's notice does not silence onnx-int8's warning
            logger.log(  # auto's fallback is by design; running the copy anyway is worth a warning
                logging.INFO if self.engine == "auto" else logging.WARNING,
                "this model's 8-bit copy has full 8-bit weights, which this CPU (x86 without VNNI) can saturate; %s",
                f"predicting with {'its float ONNX copy' if which else 'Keras'} instead" if self.engine == "auto"
                else "its predictions may differ from the checked ones (engine='auto' avoids it)",
            )
        if which is not None:
            from .onnx import OnnxNetwork, onnx_available

            if onnx_available():
                cached = self.__dict__.get("_onnx_session")
                if cached is None or cached[0] != which:
                    self._onnx_session = cached = (which, OnnxNetwork(copies[which]))
                return cached[1], 32
        if self.engine != "auto" and self.engine != "keras":
            raise RuntimeError(
                f"engine={self.engine!r} needs onnxruntime and a model with that ONNX copy (compile_onnx)."
            )
        import keras

        model = self.model_

        def run(inputs):
            n = len(inputs["image"] if isinstance(inputs, dict) else inputs)
            if n <= 64:  # predict() costs tens of milliseconds per call; a direct call does not
                return keras.ops.convert_to_numpy(model(inputs, training=False))
            return model.predict(inputs, batch_size=256, verbose=0)

        return run, 1024

    def _int8_copy_exact_here(self):
        """Whether this CPU computes the 8-bit copy as the CPU that checked it did.

        Copies with 7-bit weights do on every CPU; those with full 8-bit weights
        (and those saved before the choice was recorded) only where
        :func:`~hogfer.deep.onnx.int8_full_range_exact` holds.
        """
        from .onnx import int8_full_range_exact

        return bool(getattr(self, "onnx_int8_reduce_range_", None)) or int8_full_range_exact()

    @property
    def engine_used_(self):
        """The engine predictions run on now: ``"keras"``, ``"onnx"`` or ``"onnx-int8"``."""
        check_is_fitted(self, "model_")
        run, _ = self._network()
        cached = self.__dict__.get("_onnx_session")
        return cached[0] if cached is not None and run is cached[1] else "keras"

    def _predict_inputs(self, X):
        images = as_image_stack(X, image_shape=(48, 48), estimator=type(self).__name__)
        if self.features_ is None:
            return images, None
        # n_jobs as set now, not as it was in fit: a model trained on one core predicts on all.
        for _, transformer in self.features_[0].transformer_list:  # the union of _feature_pipeline
            if transformer.n_jobs != self.n_jobs:  # set_params is not free, and this runs per frame
                transformer.set_params(n_jobs=self.n_jobs)
        return images, _transform_features(self.features_, images)

    def predict_proba(self, X):
        """Class probabilities ``(n, n_classes)``, averaged over test-time augmentations if ``tta``."""
        check_is_fitted(self, "model_")
        k = n_views(self.tta)  # an unknown set raises here, before any work
        images, features = self._predict_inputs(X)
        run, views_per_call = self._network()
        n, out = len(images), []
        # All views of a chunk of faces go through the network in one call; the views
        # are made chunk by chunk, so a large X does not take k copies of itself.
        chunk = max(1, views_per_call // k)
        for start in range(0, n, chunk):
            part = slice(start, start + chunk)
            stacked = np.concatenate(tta_views(images[part], self.tta))
            feats = None if features is None else np.concatenate([features[part]] * k)
            probs = np.asarray(run(self._inputs(stacked, feats)))
            out.append(probs.reshape(k, -1, probs.shape[-1]).mean(axis=0))
        return np.concatenate(out) if out else np.zeros((0, len(self.classes_)), dtype="float32")

    def predict(self, X):
        """Predicted class labels."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # ------------------------------------------------------------------ pickling / skops
    # The network travels as its architecture (JSON) and weights (arrays), without
    # the optimizer's state: plain data that skops stores without pickle.
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_onnx_session", None)
        state.pop("_warned_int8", None)
        return pack_network(state, "model_")

    def __setstate__(self, state):
        state.setdefault("engine", "auto")  # models saved before the engine parameter
        state.setdefault("lr_schedule", "plateau")  # ... before the schedule and init_from parameters
        state.setdefault("init_from", None)
        state.setdefault("distill_from", None)  # ... before distillation
        state.setdefault("distill_weight", 0.5)
        if "model_" in state:  # models saved before the 8-bit copy
            state.setdefault("onnx_int8_model_", None)
            state.setdefault("onnx_int8_agreement_", None)
            state.setdefault("onnx_int8_reduce_range_", None)  # ... before 7-bit weights: full 8-bit ones
        self.__dict__.update(unpack_network(state, "model_"))

    def save_keras(self, path):
        """Write the trained network as a ``.keras`` file (for ONNX export or plain Keras use)."""
        check_is_fitted(self, "model_")
        self.model_.save(path)


def _source_network(init_from):
    """The trained network ``init_from`` names, and the metadata of the hogfer model it comes from."""
    import keras

    if str(init_from).endswith(".keras"):
        if not Path(init_from).is_file():
            raise ValueError(f"init_from: no such file {init_from}.")
        return keras.models.load_model(init_from, compile=False), None
    from ..model_store import load_model

    estimator, metadata = load_model(init_from, allow_external=True)
    if not hasattr(estimator, "model_"):
        raise ValueError(f"init_from: {init_from} is not a deep model (it has no Keras network).")
    return estimator.model_, metadata


def _initialize_from(model, init_from):
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
        raise ValueError(f"init_from: no layer of {init_from} matches this {model.name} network by name and shape.")
    return {"source": str(init_from), "layers": copied, "source_metadata": _lineage_metadata(metadata)}


def teacher_names(distill_from):
    """``distill_from`` as a list of teachers (one name or path, several, or None)."""
    if not distill_from:
        return []
    return [distill_from] if isinstance(distill_from, (str, os.PathLike)) else list(distill_from)


def _teacher_probabilities(distill_from, images, y_idx, classes, checkpoint=None):
    """Mean predicted probabilities of the ``distill_from`` models on ``images``, and what to record of them.

    With a ``checkpoint`` folder, they are kept there (``teachers.npz``) and
    reused by a resumed run.
    """
    from ..model_store import load_model

    names = teacher_names(distill_from)
    cached = checkpoint / "teachers.npz" if checkpoint else None
    if cached is not None and cached.exists():
        with np.load(cached, allow_pickle=False) as stored:
            if stored["proba"].shape == (len(images), len(classes)):
                logger.info("teacher probabilities from %s", cached)
                return stored["proba"], json.loads(str(stored["record"]))
    probas, record = [], []
    for name in names:
        teacher, metadata = load_model(name, allow_external=True)
        if not hasattr(teacher, "predict_proba"):
            raise ValueError(f"distill_from: {name} does not predict probabilities.")
        teacher_classes = getattr(teacher, "classes_", None)
        if teacher_classes is None or not np.array_equal(np.asarray(teacher_classes), classes):
            raise ValueError(f"distill_from: {name} does not predict the classes {list(classes)}.")
        proba = np.asarray(teacher.predict_proba(images), dtype="float32")
        probas.append(proba)
        record.append({
            "source": str(name),
            "source_metadata": _lineage_metadata(metadata),
            "training_accuracy": round(float(np.mean(proba.argmax(axis=1) == y_idx)), 4),
        })
        logger.info("teacher %s: %.1f%% on the training faces", name, 100 * record[-1]["training_accuracy"])
    proba = np.mean(probas, axis=0)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name("teachers.tmp.npz")
        np.savez(partial, proba=proba, record=json.dumps(record))
        os.replace(partial, cached)
    return proba, record


def _lineage_metadata(metadata):
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


def _resumed_initialization(stored):
    """What a resumed run records of the model it started from.

    The checkpoint's record, brought up to date from the source's metadata where
    it lacks the ``lineage`` of :func:`_lineage_metadata` (checkpoints written by
    an older hogfer) and the source is still the same model (same sha256).
    """
    from ..exceptions import HogferError
    from ..model_store import find_model, read_metadata

    recorded = (stored or {}).get("source_metadata") or {}
    if "lineage" in recorded or not recorded.get("sha256"):
        return stored
    try:
        metadata = read_metadata(find_model(stored["source"])[0])
    except HogferError:
        return stored
    if metadata.get("sha256") != recorded["sha256"]:
        return stored
    return {**stored, "source_metadata": _lineage_metadata(metadata)}


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


def _seed_states(model):
    """The state of each of ``model``'s random streams, as plain lists for a checkpoint."""
    import keras

    return {name: keras.ops.convert_to_numpy(g.state).tolist() for name, g in _seed_generators(model).items()}


def _restore_seed_states(model, states):
    """Put ``model``'s random streams back where :func:`_seed_states` found them."""
    for name, generator in _seed_generators(model).items():
        if states and name in states:
            generator.state.assign(np.asarray(states[name], dtype=generator.state.dtype))


def _epoch_callback_base():
    import keras

    return keras.callbacks.Callback


class _EpochLog(_epoch_callback_base()):
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
            state = {"epoch": epoch + 1, "history": self.history, "initialized_from": self.owner.initialized_from_,
                     "seed_states": _seed_states(self.model)}
            (self.checkpoint / "history.tmp.json").write_text(json.dumps(state))
            os.replace(self.checkpoint / "history.tmp.json", self.checkpoint / "history.json")

    def on_train_end(self, logs=None):
        self.bar.close()

