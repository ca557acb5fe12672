"""dlib 68-landmark geometry of each face, as a scikit-learn transformer."""

from itertools import combinations
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from hogfer.faces import landmarks as face
from hogfer.features._base import ImageTransformer
from hogfer.features._parallel import map_batches
from hogfer.features._validation import as_image_stack

__all__ = ["LandmarkFeatures", "fer_landmarks", "DISTANCE_POINTS"]

#: Landmarks whose pairwise distances :class:`LandmarkFeatures` outputs (22 points,
#: 231 pairs): brow ends and middles (17, 19, 21, 22, 24, 26), eye corners and
#: lids (36, 37, 39, 41, 42, 44, 45, 46), nose tip and base (30, 33), mouth corners,
#: outer lip middles and inner lip middles (48, 51, 54, 57, 62, 66).
DISTANCE_POINTS = (17, 19, 21, 22, 24, 26, 36, 37, 39, 41, 42, 44, 45, 46, 30, 33, 48, 51, 54, 57, 62, 66)
_PAIRS = np.array(list(combinations(range(len(DISTANCE_POINTS)), 2)))


def fer_landmarks(images, *, upscale=2.0, detect=True, n_jobs=None, batch_size=256):
    """68 dlib landmarks of each small face crop, and whether a face was detected.

    Each image is upscaled by ``upscale`` (dlib's detector finds faces of about
    80 pixels and more); the face box is dlib's HOG detector's best box where
    it finds one, else the whole image.

    Parameters
    ----------
    images : array-like of shape (n_samples, H, W) or (n_samples, H*W)
        Grey face crops (e.g. FER2013's 48x48), grey levels 0..255.
    upscale : float, default=2.0
        Resize factor before detection and landmark prediction.
    detect : bool, default=True
        Run the face detector; if False, always use the whole image as the box.
    n_jobs : int, default=None
        joblib jobs over batches.
    batch_size : int, default=256
        Images per joblib task.

    Returns
    -------
    landmarks : ndarray of shape (n_samples, 68, 2), dtype float32
        ``(x, y)`` in the input image's pixel coordinates.
    detected : ndarray of shape (n_samples,), dtype bool
    """
    return _landmarks(as_image_stack(images, name="images"), upscale=upscale, detect=detect, n_jobs=n_jobs, batch_size=batch_size)


def _landmarks(images, *, upscale, detect, n_jobs, batch_size):
    """:func:`fer_landmarks` of an already checked ``(n, H, W)`` stack."""
    if images.dtype != np.uint8:
        images = np.clip(np.rint(images), 0, 255).astype(np.uint8)
    return map_batches(
        _landmark_batch, images, n_jobs=n_jobs, batch_size=batch_size, desc="landmarks", upscale=upscale, detect=detect
    )


def _landmark_batch(images, *, upscale, detect):
    import cv2

    n, h, w = images.shape
    size = (max(1, int(round(w * upscale))), max(1, int(round(h * upscale))))
    whole = (0, 0, size[0] - 1, size[1] - 1)
    points = np.empty((n, 68, 2), np.float32)
    detected = np.zeros(n, bool)
    for i, image in enumerate(images):
        big = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        box = whole
        if detect:
            boxes, _ = face.detect_faces(big)
            if len(boxes):
                box, detected[i] = boxes[0], True
        points[i] = face.predict_landmarks(big, box)
    points *= np.array([w / size[0], h / size[1]], np.float32)
    return points, detected


def landmark_geometry(points, *, coords=True, distances=True, ratios=True):
    """Pose-normalized features of landmarks ``(n, 68, 2)``.

    Coordinates are translated to the eyes' midpoint, rotated so the eyes are
    level and divided by the inter-ocular distance; distances are divided by
    it too.
    """
    points = np.asarray(points, np.float64)
    left, right = face.eye_centers(points)
    delta = right - left
    iod = np.maximum(np.hypot(delta[:, 0], delta[:, 1]), 1e-6)
    cos, sin = delta[:, 0] / iod, delta[:, 1] / iod
    centred = points - ((left + right) / 2)[:, None, :]
    x = (centred[..., 0] * cos[:, None] + centred[..., 1] * sin[:, None]) / iod[:, None]
    y = (-centred[..., 0] * sin[:, None] + centred[..., 1] * cos[:, None]) / iod[:, None]
    parts = []
    if coords:
        parts.append(np.stack([x, y], axis=-1).reshape(len(points), -1))
    if distances:
        sub = points[:, DISTANCE_POINTS, :]
        diff = sub[:, _PAIRS[:, 0]] - sub[:, _PAIRS[:, 1]]
        parts.append(np.hypot(diff[..., 0], diff[..., 1]) / iod[:, None])
    if ratios:
        parts.append(
            np.stack(
                [
                    face.eye_aspect_ratio(points[:, face.RIGHT_EYE]),
                    face.eye_aspect_ratio(points[:, face.LEFT_EYE]),
                    face.mouth_aspect_ratio(points),
                ],
                axis=1,
            )
        )
    return np.concatenate(parts, axis=1) if parts else np.empty((len(points), 0))


