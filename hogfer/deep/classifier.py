"""A scikit-learn classifier around hogfer's Keras models.

:class:`KerasFERClassifier` trains and predicts on the same ``(n, 48, 48)``
arrays as the classical pipelines (``fit``, ``predict``, ``predict_proba``),
so ``hogfer train``, ``hogfer bench`` and the live app treat deep and
classical models alike. The hybrid model takes its handcrafted features
from hogfer's own transformers, computed inside ``fit`` and ``predict``.

The training recipe's parts live in :mod:`.recipe`, the engines that run
predictions in :mod:`.engines`, test-time augmentation in :mod:`hogfer.tta`.
"""

import logging
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted

from hogfer.data.fer2013 import IMAGE_SIZE
from hogfer.features._validation import as_image_stack
from hogfer.tta import n_views, tta_views
from hogfer.deep._serialization import fill_old_state, pack_network, unpack_network
from hogfer.deep.hybrid_features import feature_pipeline, transform_features
from hogfer.deep.architectures import ARCHITECTURES, get_architecture
from hogfer.deep.parameters import PARAMETER_CONSTRAINTS, check_parameters
from hogfer.deep.distillation import teacher_names, teacher_probabilities
from hogfer.deep.recipe import even_training_set, final_network, start_or_resume, training_callbacks, validation_split
from hogfer.deep.schedules import budget_end

__all__ = ["KerasFERClassifier", "ARCHITECTURES"]

logger = logging.getLogger(__name__)
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


