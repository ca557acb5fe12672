"""Batch work through joblib, so any joblib backend (loky, Dask, Ray) can run it."""

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed

from hogfer._progress import progress_bar

__all__ = ["map_batches"]


def map_batches(func, images, *, n_jobs=None, batch_size=512, desc=None, **kwargs):
    """Apply ``func(batch, **kwargs)`` to consecutive batches and stack the results.

    ``images`` may be an array or a sparse matrix (batches of rows); ``func``
    returns an array, a tuple of arrays, or a sparse matrix.

    ``n_jobs=None`` means one job, unless a ``joblib.parallel_backend`` context
    (Dask, Ray, ...) says otherwise; a single batch always runs here, directly.
    A progress bar shows when hogfer's progress option is on (see
    :func:`hogfer.show_progress`).
    """
    n = images.shape[0]  # sparse matrices too
    starts = range(0, n, batch_size)
    if len(starts) == 1:  # a live frame's few faces: joblib's dispatch would cost more than the work
        return func(images, **kwargs)
    tasks = (delayed(func)(images[s : s + batch_size], **kwargs) for s in starts)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    out = None
    with progress_bar(total=n, desc=desc, unit="img") as bar:
        for s, result in zip(starts, results):
            if sp.issparse(result):  # sparse rows: stacked once at the end
                out = [] if out is None else out
                out.append(result)
                bar.update(result.shape[0])
                continue
            parts = result if isinstance(result, tuple) else (result,)
            if out is None:  # preallocate: one copy of each result, no final concatenate
                out = tuple(np.empty((n, *p.shape[1:]), dtype=p.dtype) for p in parts)
            for o, p in zip(out, parts):
                o[s : s + len(p)] = p
            bar.update(len(parts[0]))
    if isinstance(out, list):
        return sp.vstack(out, format="csr")
    return out if isinstance(result, tuple) else out[0]
