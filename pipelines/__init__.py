"""Named pipelines: ``get_pipeline("svm-hog")`` returns a fresh, unfitted estimator.

Each module in this package defines one pipeline and is readable as the
documentation of what it is. A module declares:

- ``NAME``: the name used on the command line (``hogfer train NAME``);
- ``DESCRIPTION``: one line for listings and the benchmark table;
- ``build(*, n_jobs=None, random_state=0)``: the scikit-learn estimator;
- ``PARAM_GRID``: the hyperparameters ``hogfer train`` chooses among on the
  validation split (a list of dicts of ``set_params`` keys); may be empty;
- optionally ``SEED_ACCURACY``: the accuracy the seed projects reported for it;
- optionally ``KIND``: ``"deep"`` for a Keras pipeline (``"classical"`` if absent);
- optionally ``NOT_SHIPPED``: why no model of it ships (``hogfer bench`` then
  scores it only where one was trained, and does not train it itself).

This folder installs as ``hogfer.pipelines``.
"""

import importlib
import pkgutil

from hogfer.exceptions import HogferError

__all__ = ["get_pipeline", "get_spec", "list_pipelines", "kind_of", "not_shipped_reason"]


def _modules():
    specs = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        specs[module.NAME] = module
    return specs


def list_pipelines():
    """Return the names of the known pipelines, sorted."""
    return sorted(_modules())


def get_spec(name):
    """Return the module defining pipeline ``name``.

    Raises
    ------
    HogferError
        If ``name`` is unknown; the message lists the known names.
    """
    specs = _modules()
    if name not in specs:
        raise HogferError(f"Unknown pipeline {name!r}. Known pipelines: {', '.join(sorted(specs))}.")
    return specs[name]


def get_pipeline(name, *, n_jobs=None, random_state=0):
    """Return a fresh, unfitted estimator for pipeline ``name``.

    Examples
    --------
    >>> from hogfer.pipelines import get_pipeline
    >>> get_pipeline("svm-hog")  # doctest: +SKIP
    Pipeline(steps=[('hog', HOGFeatures(...)), ...])
    """
    return get_spec(name).build(n_jobs=n_jobs, random_state=random_state)


def kind_of(name):
    """``"deep"``, ``"classical"`` or ``"fusion"``: the one place that knows a pipeline's kind."""
    return getattr(get_spec(name), "KIND", "classical")


def not_shipped_reason(name):
    """Why pipeline ``name`` ships no model (``None`` where one ships or could)."""
    return getattr(get_spec(name), "NOT_SHIPPED", None)
