"""Scores reported for every pipeline: accuracy, macro-F1, per-class recall, confusion matrix."""

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

__all__ = ["evaluate", "confusion_normalized"]


def evaluate(y_true, y_pred, emotions):
    """Return the scores of ``y_pred`` against ``y_true`` as plain Python types (JSON-ready).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Class indices.
    emotions : sequence of str
        Class names, index = label.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1``, ``per_class_recall`` ({emotion: recall}),
        ``confusion_matrix`` (rows: true class, columns: predicted), ``n``.
    """
    labels = np.arange(len(emotions))
    recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class_recall": {e: float(r) for e, r in zip(emotions, recall)},
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def confusion_normalized(matrix):
    """Rows of a confusion matrix divided by their sums (0 for empty rows)."""
    m = np.asarray(matrix, dtype=float)
    sums = m.sum(axis=1, keepdims=True)
    return np.divide(m, sums, out=np.zeros_like(m), where=sums > 0)
