"""Where hogfer finds its data and keeps its caches."""

import os
from pathlib import Path

from hogfer.exceptions import DataError

__all__ = ["DATA_ENV", "CACHE_ENV", "resolve_data_path", "cache_dir"]

#: Environment variable naming the FER2013 file or folder when ``--data`` is not given.
DATA_ENV = "HOGFER_DATA"
#: Environment variable overriding the user cache directory.
CACHE_ENV = "HOGFER_CACHE_DIR"

_WHERE_TO_GET = (
    "FER2013 is not bundled with hogfer (it is for research use). Download "
    "fer2013.csv from the Kaggle 'Challenges in Representation Learning: Facial "
    "Expression Recognition Challenge' page (or an image-folder copy of it), then "
    "pass --data PATH or set {env}=PATH."
)


def resolve_data_path(path=None):
    """Return the FER2013 path from ``path``, else from ``$HOGFER_DATA``.

    Parameters
    ----------
    path : str or path-like, default=None
        Explicit path (a ``fer2013.csv``/``.csv.gz`` file or an image folder).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        If neither is given, or the path does not exist.
    """
    if path is None or str(path) == "":
        path = os.environ.get(DATA_ENV) or None
    if path is None:
        raise DataError("No data path given. " + _WHERE_TO_GET.format(env=DATA_ENV))
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder. " + _WHERE_TO_GET.format(env=DATA_ENV))
    return path


def cache_dir(*parts):
    """Return (and create) hogfer's cache directory, or a subfolder of it.

    ``$HOGFER_CACHE_DIR`` overrides the platform's user cache directory.
    """
    root = os.environ.get(CACHE_ENV)
    if not root:
        from platformdirs import user_cache_dir

        root = user_cache_dir("hogfer", appauthor=False)
    path = Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
