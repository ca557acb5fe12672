"""Faces with dlib: HOG face detection, 68 landmarks, alignment and eye/mouth ratios.

Shared by :class:`hogfer.LandmarkFeatures`, the live app and the deep models.
dlib and OpenCV are imported on first use. Landmark indices follow the iBUG
300-W 68-point scheme (0-based): jaw 0-16, brows 17-26, nose 27-35, the
subject's right eye 36-41 (on the image's left), left eye 42-47, outer lips
48-59, inner lips 60-67.
"""

import functools
import importlib.util
import threading
from pathlib import Path

import numpy as np

from hogfer.data.fer2013 import IMAGE_SIZE
from hogfer.exceptions import HogferError

__all__ = [
    "RIGHT_EYE",
    "LEFT_EYE",
    "INNER_MOUTH",
    "landmark_model_path",
    "face_detector",
    "shape_predictor",
    "detect_faces",
    "predict_landmarks",
    "eye_centers",
    "eye_aspect_ratio",
    "mouth_aspect_ratio",
    "alignment_matrix",
    "align_face",
    "FER_EYES",
]

RIGHT_EYE = np.arange(36, 42)  # subject's right eye: image left
LEFT_EYE = np.arange(42, 48)
INNER_MOUTH = np.arange(60, 68)

#: Where :func:`align_face` puts the eye centres, as fractions of the output
#: size: (x of the image-left eye, x of the image-right eye, y of both). These
#: are the median eye positions of dlib landmarks on FER2013's Training faces,
#: so aligned crops from any photo look like FER2013's faces.
FER_EYES = (0.31, 0.68, 0.39)


def landmark_model_path():
    """Path of dlib's 68-point model, shipped by the ``face-recognition-models`` package."""
    spec = importlib.util.find_spec("face_recognition_models")  # not imported: it needs pkg_resources
    if spec is None or not spec.submodule_search_locations:
        raise HogferError("dlib's landmark model is missing: pip install face-recognition-models")
    path = Path(spec.submodule_search_locations[0], "models", "shape_predictor_68_face_landmarks.dat")
    if not path.exists():
        raise HogferError(f"dlib's landmark model is missing at {path}: reinstall face-recognition-models")
    return path


def _dlib():
    try:
        import dlib
    except ImportError:
        raise HogferError("dlib is not installed: pip install dlib-bin (or a self-compiled dlib)") from None
    return dlib


_per_thread = threading.local()


def face_detector():
    """dlib's HOG + linear SVM frontal face detector, one per thread (a detector is not thread-safe)."""
    detector = getattr(_per_thread, "detector", None)
    if detector is None:
        detector = _per_thread.detector = _dlib().get_frontal_face_detector()
    return detector


@functools.lru_cache(maxsize=1)
def shape_predictor():
    """dlib's 68-landmark shape predictor (loaded once per process)."""
    return _dlib().shape_predictor(str(landmark_model_path()))


def detect_faces(gray, upsample=0):
    """Face boxes ``(left, top, right, bottom)`` found by dlib's HOG detector.

    Parameters
    ----------
    gray : ndarray of shape (H, W), dtype uint8
    upsample : int, default=0
        Times dlib doubles the image first (finds smaller faces, slower).

    Returns
    -------
    boxes : ndarray of shape (n_faces, 4), dtype int
        Sorted by decreasing detection score.
    scores : ndarray of shape (n_faces,)
    """
    rects, scores, _ = face_detector().run(np.ascontiguousarray(gray), upsample, 0.0)
    boxes = np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects], dtype=int).reshape(-1, 4)
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    return boxes[order], scores[order]


def predict_landmarks(gray, box):
    """The 68 landmarks ``(x, y)`` of the face in ``box`` (left, top, right, bottom)."""
    dlib = _dlib()
    left, top, right, bottom = (int(round(v)) for v in box)
    shape = shape_predictor()(np.ascontiguousarray(gray), dlib.rectangle(left, top, right, bottom))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def eye_centers(landmarks):
    """Centres of the image-left and image-right eye, each ``(..., 2)``."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    return landmarks[..., RIGHT_EYE, :].mean(axis=-2), landmarks[..., LEFT_EYE, :].mean(axis=-2)


def eye_aspect_ratio(eye):
    """Eye aspect ratio of six eye landmarks ``(..., 6, 2)`` (Soukupova and Cech, 2016).

    ``EAR = (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|)``: about 0.25-0.35 for an
    open eye, near 0.1 for a closed one.
    """
    eye = np.asarray(eye, dtype=np.float64)
    d = lambda a, b: np.linalg.norm(eye[..., a, :] - eye[..., b, :], axis=-1)  # noqa: E731
    return (d(1, 5) + d(2, 4)) / (2.0 * np.maximum(d(0, 3), 1e-6))


def mouth_aspect_ratio(landmarks):
    """Mouth opening: mean of the three inner-lip heights over the inner-lip width.

    Uses points 61-67, 62-66, 63-65 (heights) and 60-64 (width); 0 for a closed mouth.
    """
    p = np.asarray(landmarks, dtype=np.float64)
    d = lambda a, b: np.linalg.norm(p[..., a, :] - p[..., b, :], axis=-1)  # noqa: E731
    return (d(61, 67) + d(62, 66) + d(63, 65)) / (3.0 * np.maximum(d(60, 64), 1e-6))


def alignment_matrix(landmarks, size=IMAGE_SIZE, eyes=FER_EYES):
    """The 2x3 similarity transform that puts the eye centres at ``eyes`` in a ``size`` square.

    Rotation makes the eyes level, the scale makes their distance
    ``(eyes[1] - eyes[0]) * size``.
    """
    left, right = eye_centers(landmarks)
    dx, dy = right - left
    angle = np.arctan2(dy, dx)
    scale = (eyes[1] - eyes[0]) * size / max(np.hypot(dx, dy), 1e-6)
    cos, sin = scale * np.cos(-angle), scale * np.sin(-angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    mid = (left + right) / 2
    target = np.array([(eyes[0] + eyes[1]) / 2 * size, eyes[2] * size])
    return np.hstack([rotation, (target - rotation @ mid)[:, None]])


def align_face(image, landmarks, size=IMAGE_SIZE, eyes=FER_EYES):
    """Crop a face so that its eyes are level and where FER2013's eyes are.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, 3), dtype uint8
    landmarks : ndarray of shape (68, 2)
        The face's landmarks in ``image`` coordinates.
    size : int, default=48
        Side of the square output.
    eyes : (float, float, float), default=FER_EYES
        Eye positions in the output, as fractions of ``size``.

    Returns
    -------
    ndarray of shape (size, size[, 3]), dtype uint8
    """
    import cv2

    matrix = alignment_matrix(landmarks, size, eyes)
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
