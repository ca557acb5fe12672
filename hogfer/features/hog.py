"""Histogram of oriented gradients, computed for a whole batch of images at once."""

import functools
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils._param_validation import Interval, StrOptions

from hogfer.features._base import ImageTransformer
from hogfer.features._parallel import map_batches
from hogfer.features._validation import as_image_stack

__all__ = ["hog_features", "HOGFeatures"]

BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
_EPS = 1e-5


def hog_features(
    images,
    *,
    orientations=9,
    pixels_per_cell=(8, 8),
    cells_per_block=(3, 3),
    block_norm="L2-Hys",
    transform_sqrt=False,
    n_jobs=None,
    batch_size=512,
):
    """Histogram of oriented gradients (HOG) of each image in a batch.

    The output equals :func:`skimage.feature.hog` with the same parameters
    (``feature_vector=True``) applied to each image, to float rounding, but the
    whole batch is computed with array operations instead of a Python loop
    per image.

    Parameters
    ----------
    images : array-like of shape (n_samples, M, N) or (n_samples, M*N)
        Grey images (M == N for flat rows). Integer images are computed in
        float64, float32 images in float32, as scikit-image does.
    orientations : int, default=9
        Number of orientation bins over 0..180 degrees (unsigned gradients).
    pixels_per_cell : (int, int), default=(8, 8)
        Size (in pixels) of a cell. Pixels past the last whole cell are ignored.
    cells_per_block : (int, int), default=(3, 3)
        Number of cells in each block.
    block_norm : {"L1", "L1-sqrt", "L2", "L2-Hys"}, default="L2-Hys"
        Block normalization: ``L1``: v / (||v||_1 + eps); ``L1-sqrt``:
        sqrt(v / (||v||_1 + eps)); ``L2``: v / sqrt(||v||_2^2 + eps^2);
        ``L2-Hys``: L2, then clipped at 0.2 and renormalized. eps = 1e-5.
    transform_sqrt : bool, default=False
        Apply power-law compression (square root) to the images first.
        Needs non-negative images.
    n_jobs : int, default=None
        Jobs for :class:`joblib.Parallel` over batches; None means 1 unless a
        :func:`joblib.parallel_backend` context says otherwise.
    batch_size : int, default=512
        Images per batch (and per joblib task).

    Returns
    -------
    features : ndarray of shape (n_samples, n_features)
        Blocks in row-major order, each block's cells in row-major order, each
        cell's ``orientations`` bins; ``n_features = n_blocks_row * n_blocks_col *
        cells_per_block[0] * cells_per_block[1] * orientations``.

    Raises
    ------
    ValueError
        If the images are too small for one block, or the input is not a stack
        of finite grey images.

    See Also
    --------
    HOGFeatures : the same as a scikit-learn transformer.
    skimage.feature.hog : the single-image reference implementation.

    Notes
    -----
    Gradients are central differences ``[-1, 0, 1]`` with zero gradient in the
    first and last row and column; each pixel votes its gradient magnitude
    into one orientation bin of its cell (no interpolation between bins or
    cells), and cell histograms are means over the cell's pixels. This is
    scikit-image's variant of Dalal and Triggs' descriptor [1]_, which also
    interpolates votes between neighbouring bins and cells.

    References
    ----------
    .. [1] N. Dalal and B. Triggs, "Histograms of Oriented Gradients for Human
       Detection," CVPR 2005, :DOI:`10.1109/CVPR.2005.177`.

    Examples
    --------
    >>> import numpy as np
    >>> from hogfer import hog_features
    >>> faces = np.random.default_rng(0).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    >>> hog_features(faces).shape
    (5, 1296)
    """
    images = as_image_stack(images, name="images")
    params = _check_params(orientations, pixels_per_cell, cells_per_block, block_norm, images.shape[1:])
    if transform_sqrt and images.min() < 0:
        raise ValueError("transform_sqrt=True needs non-negative images; got negative grey levels.")
    return map_batches(
        _hog_batch, images, n_jobs=n_jobs, batch_size=batch_size, desc="HOG", transform_sqrt=transform_sqrt, **params
    )


def _pair(value, name):
    pair = tuple(value) if np.ndim(value) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, Integral) and v >= 1 for v in pair):
        raise ValueError(f"{name} must be a pair of positive integers; got {value!r}.")
    return tuple(int(v) for v in pair)


def _check_params(orientations, pixels_per_cell, cells_per_block, block_norm, shape):
    if not isinstance(orientations, Integral) or orientations < 1:
        raise ValueError(f"orientations must be a positive integer; got {orientations!r}.")
    if block_norm not in BLOCK_NORMS:
        raise ValueError(f"block_norm must be one of {', '.join(BLOCK_NORMS)}; got {block_norm!r}.")
    ppc = _pair(pixels_per_cell, "pixels_per_cell")
    cpb = _pair(cells_per_block, "cells_per_block")
    min_row, min_col = ppc[0] * cpb[0], ppc[1] * cpb[1]
    if shape[0] < min_row or shape[1] < min_col:
        raise ValueError(
            f"The {shape[0]}x{shape[1]} images are too small given pixels_per_cell={ppc} and "
            f"cells_per_block={cpb}. They should have at least {min_row} rows and {min_col} cols."
        )
    return {"orientations": int(orientations), "pixels_per_cell": ppc, "cells_per_block": cpb, "block_norm": block_norm}


