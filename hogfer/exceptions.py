"""Exceptions raised by hogfer.

Every error a user can cause with bad input derives from :class:`HogferError`,
so the command-line interface can turn it into one clear line and a non-zero
exit instead of a traceback.
"""

__all__ = ["HogferError", "DataError", "ArtifactError"]


class HogferError(Exception):
    """Base class of the errors hogfer raises for bad input."""


class DataError(HogferError, ValueError):
    """A data file or folder is missing, malformed or of the wrong layout."""


class ArtifactError(HogferError):
    """A trained-model artifact is missing, tampered with or incompatible."""
