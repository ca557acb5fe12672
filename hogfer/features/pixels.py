"""Raw pixels as features (scaled to 0..1), for models on the flat image."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from hogfer.features._base import ImageTransformer

__all__ = ["PixelFeatures"]


class PixelFeatures(ImageTransformer):
    """The image itself as a feature vector, optionally downscaled by block means.

    Parameters
    ----------
    scale : float, default=1/255
        Factor applied to the grey levels.
    pool : int, default=1
        Side of the square blocks averaged into one feature (1 keeps every pixel).

    Attributes
    ----------
    n_features_in_ : int
        Pixels per image.
    image_shape_ : (int, int)
        Image size seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from hogfer import PixelFeatures
    >>> faces = np.zeros((2, 48, 48), np.uint8)
    >>> PixelFeatures(pool=2).fit_transform(faces).shape
    (2, 576)
    """

    _parameter_constraints: dict = {
        "scale": [Interval(Real, 0, None, closed="neither")],
        "pool": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, scale=1 / 255, pool=1):
        self.scale = scale
        self.pool = pool

    def _check_image_shape(self, shape):
        if shape[0] < self.pool or shape[1] < self.pool:
            raise ValueError(f"pool={self.pool} is larger than the {shape[0]}x{shape[1]} images.")

    def _transform_images(self, images):
        p = self.pool
        h, w = images.shape[1] // p, images.shape[2] // p
        x = images[:, : h * p, : w * p].astype(np.float32)
        if p > 1:
            x = x.reshape(len(x), h, p, w, p).mean(axis=(2, 4))
        return (x * np.float32(self.scale)).reshape(len(x), -1)

    def _feature_names(self):
        h, w = self.image_shape_[0] // self.pool, self.image_shape_[1] // self.pool
        return [f"pixel_{r}_{c}" for r in range(h) for c in range(w)]
