"""Test-time augmentation: the views of each face a deep model averages its predictions over.

A network trained with on-model augmentation (flip, shift, rotation, zoom)
predicts a little differently on each small change of the same face;
averaging its probabilities over a few such views is a cheap ensemble
(Krizhevsky et al., 2012, used flips and crops; Simonyan and Zisserman, 2015,
averaged over flips and scales). Each named set costs its number of views in
network time:

============== ===== ==================================================================
set            views what
============== ===== ==================================================================
``False``      1     the face alone
``"flip"``     2     the face and its mirror image
``"shifts"``   4     those two and two crops shifted by 2 pixels diagonally (edge
                     pixels repeated): hogfer's first set
``"zoom"``     4     the face and its mirror image, as they are and zoomed in by 10%
``"affine"``   8     the face and its mirror image, as they are, zoomed in by 10% and
                     rotated by 5 degrees either way
``True``       8     the recommended set: ``"affine"``
============== ===== ==================================================================

``benchmarks/inference.md`` gives each set's accuracy (on PublicTest, the
validation split) and cost for the shipped models.

Zoom and rotation are about the image centre, with bilinear interpolation and
the edge pixels repeated beyond the border, computed in NumPy so every Keras
backend and onnxruntime see the same inputs.
"""

from functools import lru_cache

import numpy as np

__all__ = ["TTA_OPTIONS", "tta_views", "affine_view", "n_views", "tta_label"]

#: The ``tta`` values :func:`tta_views` takes.
TTA_OPTIONS = (True, False, "flip", "shifts", "zoom", "affine")
#: Zoom factor and rotation angle (degrees) of the ``"zoom"`` and ``"affine"`` sets.
ZOOM = 1.1
ANGLE = 5.0
_VIEWS = {False: 1, "flip": 2, "shifts": 4, "zoom": 4, "affine": 8}


def _canonical(tta):
    if isinstance(tta, (bool, np.bool_)):
        return "affine" if tta else False
    if not isinstance(tta, str) or tta not in _VIEWS:
        names = ", ".join(repr(t) for t in TTA_OPTIONS)
        raise ValueError(f"tta must be one of {names}; got {tta!r}.")
    return tta


def n_views(tta):
    """How many views of each face ``tta`` averages over (the cost, in network calls)."""
    return _VIEWS[_canonical(tta)]


def tta_label(tta):
    """How a ``tta`` setting reads in tables and summaries, e.g. ``"affine, 8 views"``."""
    name = _canonical(tta)
    return "off" if name is False else f"{name}, {_VIEWS[name]} views"


@lru_cache(maxsize=32)
def _sampling(height, width, angle, scale):
    """Source pixels and bilinear weights of a rotation by ``angle`` degrees and a zoom by ``scale``.

    The same map as OpenCV's ``getRotationMatrix2D`` about the image centre
    (positive angles turn the face anticlockwise); coordinates that fall
    outside the image take the nearest edge pixel.
    """
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    theta = np.deg2rad(angle)
    a, b = scale * np.cos(theta), scale * np.sin(theta)
    forward = np.array([[a, b], [-b, a]])  # destination = forward @ (source - centre) + centre
    inverse = np.linalg.inv(forward)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    dx, dy = xx - cx, yy - cy
    sx = inverse[0, 0] * dx + inverse[0, 1] * dy + cx
    sy = inverse[1, 0] * dx + inverse[1, 1] * dy + cy
    x0, y0 = np.floor(sx), np.floor(sy)
    fx, fy = (sx - x0).astype(np.float32), (sy - y0).astype(np.float32)
    clip_x = lambda v: np.clip(v, 0, width - 1).astype(np.intp)  # noqa: E731
    clip_y = lambda v: np.clip(v, 0, height - 1).astype(np.intp)  # noqa: E731
    x0i, x1i, y0i, y1i = clip_x(x0), clip_x(x0 + 1), clip_y(y0), clip_y(y0 + 1)
    weights = ((1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx)
    return (y0i, x0i, y0i, x1i, y1i, x0i, y1i, x1i), weights


def affine_view(images, *, angle=0.0, scale=1.0):
    """Each image of ``(n, h, w)`` rotated by ``angle`` degrees and zoomed by ``scale`` about its centre.

    Returns float32 ``(n, h, w)``.
    """
    images = np.asarray(images, dtype=np.float32)
    (ya, xa, yb, xb, yc, xc, yd, xd), (wa, wb, wc, wd) = _sampling(images.shape[1], images.shape[2], float(angle), float(scale))
    return images[:, ya, xa] * wa + images[:, yb, xb] * wb + images[:, yc, xc] * wc + images[:, yd, xd] * wd


def tta_views(images, tta):
    """The views of ``images`` ``(n, h, w)`` that the ``tta`` set averages over, as a list of arrays.

    Parameters
    ----------
    images : ndarray of shape (n, h, w)
        Grey faces.
    tta : {True, False, "flip", "shifts", "zoom", "affine"}
        The set (see the module's table); ``True`` is ``"affine"``.

    Returns
    -------
    views : list of ndarray of shape (n, h, w)
        The faces themselves first.

    Raises
    ------
    ValueError
        An unknown set.
    """
    name = _canonical(tta)
    if name is False:
        return [images]
    mirror = images[:, :, ::-1]
    if name == "flip":
        return [images, mirror]
    if name == "shifts":
        padded = np.pad(images, ((0, 0), (2, 2), (2, 2)), mode="edge")
        return [images, mirror, padded[:, :-4, :-4], padded[:, 4:, 4:]]
    views = [images, affine_view(images, scale=ZOOM)]
    if name == "affine":
        views += [affine_view(images, angle=ANGLE), affine_view(images, angle=-ANGLE)]
    return views + [view[:, :, ::-1] for view in views]
