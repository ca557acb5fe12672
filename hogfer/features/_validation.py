"""Input checks shared by hogfer's transformers.

The transformers take a stack of grey images ``(n_samples, height, width)`` or
flat rows ``(n_samples, height * width)`` of square images, as FER2013's pixel
column gives them (2304 values for 48x48).
"""

import math

import numpy as np
from scipy import sparse
from sklearn.utils import check_array

__all__ = ["as_image_stack"]


def as_image_stack(X, *, image_shape=None, name="X", estimator="this transformer"):
    """Return ``X`` as an ``(n, h, w)`` numeric array, or raise a clear ValueError.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Grey images, or flat rows of square images (or of ``image_shape``).
    image_shape : tuple of int, default=None
        Expected ``(h, w)``; flat rows are reshaped to it.
    """
    if hasattr(X, "to_numpy"):  # pandas and polars frames
        X = X.to_numpy()
    if not hasattr(X, "shape") or sparse.issparse(X):
        X = X if sparse.issparse(X) else np.asarray(X)
    if X.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be images of shape (n_samples, height, width) or flat rows of shape "
            f"(n_samples, height*width), e.g. (n, 48, 48) or (n, 2304); got shape {X.shape}."
        )
    shape = X.shape
    if not (type(X) is np.ndarray and X.dtype.kind in "ui" and X.size):
        # scikit-learn's own checks (and messages) for sparse, complex, object, NaN/inf and empty
        # input; a non-empty integer ndarray (a live face) has none of those, and skips their cost
        flat = check_array(
            X.reshape(shape[0], shape[1] * shape[2]) if X.ndim == 3 else X,
            accept_sparse=False,
            dtype="numeric",
            input_name=name,
        )
        X = flat.reshape(shape)
    if X.ndim == 2:
        d = X.shape[1]
        if image_shape is not None and d == image_shape[0] * image_shape[1]:
            X = X.reshape(-1, *image_shape)
        elif image_shape is None and math.isqrt(d) ** 2 == d:
            side = math.isqrt(d)
            X = X.reshape(-1, side, side)
        elif image_shape is not None:
            n_expected = image_shape[0] * image_shape[1]
            raise ValueError(
                f"{name} has {d} features, but {estimator} is expecting {n_expected} features as input "
                f"(flat {image_shape[0]}x{image_shape[1]} images)."
            )
        else:
            raise ValueError(
                f"{name} has {d} features per row; expected height*width of a square image, e.g. 2304 for 48x48."
            )
    elif image_shape is not None and X.shape[1:] != tuple(image_shape):
        raise ValueError(
            f"{name} holds {X.shape[1]}x{X.shape[2]} images; {estimator} was fitted on "
            f"{image_shape[0]}x{image_shape[1]}."
        )
    return X