def _n_blocks(shape, pixels_per_cell, cells_per_block):
    n_cells = (shape[0] // pixels_per_cell[0], shape[1] // pixels_per_cell[1])
    return n_cells[0] - cells_per_block[0] + 1, n_cells[1] - cells_per_block[1] + 1


def _hog_batch(images, **params):
    """HOG of a batch ``(n, M, N)``; parameters already checked.

    Works through the batch in chunks small enough for the intermediate
    arrays to stay in the CPU cache.
    """
    chunk = max(1, 150_000 // (images.shape[1] * images.shape[2]))
    first = _hog_chunk(images[:chunk], **params)
    out = np.empty((len(images), first.shape[1]), dtype=first.dtype)
    out[:chunk] = first
    for s in range(chunk, len(images), chunk):
        out[s : s + chunk] = _hog_chunk(images[s : s + chunk], **params)
    return out


def _hog_chunk(images, *, orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt):
    out_dtype = np.float32 if images.dtype == np.float32 else np.float64
    cr, cc = pixels_per_cell
    n, rows, cols = images.shape
    ncr, ncc = rows // cr, cols // cc
    if images.dtype == np.uint8 and not transform_sqrt:
        bins, magnitude = _binned_gradients_uint8(images, orientations)
    else:
        bins, magnitude = _binned_gradients(images, orientations, transform_sqrt)
    # Only whole cells count.
    bins, magnitude = bins[:, : ncr * cr, : ncc * cc], magnitude[:, : ncr * cr, : ncc * cc]

    # One weighted bincount builds every cell histogram of the chunk.
    cell_row = np.arange(ncr * cr, dtype=np.intp) // cr
    cell_col = np.arange(ncc * cc, dtype=np.intp) // cc
    cell = (cell_row[:, None] * ncc + cell_col[None, :]) * orientations
    index = (np.arange(n, dtype=np.intp) * (ncr * ncc * orientations))[:, None, None] + cell + bins
    hist = np.bincount(index.ravel(), weights=magnitude.ravel(), minlength=n * ncr * ncc * orientations)
    hist = (hist / (cr * cc)).reshape(n, ncr, ncc, orientations)

    br, bc = cells_per_block
    # (n, nbr, nbc, orientations, br, bc) -> (n, n_blocks, br * bc * orientations)
    blocks = sliding_window_view(hist, (br, bc), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
    blocks = np.ascontiguousarray(blocks).reshape(n, -1, br * bc * orientations)
    if block_norm == "L1":
        out = blocks / (np.abs(blocks).sum(axis=2, keepdims=True) + _EPS)
    elif block_norm == "L1-sqrt":
        out = np.sqrt(blocks / (np.abs(blocks).sum(axis=2, keepdims=True) + _EPS))
    else:
        out = blocks / _l2(blocks)
        if block_norm == "L2-Hys":
            np.minimum(out, 0.2, out=out)
            out /= _l2(out)
    return out.reshape(n, -1).astype(out_dtype, copy=False)


def _l2(blocks):
    return np.sqrt(np.einsum("ijk,ijk->ij", blocks, blocks) + _EPS**2)[..., None]


def _gradients(img):
    """Central differences with zero first/last row and column, as skimage."""
    g_row = np.zeros_like(img)
    g_row[:, 1:-1, :] = img[:, 2:, :] - img[:, :-2, :]
    g_col = np.zeros_like(img)
    g_col[:, :, 1:-1] = img[:, :, 2:] - img[:, :, :-2]
    return g_row, g_col


def _orientation_bins(g_row, g_col, orientations):
    """Magnitude and orientation bin of float64 gradients, with skimage's bin bounds."""
    magnitude = np.hypot(g_col, g_row)
    orientation = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    # Bin i holds end_i <= angle < start_i, the bounds computed as skimage does.
    per_bin = 180.0 / orientations
    edges = per_bin * np.arange(orientations + 1)
    bins = np.minimum((orientation / per_bin).astype(np.intp), orientations - 1)
    bins -= orientation < edges[bins]
    bins += orientation >= edges[bins + 1]
    np.clip(bins, 0, orientations - 1, out=bins)
    return bins, magnitude


def _binned_gradients(images, orientations, transform_sqrt):
    # As skimage: gradients in the image's float type, angles and magnitudes in float64.
    img = images.astype(np.float32 if images.dtype == np.float32 else np.float64)
    if transform_sqrt:
        img = np.sqrt(img)
    g_row, g_col = _gradients(img)
    return _orientation_bins(g_row.astype(np.float64), g_col.astype(np.float64), orientations)


@functools.lru_cache(maxsize=8)
def _uint8_tables(orientations):
    """Bin and magnitude of every integer gradient pair (g_row, g_col) in -255..255."""
    g = np.arange(-255, 256, dtype=np.float64)
    bins, magnitude = _orientation_bins(g[:, None], g[None, :], orientations)
    return bins.astype(np.uint8 if orientations < 256 else np.intp).ravel(), magnitude.ravel()


_ZERO_CODE = 255 * 511 + 255  # table index of the gradient (0, 0)


def _binned_gradients_uint8(images, orientations):
    """Table look-up instead of arctan2/hypot: 8-bit images have only 511**2 gradient pairs."""
    bin_table, magnitude_table = _uint8_tables(orientations)
    img = images.astype(np.int32)
    code = np.full(img.shape, _ZERO_CODE, np.int32)
    code[:, 1:-1, :] += 511 * (img[:, 2:, :] - img[:, :-2, :])
    code[:, :, 1:-1] += img[:, :, 2:] - img[:, :, :-2]
    return np.take(bin_table, code), np.take(magnitude_table, code)


class HOGFeatures(ImageTransformer):
    """Histogram of oriented gradients of each face, as a scikit-learn transformer.

    A thin estimator over :func:`hog_features`; see there for the algorithm.

    Parameters
    ----------
    orientations : int, default=9
        Orientation bins over 0..180 degrees.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size in pixels.
    cells_per_block : (int, int), default=(3, 3)
        Cells per block.
    block_norm : {"L1", "L1-sqrt", "L2", "L2-Hys"}, default="L2-Hys"
        Block normalization.
    transform_sqrt : bool, default=False
        Square-root (power-law) compression of the image first.
    n_jobs : int, default=None
        Parallel jobs over batches (joblib).
    batch_size : int, default=512
        Images per batch.

    Attributes
    ----------
    n_features_in_ : int
        Pixels per image (``height * width``).
    image_shape_ : (int, int)
        Image size seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` if it was a DataFrame with string column names.

    See Also
    --------
    hog_features : the function this estimator wraps.
    SlidingWindowHOG : HOG of overlapping windows.

    Examples
    --------
    >>> import numpy as np
    >>> from hogfer import HOGFeatures
    >>> faces = np.random.default_rng(0).integers(0, 256, (4, 2304), dtype=np.uint8)
    >>> hog = HOGFeatures(orientations=8).fit(faces)
    >>> hog.transform(faces).shape
    (4, 1152)
    >>> hog.get_feature_names_out()[0]
    'hog_block0_0_cell0_0_bin0'
    """

    _parameter_constraints: dict = {
        "orientations": [Interval(Integral, 1, None, closed="left")],
        "pixels_per_cell": ["array-like", Interval(Integral, 1, None, closed="left")],
        "cells_per_block": ["array-like", Interval(Integral, 1, None, closed="left")],
        "block_norm": [StrOptions(set(BLOCK_NORMS))],
        "transform_sqrt": ["boolean"],
        "n_jobs": [Integral, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        orientations=9,
        pixels_per_cell=(8, 8),
        cells_per_block=(3, 3),
        block_norm="L2-Hys",
        transform_sqrt=False,
        n_jobs=None,
        batch_size=512,
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.transform_sqrt = transform_sqrt
        self.n_jobs = n_jobs
        self.batch_size = batch_size

    def _check_image_shape(self, shape):
        _check_params(self.orientations, self.pixels_per_cell, self.cells_per_block, self.block_norm, shape)

    def _transform_images(self, images):
        # images are already checked by transform(): go straight to the batches
        params = _check_params(self.orientations, self.pixels_per_cell, self.cells_per_block, self.block_norm, images.shape[1:])
        if self.transform_sqrt and images.min() < 0:
            raise ValueError("transform_sqrt=True needs non-negative images; got negative grey levels.")
        return map_batches(
            _hog_batch, images, n_jobs=self.n_jobs, batch_size=self.batch_size, desc="HOG", transform_sqrt=self.transform_sqrt, **params
        )

    def _feature_names(self):
        return hog_feature_names(self.image_shape_, self.orientations, self.pixels_per_cell, self.cells_per_block)


def hog_feature_names(shape, orientations, pixels_per_cell, cells_per_block, prefix="hog"):
    """Names of :func:`hog_features`' outputs, in order."""
    ppc, cpb = _pair(pixels_per_cell, "pixels_per_cell"), _pair(cells_per_block, "cells_per_block")
    nbr, nbc = _n_blocks(shape, ppc, cpb)
    return [
        f"{prefix}_block{r}_{c}_cell{i}_{j}_bin{k}"
        for r in range(nbr)
        for c in range(nbc)
        for i in range(cpb[0])
        for j in range(cpb[1])
        for k in range(orientations)
    ]
