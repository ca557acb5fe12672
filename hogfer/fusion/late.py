"""Late fusion: the class scores of several trained hogfer models, combined by one classifier.

Each member (a CNN, the hybrid, an SVM on bag-of-visual-words or landmark
features, ...) scores every face: log-probabilities where the member gives
probabilities, decision values where it gives those. A logistic regression on
the standardised scores of all members learns how far to trust each member for
each class. Handcrafted features and CNNs make different mistakes, so such a
combination can gain where averaging similar CNNs does not.

The members are referenced by name and content hash (``member_sha256_``): a
fusion model loads exactly the member files it was fitted with, from any model
folder, and refuses with one line when one is missing or has changed.
"""

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from hogfer.exceptions import ArtifactError
from hogfer.store.card import ModelCard

__all__ = ["LateFusion", "member_scores"]


def member_scores(model, images):
    """Class scores of one trained model on ``images``: log-probabilities, or decision values.

    Returns an array of shape (n_images, n_classes).
    """
    if hasattr(model, "predict_proba"):
        return np.log(np.clip(np.asarray(model.predict_proba(images), dtype=np.float64), 1e-6, 1.0))
    return np.asarray(model.decision_function(images), dtype=np.float64)


class LateFusion(ClassifierMixin, BaseEstimator):
    """A logistic regression on the class scores of trained hogfer models.

    Parameters
    ----------
    members : tuple of str
        Names of the trained models to combine.
    C : float, default=1.0
        Inverse regularisation strength of the logistic regression.

    Attributes
    ----------
    member_sha256_ : dict
        Content hash of each member's model file at fitting time.
    classes_ : ndarray of shape (n_classes,)
    stacker_ : Pipeline
        Standardisation and the logistic regression, on the members' scores.
    """

    def __init__(self, members=(), *, C=1.0):
        self.members = members
        self.C = C

    def bind(self, loaded):
        """Fit-time and bench-time shortcut: ``loaded`` maps names to ``(model, card)`` already in memory.

        Only models whose card hash is the recorded one (or any, before fitting) are used.
        """
        expected = getattr(self, "member_sha256_", None)
        self._models = {n: m for n, (m, card) in loaded.items()
                        if n in self.members and (expected is None or ModelCard(card).holds(expected.get(n)))}
        if expected is None:
            self.member_sha256_ = {n: card.get("sha256") for n, (_, card) in loaded.items() if n in self.members}
        return self

    def _member(self, name):
        models = self.__dict__.setdefault("_models", {})
        if name not in models:
            models[name] = _load_member(name, self.member_sha256_.get(name))
        return models[name]

    def member_models(self):
        """The members' fitted models by name, loaded (and checked against their hashes) where not yet in memory."""
        return {name: self._member(name) for name in self.members}

    def scores(self, images):
        """The members' class scores side by side, shape (n_images, n_members * n_classes).

        Sets ``seconds_per_face_``: the members' times per face added up (a member that
        answered from memory counts the time its real computation took).
        """
        blocks, seconds = [], 0.0
        for name in self.members:
            model = self._member(name)
            start = time.perf_counter()
            blocks.append(member_scores(model, images))
            elapsed = (time.perf_counter() - start) / max(len(images), 1)
            seconds += getattr(model, "seconds_per_face_", None) or elapsed
        self.seconds_per_face_ = seconds
        return np.hstack(blocks)

    def fit(self, images, y):
        """Fit the logistic regression on the members' scores of ``images`` (the members are already trained)."""
        return self.fit_scores(self.scores(images), y)

    def fit_scores(self, scores, y):
        """Fit the logistic regression on precomputed member scores (see :meth:`scores`)."""
        if not hasattr(self, "member_sha256_"):
            self.member_sha256_ = {name: _card_of(name).get("sha256") for name in self.members}
        self.stacker_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=2000))
        self.stacker_.fit(scores, y)
        self.classes_ = self.stacker_.classes_
        return self

    def predict_proba(self, images):
        check_is_fitted(self, "stacker_")
        return self.stacker_.predict_proba(self.scores(images))

    def predict(self, images):
        return self.classes_[np.argmax(self.predict_proba(images), axis=1)]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_models", None)  # members travel as names and hashes, never inside the fusion's file
        state.pop("seconds_per_face_", None)
        return state


def _card_of(name):
    from hogfer.store.files import list_models, read_metadata

    path = list_models().get(name)
    if path is None:
        raise ArtifactError(f"fusion: no trained model named {name!r} to combine (`hogfer train {name}`).")
    return read_metadata(path)


def _load_member(name, sha256):
    """The model file ``name`` whose hash is ``sha256``, from whichever model folder holds it."""
    from hogfer.store.files import find_by_hash, list_models, load_model

    found = find_by_hash(name, sha256)
    if found:
        return load_model(found[0])[0]
    if name not in list_models():
        raise ArtifactError(f"fusion: member {name!r} is missing (trained with sha256 {str(sha256)[:12]}); retrain it or the fusion.")
    raise ArtifactError(f"fusion: member {name!r} is not the model the fusion was trained with (sha256 {str(sha256)[:12]}); "
                        "retrain the fusion (`hogfer train fusion`).")
