"""Emotion probabilities of aligned face crops from any trained model.

:class:`EmotionModel` wraps a model from the model store (see
:mod:`hogfer.store.files`) behind one call, ``predict_proba(crops)``, for the
live app and ``hogfer predict``; :func:`predict_faces` runs it on every face of
an image (:class:`hogfer.faces.pipeline.FacePipeline`). Models without probabilities (an SVM trained
without Platt scaling) give the softmax of their decision values instead.
"""

import functools
import logging
import time

import numpy as np

from hogfer.data.fer2013 import IMAGE_SIZE
from hogfer.exceptions import ArtifactError
from hogfer.faces.photos import PhotoSearch
from hogfer.faces.pipeline import FacePipeline
from hogfer.tta import n_views, tta_label

__all__ = ["EmotionModel", "load_emotion_model", "emotion_model", "predict_faces", "default_model_name", "face_milliseconds", "tta_label", "MIN_FACES_PER_S"]

logger = logging.getLogger(__name__)

#: The live app's speed budget for the emotion model: 5 ms a face.
MIN_FACES_PER_S = 200.0


#: A still image's default model classifies a face within this many milliseconds (by its recorded rate).
PHOTO_FACE_MS = 50.0


def _candidates(min_faces_per_s, *, composites=True):
    """``(fast enough by its recorded rate, validation accuracy, recorded faces/s, name)`` of every 7-class model.

    ``composites=False`` leaves out the fusions (models of other models), which are chosen by name only.
    """
    from hogfer.store.files import iter_cards

    candidates = []
    for name, _, card in iter_cards():
        val, rate = card.score("validation"), card.faces_per_s
        if not composites and card.kind == "fusion":
            continue
        if val is not None:
            candidates.append((rate is not None and rate >= min_faces_per_s, val, rate, name))
    if not candidates:
        raise ArtifactError("No trained emotion model found: run `hogfer train lgbm-pixels` (or any pipeline) first.")
    return candidates


def default_model_name(min_faces_per_s=None):
    """The trained model with the best *validation* accuracy among those fast enough.

    Parameters
    ----------
    min_faces_per_s : float, default=None
        Only models whose prediction rate, as recorded when they were trained
        (on that machine, at that time), reaches it, unless none does. None:
        the still-image rule (``hogfer predict``, ``hogfer serve``,
        :meth:`EmotionModel.load`): a face within :data:`PHOTO_FACE_MS`
        milliseconds, fusions left out (they load every member model; they
        are chosen by name). The live app times the models again on the
        machine it runs on instead (:meth:`EmotionModel.load_for_video`).

    PrivateTest's accuracy plays no part in the choice.
    """
    if min_faces_per_s is None:
        return max(_candidates(1000.0 / PHOTO_FACE_MS, composites=False))[3]
    return max(_candidates(min_faces_per_s))[3]


