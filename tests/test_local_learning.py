"""LocalLearningClassifier: scikit-learn's contract, and what local learning is for."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from hogfer.classifiers import LocalLearningClassifier


@parametrize_with_checks([LocalLearningClassifier(n_neighbors=20)])
def test_scikit_learn_contract(estimator, check):
    check(estimator)


def _xor(n, rng):
    """Four clusters at the corners of a square, opposite corners sharing a label: no line separates them."""
    corners = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], dtype=float)
    which = rng.integers(0, 4, n)
    return corners[which] * 4 + rng.normal(0, 0.5, (n, 2)), (which >= 2).astype(int)


def test_local_linear_models_separate_what_a_global_one_cannot():
    rng = np.random.default_rng(0)
    X, y = _xor(600, rng)
    X_test, y_test = _xor(300, rng)
    global_accuracy = LinearSVC().fit(X, y).score(X_test, y_test)
    local = LocalLearningClassifier(LinearSVC(), n_neighbors=60, metric="euclidean").fit(X, y)
    assert global_accuracy < 0.7 and local.score(X_test, y_test) > 0.95


def test_with_every_training_sample_as_neighbour_it_is_the_global_classifier():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(150, 5)), rng.integers(0, 3, 150)
    X_test = rng.normal(size=(40, 5))
    global_svm = LinearSVC(dual=False).fit(X, y)
    local = LocalLearningClassifier(LinearSVC(dual=False), n_neighbors=1000).fit(X, y)
    np.testing.assert_array_equal(local.predict(X_test), global_svm.predict(X_test))
    np.testing.assert_allclose(local.decision_function(X_test), global_svm.decision_function(X_test), rtol=1e-6, atol=1e-9)


def test_one_neighbour_is_the_nearest_neighbour_rule_and_sparse_input_works():
    rng = np.random.default_rng(2)
    X = sp.random(200, 50, density=0.2, random_state=3, format="csr")
    y = rng.integers(0, 4, 200)
    X_test = sp.random(30, 50, density=0.2, random_state=4, format="csr")
    local = LocalLearningClassifier(n_neighbors=1).fit(X, y)
    nearest = KNeighborsClassifier(1, metric="cosine", algorithm="brute").fit(X, y)
    np.testing.assert_array_equal(local.predict(X_test), nearest.predict(X_test))


def test_classes_missing_from_a_neighbourhood_score_below_every_present_class():
    X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [20.0]])
    y = np.array(["a", "a", "b", "b", "b", "c"])
    scores = LocalLearningClassifier(LinearSVC(), n_neighbors=4, metric="euclidean").fit(X, y).decision_function([[0.05]])
    assert scores.shape == (1, 3) and scores[0, 2] < scores[0, :2].min()


def test_wrong_width_is_one_clear_error():
    clf = LocalLearningClassifier(n_neighbors=5).fit(np.eye(10), np.arange(10) % 2)
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.ones((2, 3)))
