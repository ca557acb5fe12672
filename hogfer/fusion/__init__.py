"""Fusion of trained hogfer models: :class:`LateFusion`."""

from hogfer.fusion.late import LateFusion, member_scores

__all__ = ["LateFusion", "member_scores"]