def face_milliseconds(model, *, n_calls=15, n_warmup=3, random_state=0):
    """Median milliseconds ``model.predict_proba`` takes for one face, called once per face.

    That is how the live app calls an :class:`EmotionModel` (one frame's faces
    at a time), so this, not a batch's throughput, is what must fit its budget.
    The faces are random pixels: hogfer's pipelines do the same work on any
    48x48 face. The first ``n_warmup`` calls (lazy initialisation) are not
    timed; the median shrugs off a call slowed by another process.
    """
    faces = np.random.default_rng(random_state).integers(0, 256, size=(n_warmup + n_calls, 1, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    times = []
    for k, face in enumerate(faces):
        start = time.perf_counter()
        model.predict_proba(face)
        if k >= n_warmup:
            times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def _lighter_tta(tta):
    """The TTA settings to time a model with, from its own ``tta`` down to none (``[None]``: it has no TTA)."""
    if tta is None:
        return [None]
    return [tta] + [lighter for lighter in ("zoom", "flip", False) if n_views(lighter) < n_views(tta)]


class EmotionModel:
    """A trained model that maps 48x48 grey faces to emotion probabilities.

    Parameters
    ----------
    estimator : estimator
        A fitted pipeline taking ``(n, 48, 48)`` uint8 faces.
    metadata : dict
        Its metadata (name, emotions, ...).
    """

    def __init__(self, estimator, metadata):
        self.estimator = estimator
        self.metadata = metadata
        self.name = metadata.get("name") or metadata.get("pipeline")
        self.emotions = tuple(metadata.get("emotions") or ())
        self.face_ms = None  # set by load_for_video: its measured milliseconds a face

    @classmethod
    def load(cls, name=None, *, allow_external=False):
        """Load a model by name or path; the default is the most accurate one (:func:`default_model_name`)."""
        from hogfer.store.files import load_model

        estimator, metadata = load_model(name or default_model_name(), allow_external=allow_external)
        return cls(estimator, metadata)

    @classmethod
    def load_for_video(cls, min_faces_per_s=MIN_FACES_PER_S, *, screen=4.0):
        """The most accurate model (on validation) that predicts one face in time on *this* machine.

        Models are tried from the best validation accuracy down; each is loaded
        and timed with :func:`face_milliseconds`, and the first within
        ``1000 / min_faces_per_s`` ms a face is returned. A deep model over
        budget with its test-time augmentation is timed again with less (the
        four views of ``"zoom"``, then the face and its mirror image, then the
        face alone, see :mod:`hogfer.tta`) before the next model is tried: a
        lighter TTA costs less accuracy than a weaker model (compare the rows of
        ``benchmarks/inference.md``). A rate recorded at training filters the
        candidates first: models ``screen`` times slower than the budget there
        are not loaded at all. When none is fast enough here even so (a busy or
        slow machine), the app runs slower rather than dropping to a weaker
        model: it takes :func:`default_model_name` (with the lightest TTA it
        was timed with), with a warning.
        PrivateTest's accuracy plays no part in the choice.
        """
        from hogfer.store.files import load_model

        budget_ms = 1000.0 / min_faces_per_s
        tried = []
        for _, _, rate, name in sorted(_candidates(min_faces_per_s), key=lambda c: -c[1]):
            if rate is not None and rate * screen < min_faces_per_s:
                continue
            try:
                model = cls(*load_model(name))
            except ArtifactError as exc:
                logger.warning("%s: not loaded (%s)", name, exc)
                continue
            for tta in _lighter_tta(model.tta):
                if tta is not None:
                    model.estimator.set_params(tta=tta)
                model.face_ms = face_milliseconds(model)
                logger.info(
                    "%s%s: %.2f ms a face on this machine (budget %.1f ms)",
                    name, "" if tta is None else f" (tta={tta!r})", model.face_ms, budget_ms,
                )
                if model.face_ms <= budget_ms:
                    return model
            tried.append(model)
        fallback = default_model_name(min_faces_per_s)
        logger.warning("no model predicts a face within %.1f ms here; using %s, fast enough where it was trained", budget_ms, fallback)
        return next((m for m in tried if m.name == fallback), None) or cls.load(fallback)

    @property
    def tta(self):
        """The test-time augmentation the model predicts with (see :mod:`hogfer.tta`), or None."""
        params = self.estimator.get_params() if hasattr(self.estimator, "get_params") else {}
        return params.get("tta")

    def predict_proba(self, crops):
        """Probabilities ``(n, n_emotions)`` for grey crops ``(n, 48, 48)``; each row sums to 1.

        Engines computing in float32 or 8 bits round their softmax, so the rows
        are normalised again in float64 here.
        """
        crops = np.asarray(crops)
        if len(crops) == 0:
            return np.empty((0, len(self.emotions)))
        if hasattr(self.estimator, "predict_proba"):
            probs = np.clip(np.asarray(self.estimator.predict_proba(crops), dtype=np.float64), 0.0, None)
            return probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-300)
        scores = np.asarray(self.estimator.decision_function(crops), dtype=np.float64)
        scores = scores - scores.max(axis=1, keepdims=True)
        expd = np.exp(scores)
        return expd / expd.sum(axis=1, keepdims=True)


def load_emotion_model(model_name=None, *, for_video=False):
    """The emotion model a user names: a name, a file, or ``"none"`` (None).

    Without a name: the most accurate model for photos or, with
    ``for_video``, the live app's choice timed on this machine
    (:meth:`EmotionModel.load_for_video`).
    """
    if model_name and model_name.lower() == "none":
        return None
    if model_name is None and for_video:
        return EmotionModel.load_for_video()
    from hogfer.store.files import is_model_path

    return EmotionModel.load(model_name, allow_external=model_name is not None and is_model_path(model_name))


@functools.lru_cache(maxsize=2)
def _cached_model(name):
    return EmotionModel.load(name)


def emotion_model(model=None):
    """``model`` itself, or the model it names (None: the default), loaded once per process."""
    if model is None or isinstance(model, str):
        return _cached_model(model or default_model_name())
    return model


def predict_faces(image, model=None, *, detector="hog", upsample=1, angles=(-40.0, 40.0), cropped=False):
    """Every face in one image with its emotion probabilities.

    Parameters
    ----------
    image : path-like or ndarray
        A file, or an array of any size: grey, BGR or BGRA, 8 or 16 bits
        (see :func:`hogfer.faces.photos.read_image`).
    model : hogfer.store.emotion.EmotionModel or str, default=None
        The emotion model or its name; None: the most accurate trained model
        by validation accuracy among those within 50 ms a face, fusions left out
        (:func:`hogfer.store.emotion.default_model_name`), loaded once per process.
    detector, upsample, angles, cropped
        See :func:`hogfer.faces.pipeline.find_faces`.

    Returns
    -------
    list of hogfer.faces.records.Face
        Each with ``box``, ``landmarks``, ``crop``, ``probabilities`` (a dict
        over the model's emotions, summing to 1), ``emotion`` and ``model``.

    Examples
    --------
    >>> from hogfer import predict_faces
    >>> for face in predict_faces("group.jpg"):  # doctest: +SKIP
    ...     print(face.box, face.emotion, face.model)
    """
    search = PhotoSearch(detector=detector, upsample=upsample, angles=angles, cropped=cropped)
    return FacePipeline(search, emotion_model(model))(image)
