"""Emotion probabilities of aligned face crops from any trained model.

:class:`EmotionModel` wraps a model from the model store (see
:mod:`hogfer.model_store`) behind one call, ``predict_proba(crops)``, for the
live app and ``hogfer predict``. Models without probabilities (an SVM trained
without Platt scaling) give the softmax of their decision values instead.
"""

import logging

import numpy as np

from .exceptions import ArtifactError

__all__ = ["EmotionModel", "default_model_name", "MIN_FACES_PER_S"]

logger = logging.getLogger(__name__)

#: The live app's speed budget for the emotion model: 5 ms a face.
MIN_FACES_PER_S = 200.0


def _faces_per_s(meta):
    n = ((meta.get("metrics") or {}).get("test") or {}).get("n")
    seconds = meta.get("test_predict_seconds")
    return n / seconds if n and seconds else None


def default_model_name(min_faces_per_s=MIN_FACES_PER_S):
    """The model with the best *validation* accuracy among those fast enough for live video.

    Speed is the model's own measured prediction rate (recorded at training).
    PrivateTest plays no part in the choice.
    """
    from .model_store import list_models, read_metadata

    candidates = []
    for name, json_path in list_models().items():
        try:
            meta = read_metadata(json_path)
        except ArtifactError:
            continue
        val = ((meta.get("metrics") or {}).get("validation") or {}).get("accuracy")
        rate = _faces_per_s(meta)
        if val is not None and meta.get("classes", "fer7") == "fer7":
            candidates.append((rate is not None and rate >= min_faces_per_s, val, name))
    if not candidates:
        raise ArtifactError("No trained emotion model found: run `hogfer train lgbm-pixels` (or any pipeline) first.")
    return max(candidates)[2]


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

    @classmethod
    def load(cls, name=None, *, allow_external=False):
        """Load a model by name or path; the default is :func:`default_model_name`."""
        from .model_store import load_model

        estimator, metadata = load_model(name or default_model_name(), allow_external=allow_external)
        return cls(estimator, metadata)

    def predict_proba(self, crops):
        """Probabilities ``(n, n_emotions)`` for grey crops ``(n, 48, 48)``."""
        crops = np.asarray(crops)
        if len(crops) == 0:
            return np.empty((0, len(self.emotions)))
        if hasattr(self.estimator, "predict_proba"):
            return np.asarray(self.estimator.predict_proba(crops), dtype=float)
        scores = np.asarray(self.estimator.decision_function(crops), dtype=float)
        scores = scores - scores.max(axis=1, keepdims=True)
        expd = np.exp(scores)
        return expd / expd.sum(axis=1, keepdims=True)