class LandmarkFeatures(ImageTransformer):
    """Geometry of dlib's 68 face landmarks, as a scikit-learn transformer.

    Landmarks come from :func:`fer_landmarks` (dlib's HOG face detector on an
    upscaled crop, else the whole image, then dlib's 68-point shape predictor
    from ``face-recognition-models``). The features are invariant to the
    face's position, size and in-plane rotation.

    Parameters
    ----------
    coords : bool, default=True
        136 normalized coordinates ``landmark_{i}_x/y``: origin between the
        eyes, eyes level, unit inter-ocular distance.
    distances : bool, default=True
        231 pairwise distances between the 22 :data:`DISTANCE_POINTS`, over the
        inter-ocular distance.
    ratios : bool, default=True
        Eye aspect ratio of each eye and the mouth aspect ratio
        (:func:`hogfer.faces.landmarks.eye_aspect_ratio`, :func:`hogfer.faces.landmarks.mouth_aspect_ratio`).
    detected_flag : bool, default=True
        A last column ``face_detected``: 1 where dlib's detector found the face.
    upscale : float, default=2.0
        Resize factor before detection.
    detect : bool, default=True
        Run the detector (False: the whole image is the face box; faster).
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

    See Also
    --------
    fer_landmarks : the raw landmarks and the detection flags.
    hogfer.faces.landmarks.align_face : alignment from the same landmarks.

    Notes
    -----
    dlib's 68-point model was trained on iBUG 300-W, whose license excludes
    commercial use.

    Examples
    --------
    >>> import numpy as np
    >>> from hogfer import LandmarkFeatures
    >>> faces = np.random.default_rng(0).integers(0, 256, (2, 48, 48), dtype=np.uint8)
    >>> LandmarkFeatures().fit_transform(faces).shape
    (2, 371)
    """

    _parameter_constraints: dict = {
        "coords": ["boolean"],
        "distances": ["boolean"],
        "ratios": ["boolean"],
        "detected_flag": ["boolean"],
        "upscale": [Interval(Real, 0, None, closed="neither")],
        "detect": ["boolean"],
        "n_jobs": [Integral, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        coords=True,
        distances=True,
        ratios=True,
        detected_flag=True,
        upscale=2.0,
        detect=True,
        n_jobs=None,
        batch_size=256,
    ):
        self.coords = coords
        self.distances = distances
        self.ratios = ratios
        self.detected_flag = detected_flag
        self.upscale = upscale
        self.detect = detect
        self.n_jobs = n_jobs
        self.batch_size = batch_size

    def _check_image_shape(self, shape):
        if not (self.coords or self.distances or self.ratios or self.detected_flag):
            raise ValueError("LandmarkFeatures needs at least one of coords, distances, ratios, detected_flag.")

    def landmarks(self, X):
        """Return the landmarks ``(n, 68, 2)`` and detection flags ``(n,)`` of ``X``."""
        return fer_landmarks(X, upscale=self.upscale, detect=self.detect, n_jobs=self.n_jobs, batch_size=self.batch_size)

    def _transform_images(self, images):
        points, detected = _landmarks(
            images, upscale=self.upscale, detect=self.detect, n_jobs=self.n_jobs, batch_size=self.batch_size
        )
        features = landmark_geometry(points, coords=self.coords, distances=self.distances, ratios=self.ratios)
        if self.detected_flag:
            features = np.hstack([features, detected[:, None].astype(features.dtype)])
        return features

    def _feature_names(self):
        names = []
        if self.coords:
            names += [f"landmark_{i}_{axis}" for i in range(68) for axis in "xy"]
        if self.distances:
            names += [f"distance_{DISTANCE_POINTS[a]}_{DISTANCE_POINTS[b]}" for a, b in _PAIRS]
        if self.ratios:
            names += ["ear_right_eye", "ear_left_eye", "mouth_aspect_ratio"]
        if self.detected_flag:
            names.append("face_detected")
        return names
