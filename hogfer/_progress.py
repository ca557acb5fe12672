"""Progress bars the caller can turn on and off (off by default in the library)."""

import contextlib
import contextvars

__all__ = ["show_progress", "progress_bar"]

_ENABLED = contextvars.ContextVar("hogfer_progress", default=False)


@contextlib.contextmanager
def show_progress(enabled=True):
    """Show hogfer's progress bars (feature extraction, search, training) inside this block.

    Examples
    --------
    >>> from hogfer import show_progress
    >>> with show_progress():  # doctest: +SKIP
    ...     HOGFeatures().fit_transform(images)
    """
    token = _ENABLED.set(enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def progress_bar(total=None, desc=None, unit="it", **kwargs):
    """Return a tqdm bar, disabled unless :func:`show_progress` is on."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not _ENABLED.get(), leave=False, **kwargs)
