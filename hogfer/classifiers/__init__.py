"""Classifiers for hogfer's features, scikit-learn estimators: :class:`CompactSVC`, :class:`LocalLearningClassifier`."""

from hogfer.classifiers.compact_svc import CompactSVC
from hogfer.classifiers.local import LocalLearningClassifier

__all__ = ["CompactSVC", "LocalLearningClassifier"]
