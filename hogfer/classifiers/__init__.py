"""Classifiers for hogfer's features, scikit-learn estimators: :class:`CompactSVC`."""

from hogfer.classifiers.compact_svc import CompactSVC

__all__ = ["CompactSVC"]
