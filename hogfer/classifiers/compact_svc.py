"""An RBF support vector machine stored in a fraction of :class:`sklearn.svm.SVC`'s size.

An RBF SVM trained on FER2013 keeps most training faces as support vectors, so
its size is the number of training faces times the number of features, in
64-bit floats. :class:`CompactSVC` keeps the SVM's dual coefficients and
intercepts and stores the support vectors in three cheaper pieces:

1. the support vectors' ``n_components`` principal components (an orthonormal
   projection ``P`` fitted on the support vectors themselves, around their mean);
2. those coordinates on a uniform grid of step ``step`` times their RMS spread,
   in 8 bits where a coordinate's range fits 256 steps and 16 bits where not
   (as two byte planes, so that the high bytes, which take few values, compress);
3. each support vector's exact squared distance to the mean.

The squared distance the RBF kernel needs is then

.. math::

    \\|x - s\\|^2 \\approx \\|x - \\mu\\|^2 + \\|s - \\mu\\|^2 - 2\\,(P(x - \\mu)) \\cdot \\hat z_s

which is exact when ``n_components`` keeps every dimension and ``step`` is 0,
and otherwise drops only the product of the two residuals outside the kept
subspace (near zero where the components hold almost all the variance) and the
rounding of :math:`\\hat z_s`. Keeping the exact norms makes the rounding error
average out rather than inflate every distance.

The decisions are libsvm's: one-vs-one decision values, and a vote among them
for :meth:`CompactSVC.predict` (ties to the lower class, as :class:`SVC`).
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["CompactSVC"]


class CompactSVC(ClassifierMixin, BaseEstimator):
    """An RBF :class:`~sklearn.svm.SVC` with projected, quantised support vectors.

    Parameters
    ----------
    svc : sklearn.svm.SVC, default=None
        The SVM to fit and compress (an RBF kernel; a clone is fitted by
        :meth:`fit`). ``None`` means ``SVC()``. :meth:`from_svc` compresses an
        SVM that is already fitted instead.
    n_components : int or None, default=None
        Principal components of the support vectors kept. ``None`` keeps as
        many as there are features (a rotation, no loss).
    step : float, default=0.03
        Quantisation step, as a fraction of the RMS spread of the projected
        support vectors; 0 stores them as 32-bit floats.
    batch_size : int, default=512
        Rows whose kernel values are computed at once (memory: ``batch_size``
        times the number of support vectors, in 32-bit floats).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    n_support_ : ndarray of shape (n_classes,)
        Support vectors per class, in the order of ``classes_``.
    mean_ : ndarray of shape (n_features_in_,)
        Mean of the support vectors.
    components_ : ndarray of shape (n_components_, n_features_in_)
        The orthonormal projection, float32.
    codes_ : dict
        Grid indices as byte planes: ``"low"`` (every component's low byte),
        ``"high"`` (the high byte of the ``"wide"`` components, those whose
        range needs more than 256 steps); ``"float"`` alone where ``step`` is 0.
    offset_ : ndarray of shape (n_components_,)
        Grid origin of each component.
    step_ : float
        Grid step, in feature units.
    support_sq_norms_ : ndarray of shape (n_SV,)
        Exact squared distance of each support vector to ``mean_``.
    dual_coef_ : ndarray of shape (n_classes - 1, n_SV)
    intercept_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
    gamma_ : float
        The RBF kernel's coefficient.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.svm import SVC
    >>> X, y = load_digits(return_X_y=True)
    >>> svc = SVC(gamma="scale").fit(X, y)
    >>> small = CompactSVC.from_svc(svc, n_components=32)
    >>> bool((small.predict(X) == svc.predict(X)).mean() > 0.99)
    True
    """

    def __init__(self, svc=None, *, n_components=None, step=0.03, batch_size=512):
        self.svc = svc
        self.n_components = n_components
        self.step = step
        self.batch_size = batch_size

    def fit(self, X, y, sample_weight=None):
        """Fit a clone of ``svc`` on ``X``, ``y``, then compress it."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        svc = clone(self.svc) if self.svc is not None else SVC()
        svc.fit(X, y, sample_weight=sample_weight)
        return self._compress(svc)

    @classmethod
    def from_svc(cls, svc, **params):
        """A :class:`CompactSVC` made from an already fitted ``svc`` (no refitting)."""
        return cls(**params)._compress(svc)

    def _compress(self, svc):
        check_is_fitted(svc)
        if svc.kernel != "rbf":
            raise ValueError(f"CompactSVC compresses RBF SVMs; this one's kernel is {svc.kernel!r}")
        if self.step < 0:
            raise ValueError(f"step must be >= 0, got {self.step}")
        support = np.asarray(svc.support_vectors_, dtype=np.float64)
        n_features = support.shape[1]
        k = n_features if self.n_components is None else int(self.n_components)
        if not 1 <= k <= n_features:
            raise ValueError(f"n_components must be between 1 and {n_features}, got {self.n_components}")
        self.classes_ = svc.classes_
        self.n_features_in_ = n_features
        if hasattr(svc, "feature_names_in_"):
            self.feature_names_in_ = svc.feature_names_in_
        self.n_support_ = np.asarray(svc.n_support_)
        self.mean_ = support.mean(axis=0)
        centred = support - self.mean_
        self.support_sq_norms_ = np.einsum("ij,ij->i", centred, centred).astype(np.float32)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        self.components_ = vt[:k].astype(np.float32)
        projected = centred @ vt[:k].T
        self._quantise(projected)
        self.dual_coef_ = np.asarray(svc._dual_coef_, dtype=np.float32)  # libsvm's signs (SVC flips them for two classes)
        self.intercept_ = np.asarray(svc._intercept_, dtype=np.float64)
        self.gamma_ = float(svc._gamma)
        return self

    def _quantise(self, projected):
        if self.step == 0:
            self.step_, self.offset_ = 0.0, np.zeros(projected.shape[1], np.float32)
            self.codes_ = {"float": projected.astype(np.float32)}
            return
        self.step_ = float(self.step * np.sqrt(projected.var(axis=0).mean()))
        self.offset_ = projected.min(axis=0)
        grid = np.rint((projected - self.offset_) / self.step_)
        wide = grid.max(axis=0) > np.iinfo(np.uint8).max
        if grid.max() > np.iinfo(np.uint16).max:
            raise ValueError(f"step={self.step} is too fine for 16-bit codes; use a larger step")
        codes = grid.astype(np.uint16)
        # byte planes, one component after the other (each component's codes then sit together, where
        # a compressor adapts to their spread); the high bytes of the wide components take few values
        self.codes_ = {"low": np.asfortranarray(codes & 0xFF, dtype=np.uint8),
                       "high": np.asfortranarray(codes[:, wide] >> 8, dtype=np.uint8), "wide": wide}

    @property
    def n_components_(self):
        check_is_fitted(self)
        return self.components_.shape[0]

    def support_coordinates(self):
        """The stored support vectors' coordinates on ``components_``, float32 (n_SV, n_components_)."""
        check_is_fitted(self)
        if "float" in self.codes_:
            return self.codes_["float"]
        grid = self.codes_["low"].astype(np.float32)
        grid[:, self.codes_["wide"]] += 256.0 * self.codes_["high"]
        return grid * np.float32(self.step_) + self.offset_.astype(np.float32)

    def _pairwise_decisions(self, X):
        """libsvm's one-vs-one decision values, shape (n_samples, n_classes * (n_classes - 1) / 2)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        coords = self.support_coordinates()
        starts = np.concatenate([[0], np.cumsum(self.n_support_)])
        n = len(self.classes_)
        out = np.empty((len(X), n * (n - 1) // 2))
        for lo in range(0, len(X), self.batch_size):
            centred = X[lo : lo + self.batch_size] - self.mean_
            x_sq = np.einsum("ij,ij->i", centred, centred).astype(np.float32)
            z = (centred @ self.components_.T.astype(np.float64)).astype(np.float32)
            sq_dist = x_sq[:, None] + self.support_sq_norms_[None, :] - 2.0 * (z @ coords.T)
            kernel = np.exp(-self.gamma_ * np.maximum(sq_dist, 0.0))
            pair = 0
            for i in range(n):
                for j in range(i + 1, n):
                    si, sj = slice(starts[i], starts[i + 1]), slice(starts[j], starts[j + 1])
                    value = kernel[:, si] @ self.dual_coef_[j - 1, si] + kernel[:, sj] @ self.dual_coef_[i, sj]
                    out[lo : lo + self.batch_size, pair] = value + self.intercept_[pair]
                    pair += 1
        return out

    def _votes(self, decisions):
        n = len(self.classes_)
        votes = np.zeros((len(decisions), n))
        confidence = np.zeros((len(decisions), n))
        pair = 0
        for i in range(n):
            for j in range(i + 1, n):
                wins = decisions[:, pair] > 0
                votes[wins, i] += 1
                votes[~wins, j] += 1
                confidence[:, i] += decisions[:, pair]
                confidence[:, j] -= decisions[:, pair]
                pair += 1
        return votes, confidence

    def decision_function(self, X):
        """One-vs-rest scores, as :class:`SVC`'s ``decision_function_shape="ovr"``: votes plus a confidence below 1/3.

        With two classes, one score per sample, positive for ``classes_[1]``.
        """
        decisions = self._pairwise_decisions(X)
        if len(self.classes_) == 2:
            return -decisions[:, 0]
        votes, confidence = self._votes(decisions)
        return votes + confidence / (3 * (np.abs(confidence) + 1))

    def predict(self, X):
        """The class with most one-vs-one votes (ties to the lower class, as libsvm)."""
        votes, _ = self._votes(self._pairwise_decisions(X))
        return self.classes_[np.argmax(votes, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
