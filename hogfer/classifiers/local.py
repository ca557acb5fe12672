"""Local learning: for each test sample, a classifier fitted on its nearest training samples.

A global classifier must draw one boundary for all faces; a local one is fitted,
at prediction time, on the ``n_neighbors`` training samples nearest to the face
it classifies, so it only has to separate the expressions *of faces like this
one* (same pose, lighting, identity traits). Bottou and Vapnik [1]_ introduced
the idea; Ionescu, Popescu and Grozea [2]_ applied it to FER2013 with bag of
visual words features (nearest neighbours and a local SVM under the same
histogram kernel), and Georgescu, Ionescu and Popescu [3]_ to CNN and
handcrafted features together.

Where all the neighbours share one label, that label is the prediction and
no classifier is fitted. Nothing is learned in ``fit`` except the neighbour
index: the training samples are the model.

References
----------
.. [1] L. Bottou and V. Vapnik, "Local Learning Algorithms", Neural
   Computation 4(6), 1992.
.. [2] R. T. Ionescu, M. Popescu and C. Grozea, "Local Learning to Improve Bag
   of Visual Words Model for Facial Expression Recognition", ICML 2013
   Workshop on Challenges in Representation Learning.
.. [3] M.-I. Georgescu, R. T. Ionescu and M. Popescu, "Local Learning with Deep
   and Handcrafted Features for Facial Expression Recognition", IEEE Access 7,
   2019.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from hogfer.features._parallel import map_batches

__all__ = ["LocalLearningClassifier"]


class LocalLearningClassifier(ClassifierMixin, BaseEstimator):
    """A classifier fitted anew on each test sample's nearest training samples.

    Parameters
    ----------
    estimator : classifier, default=None
        The local classifier (cloned for every test sample whose neighbours
        hold two classes or more); it needs ``decision_function``. ``None``
        means ``LinearSVC(C=1.0)``.
    n_neighbors : int, default=500
        Training samples each local classifier is fitted on (all of them where
        there are fewer).
    metric : str or callable, default="cosine"
        Distance that chooses the neighbours, any metric of
        :class:`sklearn.neighbors.NearestNeighbors` (``"cosine"`` suits
        normalised histograms, whose dot product is the kernel of a linear SVM).
    n_jobs : int, default=None
        Parallel jobs for ``predict`` (joblib, any backend), by batches of test samples.
    batch_size : int, default=256
        Test samples per batch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    X_ : ndarray or sparse matrix of shape (n_train, n_features_in_)
        The training samples (searched by brute force, so nothing else is stored).
    y_ : ndarray of shape (n_train,)
        Training labels, as indices into ``classes_``.

    See Also
    --------
    hogfer.features.BagOfVisualWords : the features of [2]_.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from hogfer.classifiers import LocalLearningClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LocalLearningClassifier(n_neighbors=50).fit(X[:1000], y[:1000])
    >>> float(clf.score(X[1000:1200], y[1000:1200])) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "estimator": [None, HasMethods(["fit", "decision_function"])],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [str, callable],
        "n_jobs": [None, Integral],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator=None, *, n_neighbors=500, metric="cosine", n_jobs=None, batch_size=256):
        self.estimator = estimator
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.n_jobs = n_jobs
        self.batch_size = batch_size

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Keep the training samples ``X`` (dense or sparse) and their labels ``y``.

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y, accept_sparse="csr")
        check_classification_targets(y)
        self.classes_, self.y_ = np.unique(y, return_inverse=True)
        self.X_ = X
        return self

    def _local_estimator(self):
        return LinearSVC(C=1.0) if self.estimator is None else self.estimator

    def decision_function(self, X):
        """Each local classifier's decision values for its test sample, one column per class.

        A local classifier only knows the classes among its neighbours; the
        others get a value one below the lowest of the row. A unanimous
        neighbourhood scores +1 for its class and -1 for the rest.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            With two classes, one value per sample, positive for ``classes_[1]``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = map_batches(self._scores, X, n_jobs=self.n_jobs, batch_size=self.batch_size, desc="local learning")
        return 0.5 * (scores[:, 1] - scores[:, 0]) if len(self.classes_) == 2 else scores

    def predict(self, X):
        """The class with the highest local decision value for each sample in ``X``."""
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)]

    def _scores(self, X):
        n_classes = len(self.classes_)
        k = min(self.n_neighbors, self.X_.shape[0])
        index = NearestNeighbors(n_neighbors=k, metric=self.metric, algorithm="brute").fit(self.X_)
        neighbours = index.kneighbors(X, return_distance=False)
        scores = np.empty((X.shape[0], n_classes), dtype=np.float64)
        for i, idx in enumerate(neighbours):
            labels = self.y_[idx]
            present = np.unique(labels)
            if len(present) == 1:
                scores[i] = -1.0
                scores[i, present[0]] = 1.0
                continue
            local = clone(self._local_estimator()).fit(self.X_[idx], labels)
            values = np.asarray(local.decision_function(X[i : i + 1]), dtype=np.float64).reshape(-1)
            if len(present) == 2:  # binary: one value, positive for the second class
                values = np.array([-values[0], values[0]])
            scores[i] = values.min() - 1.0
            scores[i, local.classes_] = values
        return scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