class KerasFERClassifier(ClassifierMixin, BaseEstimator):
    """A Keras FER model with a scikit-learn face.

    Parameters
    ----------
    architecture : str, default="xception"
        One of :data:`ARCHITECTURES`: the builders of :mod:`hogfer.deep.models`
        and :mod:`hogfer.deep.seed_networks` (``"resnet18"``, ``"wider-cnn"``, ...).
    epochs : int, default=60
        Most epochs (early stopping usually ends sooner).
    batch_size : int, default=64
        An even number: TensorFlow's oneDNN CPU kernels can abort the process
        on an odd-sized training batch, so an odd training set also loses one face.
    learning_rate : float, default=1e-3
        The initial learning rate.
    optimizer : {"adam", "sgd"}, default="adam"
        Adam, or SGD with Nesterov momentum 0.9 (the long schedules of the
        published FER2013 results, with a learning rate near 0.01).
    lr_schedule : {"plateau", "cosine"}, default="plateau"
        ``"plateau"`` halves the learning rate when validation loss stalls;
        ``"cosine"`` decays it from ``learning_rate`` to 1e-6 over ``epochs``
        (Loshchilov & Hutter, 2017, without restarts), the better choice for
        a short run such as fine-tuning.
    warmup_epochs : int, default=0
        With ``lr_schedule="cosine"``: epochs of linear warm-up to ``learning_rate``
        before the decay (Goyal et al., 2017).
    snapshots : int, default=None
        Train a snapshot ensemble of this many cosine cycles over ``epochs``
        (:mod:`hogfer.deep.snapshots`): no early stopping, ``lr_schedule`` ignored.
    time_limit : float, default=None
        Seconds of training the run may take, its resumed parts included: after
        each epoch, where the epochs left would not fit at their mean time, the
        run ends sooner (``end_epoch_``), its cosine decay then ending there too.
    label_smoothing : float, default=0.1
    l2 : float, default=1e-4
    augment : bool, default=True
        On-model augmentation (flip, shift, rotation, zoom, random erasing).
    class_weight : {None, "balanced"}, default=None
    patience : int, default=12
        With ``lr_schedule="plateau"``: epochs without better validation
        accuracy before stopping. A cosine schedule takes all its epochs (a
        fixed budget, whose accuracy often dips before the decay lifts it).
        Either way the weights of the best validation epoch are kept.
    tta : {True, False, "flip", "shifts", "zoom", "affine"}, default=True
        Test-time augmentation: average the predictions over several views of
        each face (:mod:`hogfer.tta`): ``True`` is the recommended set,
        ``"affine"`` (the face and its mirror image, as they are, zoomed in by
        10% and rotated by 5 degrees either way: eight views); ``"zoom"`` (four
        views), ``"shifts"`` (the face, its mirror image and two crops shifted
        by 2 pixels) and ``"flip"`` (two) cost less; False predicts on the
        face alone.
    precision : {"auto", "float32", "mixed_bfloat16"}, default="auto"
        The number format of training (:func:`hogfer.deep.precision.training_policy`):
        ``"auto"`` trains in mixed bfloat16 on a CPU with native bfloat16
        arithmetic and in float32 elsewhere. Weights are float32 either way,
        and the ONNX copies run in float32 (or 8 bits).
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
    init_from : str, path-like or KerasFERClassifier, default=None
        Start from a trained network instead of random weights: a fitted
        KerasFERClassifier, a hogfer deep model (its name, or the path of its
        ``.skops``/``.json``, a file you trust) or a ``.keras`` file. Every layer with the same name and weight
        shapes takes that network's weights (the hybrid, say, starts its image
        trunk from a trained xception); the others start afresh. Ignored when
        resuming. The source must not have been trained on the data you score on.
        ``clone`` copies an estimator parameter unfitted: wrap a fitted source
        in ``sklearn.frozen.FrozenEstimator`` to keep it through ``clone``.
    distill_from : str, path-like, estimator or list of them, default=None
        Knowledge distillation (Hinton et al., 2015): train towards a mix of
        the labels and the mean predicted probabilities of these trained
        models (fitted classifiers with ``predict_proba`` on the same classes,
        or hogfer models: names, or paths of files you trust) on the training
        faces, each predicting as it is configured (its TTA included), computed
        once per fit (kept in the checkpoint). The teachers must not have been
        trained on the data you validate or score on.
    distill_weight : float, default=0.5
        Share of the teachers' probabilities in the training targets (0: the
        labels alone, 1: the teachers alone). Used with ``distill_from``.
    n_jobs : int, default=None
        Jobs for the hybrid's feature extraction, in ``fit`` and, as set at
        the time, in ``predict``/``predict_proba`` (``-1``: every core); and
        TensorFlow's threads for one operation in ``fit`` (None or ``-1``:
        every core; :func:`hogfer.deep.precision.configure_threads`).
    random_state : int, default=0
    verbose : int, default=0
        Log one line per epoch at INFO level when >= 1.

    Attributes
    ----------
    classes_ : ndarray
        Class labels seen in ``fit``.
    model_ : keras.Model
        The trained network in float32 whatever ``precision_`` it trained under,
        so its predictions do not depend on the CPU (with ``snapshots``, their ensemble).
    history_ : dict of list
        Per-epoch loss and accuracy, training and validation, and seconds.
    precision_ : str
        The dtype policy the network trained under (``"float32"`` or ``"mixed_bfloat16"``).
    resumed_at_epoch_ : int
        Epochs already done in the checkpoint this fit resumed from (0 for a fresh run).
    end_epoch_ : int
        Where the run was to end: ``epochs``, or sooner under ``time_limit``.
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
        True: 7-bit weights (exact on every CPU); False: full 8-bit weights, run only
        on CPUs that compute them exactly (x86 with VNNI, ARM). None: no 8-bit copy,
        or one made before the choice was recorded (full 8-bit weights).
    onnx_int8_float_stem_ : bool or None
        True: the 8-bit copy keeps its first convolution in float.
    n_features_in_ : int
        Pixels per image.
    """

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        architecture="xception",
        *,
        epochs=60,
        batch_size=64,
        learning_rate=1e-3,
        optimizer="adam",
        lr_schedule="plateau",
        warmup_epochs=0,
        snapshots=None,
        time_limit=None,
        label_smoothing=0.1,
        l2=1e-4,
        augment=True,
        class_weight=None,
        patience=12,
        tta=True,
        precision="auto",
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
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.warmup_epochs = warmup_epochs
        self.snapshots = snapshots
        self.time_limit = time_limit
        self.label_smoothing = label_smoothing
        self.l2 = l2
        self.augment = augment
        self.class_weight = class_weight
        self.patience = patience
        self.tta = tta
        self.precision = precision
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
        return get_architecture(self.architecture).inputs(images, features)

    def _build(self, n_classes, n_features=None, *, augment=None, policy="float32"):
        from hogfer.deep.precision import dtype_policy

        params = dict(self.model_params or {})
        augment = self.augment if augment is None else augment
        common = {"num_classes": n_classes, "l2": self.l2, "augment": augment, "seed": self.random_state}
        with dtype_policy(policy):
            return get_architecture(self.architecture).build(INPUT_SHAPE, n_features, **common, **params)

    def fit(self, X, y, *, X_val=None, y_val=None):
        """Train on images ``X`` and labels ``y``; early stopping watches ``(X_val, y_val)``.

        Without a validation set, 10% of ``X`` (stratified) is held out for it.
        """
        import keras

        from hogfer.deep.precision import configure_threads, training_policy

        check_parameters(self)
        configure_threads(None if self.n_jobs is None or self.n_jobs < 1 else self.n_jobs)
        self.precision_ = training_policy(self.precision)
        images = as_image_stack(X)
        if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"KerasFERClassifier takes {IMAGE_SIZE}x{IMAGE_SIZE} faces; got {images.shape[1]}x{images.shape[2]}.")
        self.classes_, images, y_idx, val_images, val_idx = validation_split(images, y, X_val, y_val, self.random_state)
        images, y_idx = even_training_set(images, y_idx)
        self.n_features_in_ = IMAGE_SIZE * IMAGE_SIZE
        keras.utils.set_random_seed(self.random_state)
        train_features = val_features = self.features_ = None
        if get_architecture(self.architecture).takes_features:
            self.features_ = feature_pipeline(self.n_jobs)
            train_features = self.features_.fit_transform(images)
            val_features = self.features_.transform(val_images)
        n_classes = len(self.classes_)
        onehot = np.eye(n_classes, dtype="float32")
        x_train, x_val = self._inputs(images, train_features), self._inputs(val_images, val_features)

        checkpoint = Path(self.checkpoint_dir) if self.checkpoint_dir else None
        targets = onehot[y_idx]
        self.distilled_from_ = None
        if teacher_names(self.distill_from):
            teacher_proba, self.distilled_from_ = teacher_probabilities(self.distill_from, images, y_idx, self.classes_, checkpoint)
            targets = (1.0 - self.distill_weight) * targets + self.distill_weight * teacher_proba
        n_features = None if train_features is None else train_features.shape[1]
        model, initial_epoch, history, self.initialized_from_ = start_or_resume(
            self, checkpoint, lambda: self._build(n_classes, n_features, policy=self.precision_)
        )
        self.end_epoch_ = budget_end(self.epochs, initial_epoch, history.get("seconds"), self.time_limit)
        if self.end_epoch_ < self.epochs:
            logger.warning("time limit: the run ends at epoch %d of %d", self.end_epoch_, self.epochs)
        weights = None
        if self.class_weight == "balanced":
            weights = dict(enumerate(compute_class_weight("balanced", classes=np.arange(n_classes), y=y_idx).tolist()))
        callbacks = training_callbacks(self, history, checkpoint, initial_epoch)
        model.fit(x_train, targets, validation_data=(x_val, onehot[val_idx]), epochs=self.end_epoch_, initial_epoch=initial_epoch,
                  batch_size=self.batch_size, class_weight=weights, callbacks=callbacks, verbose=0, shuffle=True)
        model = final_network(model, callbacks, lambda augment=None: self._build(n_classes, n_features, augment=augment), self.precision_)
        self.model_ = model
        self.history_ = history
        self.resumed_at_epoch_ = initial_epoch
        self.onnx_model_ = self.onnx_int8_model_ = self.onnx_int8_agreement_ = self.onnx_int8_reduce_range_ = self.onnx_int8_float_stem_ = None
        for stale in ("_onnx_session", "keras_weights_dtype_"):  # new weights are stored in full unless halved again
            self.__dict__.pop(stale, None)
        return self

    # ------------------------------------------------------------------ inference
    def inference_network(self):
        """The trained network without its augmentation layers (same weights)."""
        from hogfer.deep.onnx import inference_network

        check_is_fitted(self, "model_")
        n_features = get_architecture(self.architecture).n_features(self.model_)
        return inference_network(self.model_, lambda: self._build(len(self.classes_), n_features, augment=False))

    def compile_onnx(self, X_check, *, X_calibration=None, keep_float=True, min_agreement=0.97):
        """Attach ONNX copies of the network for fast CPU inference (the ``export`` extra converts).

        The float copy (``onnx_model_``) must give Keras' probabilities on ``X_check``
        (within 1e-4); the 8-bit one (``onnx_int8_model_``, :func:`hogfer.deep.onnx.quantize_onnx`),
        calibrated on ``X_calibration``, Keras' class on ``min_agreement`` of them. A copy that
        fails raises ``RuntimeError`` (``QuantizationError``) and leaves the model unchanged.

        Parameters
        ----------
        X_check : array-like of faces
            Faces both runtimes are compared on (validation faces, say).
        X_calibration : array-like of faces, default=None
            A few hundred training faces for the 8-bit ranges; None makes no 8-bit copy.
        keep_float : bool, default=True
            Keep the float copy beside the 8-bit one; False saves its size.
        min_agreement : float, default=0.97

        Returns
        -------
        self
        """
        from hogfer.deep.engines import compile_onnx

        return compile_onnx(self, X_check, X_calibration=X_calibration, keep_float=keep_float, min_agreement=min_agreement)

    def _network(self):
        """What runs the network, and how many images it takes best per call.

        onnxruntime runs fastest on small batches here (its activations stay in
        cache: see benchmarks/inference.md); Keras' ``predict`` batches itself.
        """
        from hogfer.deep.engines import choose_network

        return choose_network(self)

    @property
    def engine_used_(self):
        """The engine predictions run on now: ``"keras"``, ``"onnx"`` or ``"onnx-int8"``."""
        check_is_fitted(self, "model_")
        run, _ = self._network()
        cached = self.__dict__.get("_onnx_session")
        return cached[0] if cached is not None and run is cached[1] else "keras"

    def _predict_inputs(self, X):
        images = as_image_stack(X, image_shape=(IMAGE_SIZE, IMAGE_SIZE), estimator=type(self).__name__)
        if self.features_ is None:
            return images, None
        # n_jobs as set now, not as it was in fit: a model trained on one core predicts on all.
        for _, transformer in self.features_[0].transformer_list:  # the union of feature_pipeline
            if transformer.n_jobs != self.n_jobs:  # set_params is not free, and this runs per frame
                transformer.set_params(n_jobs=self.n_jobs)
        return images, transform_features(self.features_, images)

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
        fill_old_state(state)
        self.__dict__.update(unpack_network(state, "model_"))

    def save_keras(self, path):
        """Write the trained network as a ``.keras`` file (for ONNX export or plain Keras use)."""
        check_is_fitted(self, "model_")
        self.model_.save(path)
