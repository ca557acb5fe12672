"""HOG of overlapping windows slid across the face."""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils._param_validation import Interval, StrOptions

from hogfer.features._base import ImageTransformer
from hogfer.features._parallel import map_batches
from hogfer.features.hog import BLOCK_NORMS, _check_params, _hog_batch, _pair, hog_feature_names

__all__ = ["SlidingWindowHOG", "window_origins"]


def window_origins(shape, window_size, window_step):
    """Top-left corners ``(row, col)`` of the whole windows, row-major."""
    (h, w), (wh, ww), (sh, sw) = shape, window_size, window_step
    return [(r, c) for r in range(0, h - wh + 1, sh) for c in range(0, w - ww + 1, sw)]


def _sliding_batch(images, *, window_size, window_step, **hog_params):
    windows = sliding_window_view(images, window_size, axis=(1, 2))[:, :: window_step[0], :: window_step[1]]
    n, nr, nc = windows.shape[:3]
    stacked = windows.reshape(n * nr * nc, *window_size)
    return _hog_batch(stacked, transform_sqrt=False, **hog_params).reshape(n, -1)


class SlidingWindowHOG(ImageTransformer):
    """HOG descriptors of overlapping windows, concatenated in row-major window order.

    Each ``window_size`` window, moved by ``window_step`` over the face (whole
    windows only), gets its own HOG (:func:`hogfer.hog_features`), so each
    descriptor is normalized locally: the "sliding-window HOG" of the FER
    literature.

    Parameters
    ----------
    window_size : (int, int), default=(24, 24)
        Window height and width in pixels.
    window_step : (int, int), default=(12, 12)
        Vertical and horizontal step between windows.
    orientations : int, default=9
        Orientation bins.
    pixels_per_cell : (int, int), default=(6, 6)
        Cell size within a window.
    cells_per_block : (int, int), default=(2, 2)
        Cells per block within a window.
    block_norm : {"L1", "L1-sqrt", "L2", "L2-Hys"}, default="L2-Hys"
        Block normalization.
    n_jobs : int, default=None
        joblib jobs over batches.
    batch_size : int, default=256
        Images per batch.

    Attributes
    ----------
    n_features_in_ : int
        Pixels per image.
    image_shape_ : (int, int)
        Image size seen in ``fit``.
    n_windows_ : int
        Windows per image.

    Examples
    --------
    >>> import numpy as np
    >>> from hogfer import SlidingWindowHOG
    >>> faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    >>> swhog = SlidingWindowHOG().fit(faces)
    >>> swhog.n_windows_, swhog.transform(faces).shape
    (9, (3, 2916))
    """

    _parameter_constraints: dict = {
        "window_size": ["array-like"],
        "window_step": ["array-like"],
        "orientations": [Interval(Integral, 1, None, closed="left")],
        "pixels_per_cell": ["array-like", Interval(Integral, 1, None, closed="left")],
        "cells_per_block": ["array-like", Interval(Integral, 1, None, closed="left")],
        "block_norm": [StrOptions(set(BLOCK_NORMS))],
        "n_jobs": [Integral, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        window_size=(24, 24),
        window_step=(12, 12),
        orientations=9,
        pixels_per_cell=(6, 6),
        cells_per_block=(2, 2),
        block_norm="L2-Hys",
        n_jobs=None,
        batch_size=256,
    ):
        self.window_size = window_size
        self.window_step = window_step
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.n_jobs = n_jobs
        self.batch_size = batch_size

    def _check_image_shape(self, shape):
        size, step = _pair(self.window_size, "window_size"), _pair(self.window_step, "window_step")
        if size[0] > shape[0] or size[1] > shape[1]:
            raise ValueError(f"window_size={size} is larger than the {shape[0]}x{shape[1]} images.")
        _check_params(self.orientations, self.pixels_per_cell, self.cells_per_block, self.block_norm, size)
        self.n_windows_ = len(window_origins(shape, size, step))

    def _transform_images(self, images):
        size, step = _pair(self.window_size, "window_size"), _pair(self.window_step, "window_step")
        params = _check_params(self.orientations, self.pixels_per_cell, self.cells_per_block, self.block_norm, size)
        return map_batches(
            _sliding_batch,
            images,
            n_jobs=self.n_jobs,
            batch_size=self.batch_size,
            desc="sliding HOG",
            window_size=size,
            window_step=step,
            **params,
        )

    def _feature_names(self):
        size, step = _pair(self.window_size, "window_size"), _pair(self.window_step, "window_step")
        names = []
        for r, c in window_origins(self.image_shape_, size, step):
            names += hog_feature_names(
                size, self.orientations, self.pixels_per_cell, self.cells_per_block, prefix=f"swhog_r{r}_c{c}"
            )
        return names
