"""Small file helpers: atomic writes, so no command ever leaves a half-written file."""

import contextlib
import os
from pathlib import Path

__all__ = ["atomic_path", "temporary_path"]


def temporary_path(path):
    """The temporary name a file is written under before it is renamed onto ``path``.

    ``.STEM.tmpPID.SUFFIX`` beside it: hidden, unique to this process, and with
    ``path``'s suffix, so writers that choose a format from the suffix
    (matplotlib, Keras, OpenCV, NumPy) behave as for ``path`` itself.
    """
    path = Path(path)
    return path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary name is :func:`temporary_path`'s. On error the temporary
    file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
