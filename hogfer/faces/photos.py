"""Faces in still images: reading any image, and the search for faces in it.

:func:`read_image` turns a file or an array of any common layout into 8-bit
BGR and grey; :class:`PhotoSearch` proposes the faces of a photo to
:class:`hogfer.faces.pipeline.FacePipeline`, which finds their landmarks,
aligns and classifies them (:func:`hogfer.find_faces`,
:func:`hogfer.predict_faces`) into :class:`hogfer.faces.records.Face`. Videos go
through :class:`hogfer.faces.tracking.FaceTracker` instead, which follows faces
from frame to frame.

Finding faces
-------------
``detector="hog"`` (the default) runs dlib's HOG detector on the image
upsampled ``upsample`` times (once by default, so faces down to about 40
pixels are found) and as it is, then on copies rotated by each of ``angles``, for
heads tilted past what the frontal detector accepts (about 15 degrees).
Every face of the upsampled upright pass is kept, so at least the faces dlib
finds on its own come back; a face found only by an extra pass (as it is, or
rotated) must score :data:`EXTRA_PASS_MIN_SCORE`. A face found in a rotated copy is added, or replaces
the one upright find it overlaps if it scores higher, and gets its
landmarks in that copy, mapped back. The passes run side by side in threads,
one a core (dlib leaves Python's lock while it searches).
``detector="cnn"`` runs dlib's CNN (MMOD) face detector, shipped in
``face-recognition-models``: it also finds faces turned further from the
camera, and takes seconds per photo on a CPU.
"""

import os
import threading
from pathlib import Path

import numpy as np

from hogfer.faces import landmarks as face
from hogfer.exceptions import HogferError
from hogfer.faces.records import Candidate

__all__ = ["read_image", "PhotoSearch", "DETECTORS"]

DETECTORS = ("hog", "cnn")

#: A face found only by an extra pass (a rotated copy, or the image searched
#: without upsampling) must score this much to be kept: each extra pass is
#: another chance of a false find (the upsampled upright pass keeps dlib's own
#: threshold, 0).
EXTRA_PASS_MIN_SCORE = 0.5
#: The framed copy searched where nothing is found: its image scaled to this many pixels on its
#: shorter side (a face filling it is then well above both detectors' smallest, about 80
#: pixels), a border of this fraction of its longer side, and the rotations (degrees) the CNN
#: detector searches last.
PADDED_SIDE = 200
PADDED_MARGIN = 0.3
PADDED_CNN_ANGLES = (-30.0, 30.0)
#: In the framed copy, a HOG find below dlib's threshold (down to this score) is kept where it fills
#: the framed image: this share of its box inside the image, its side this fraction of the image's.
FILLING_MIN_SCORE = -0.6
FILLING_INSIDE = 0.8
FILLING_SIDES = (0.6, 1.1)


def _to_uint8(array):
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        return (array.astype(np.uint32) * 255 // 65535).astype(np.uint8)
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        finite = array[np.isfinite(array)]
        top = 1.0 if finite.size == 0 or finite.max() <= 1.0 else 255.0
        return np.clip(np.nan_to_num(array) * (255.0 / top), 0, 255).round().astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        top = 255 if array.max(initial=0) <= 255 else 65535
        return np.clip(array.astype(np.float64) * (255.0 / top), 0, 255).round().astype(np.uint8)
    raise HogferError(f"an image of dtype {array.dtype} is not supported.")


def _open_file(path):
    """Decode a file, or encoded bytes (``path`` is then the bytes and the messages say "the image")."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(path, (bytes, bytearray, memoryview)):
        if not len(path):
            raise HogferError("image data: empty (0 bytes).")
        source, path = io.BytesIO(path), "image data"
    else:
        path = source = Path(path)
        if not path.is_file():
            raise HogferError(f"{path}: no such file.")
    try:
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image)  # phones store the rotation apart
            image.load()
    except UnidentifiedImageError:
        raise HogferError(f"{path}: not an image (or a format hogfer cannot read).") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise HogferError(f"{path}: a truncated or corrupt image ({exc}).") from None
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F", "1", "L"):
        return np.asarray(image)
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[..., ::-1])  # BGR, as OpenCV has it


def read_image(source):
    """An image as 8-bit BGR and grey copies.

    Parameters
    ----------
    source : path-like, bytes or ndarray
        A file or its encoded bytes (any format Pillow reads; a phone photo's
        EXIF rotation is applied), or an array: ``(H, W)`` grey, ``(H, W, 3)`` BGR or
        ``(H, W, 4)`` BGRA (OpenCV's channel order), of 8 or 16 bits or
        floats in [0, 1].

    Returns
    -------
    bgr : ndarray of shape (H, W, 3), dtype uint8
    gray : ndarray of shape (H, W), dtype uint8

    Raises
    ------
    HogferError
        A missing, unreadable, truncated or corrupt file, or an array of
        another shape.
    """
    import cv2

    encoded = isinstance(source, (str, Path, bytes, bytearray, memoryview))
    array = _open_file(source) if encoded else np.asarray(source)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or min(array.shape[:2]) < 1:
        raise HogferError(f"an image must be (H, W), (H, W, 3) or (H, W, 4); got shape {array.shape}.")
    array = _to_uint8(array)
    if array.ndim == 2:
        gray = np.ascontiguousarray(array)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), gray
    bgr = np.ascontiguousarray(array[..., :3])
    return bgr, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)


_per_thread = threading.local()


def cnn_face_detector():
    """dlib's CNN (MMOD) face detector, one per thread."""
    detector = getattr(_per_thread, "cnn", None)
    if detector is None:
        path = face.landmark_model_path().with_name("mmod_human_face_detector.dat")
        if not path.exists():
            raise HogferError(f"dlib's CNN face detector is missing at {path}: reinstall face-recognition-models")
        detector = _per_thread.cnn = face._dlib().cnn_face_detection_model_v1(str(path))
    return detector


def _rotation(shape, angle):
    """The affine map that rotates an image of ``shape`` by ``angle`` degrees into a canvas holding all of it."""
    import cv2

    h, w = shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (int(np.ceil(h * sin + w * cos)), int(np.ceil(h * cos + w * sin)))
    matrix[:, 2] += (size[0] - w) / 2, (size[1] - h) / 2
    return matrix, size


def _rotated(gray, angle):
    """``gray`` rotated by ``angle`` degrees, and the map from ``gray``'s pixels to the copy's."""
    import cv2

    matrix, size = _rotation(gray.shape, angle)
    return cv2.warpAffine(gray, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT), matrix


def map_points(matrix, points):
    """``points`` ``(n, 2)`` through the 2x3 affine map ``matrix``."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def _search_pool():
    """The threads the HOG passes of one photo share (dlib releases the GIL while it searches)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="hogfer-hog")
        return _POOL


_POOL = None
_POOL_LOCK = threading.Lock()


def _hog_pass(gray, upsample, angle):
    """dlib's HOG detector on ``gray`` turned by ``angle`` degrees: the boxes, scores, searched copy and map."""
    if not angle:
        boxes, scores = face.detect_faces(gray, upsample)
        return boxes, scores, gray, None
    rotated, turn = _rotated(gray, angle)
    boxes, scores = face.detect_faces(rotated, upsample)
    return boxes, scores, rotated, turn


def _hog_candidates(gray, upsample, angles, matrix=None):
    """Every find of dlib's HOG detector in ``gray``, upright and in copies turned by ``angles``.

    Each find is ``(box in the searched image, score, angle, map from the image to the
    searched one (None: the image itself), the searched image)``; ``matrix`` is the map
    to ``gray`` where ``gray`` is itself a copy of the image. The passes run side by side
    on the CPU's cores, the turned copies (the largest) first.
    """
    from hogfer.faces.tracking import same_face

    passes = [(upsample, float(angle)) for angle in angles] + [(upsample, 0.0)]
    if upsample:  # the image as it is too: dlib's upsampled pass misses some faces it finds there
        passes.append((0, 0.0))
    if len(passes) > 1 and gray.size >= 1e5:
        results = list(_search_pool().map(lambda p: _hog_pass(gray, *p), passes))
    else:
        results = [_hog_pass(gray, *p) for p in passes]
    found = []
    for (up, angle), (boxes, scores, searched, turn) in zip(passes, results):
        if not angle:
            found += [(b, s, 0.0, matrix, gray) for b, s in zip(boxes, scores)
                      if up == upsample or (s >= EXTRA_PASS_MIN_SCORE and not any(same_face(b, f[0]) for f in found))]
    for (up, angle), (boxes, scores, searched, turn) in zip(passes, results):
        if angle:
            to_rotated = turn if matrix is None else _compose(turn, matrix)
            found += [(b, s, angle, to_rotated, searched) for b, s in zip(boxes, scores) if s >= EXTRA_PASS_MIN_SCORE]
    return found


def _compose(outer, inner):
    """The affine map ``outer(inner(x))`` of two 2x3 maps."""
    return np.hstack([outer[:, :2] @ inner[:, :2], outer[:, :2] @ inner[:, 2:] + outer[:, 2:]])


def _padded(gray, side=PADDED_SIDE, margin=PADDED_MARGIN):
    """``gray`` scaled to ``side`` pixels on its shorter side and framed by a border of its median grey;
    the copy, and the map from ``gray``'s pixels to it."""
    import cv2

    scale = side / min(gray.shape)
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    big = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation)
    pad = int(margin * max(big.shape))
    canvas = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(np.median(big)))
    return canvas, np.array([[scale, 0.0, pad], [0.0, scale, pad]])


def _padded_candidates(gray, angles):
    """The finds in a framed copy of ``gray`` (a face that fills the image), each step tried only where
    the ones before it found nothing: HOG upright and turned by ``angles``; the CNN detector upright,
    then turned by ``PADDED_CNN_ANGLES``; HOG's weaker finds that fill the image
    (:func:`_filling_hog_candidates`); the CNN detector on the mirrored copy, upright and turned."""
    canvas, matrix = _padded(gray)
    found = _hog_candidates(canvas, 0, angles, matrix)
    for mirrored in (False, True):
        for angle in (0.0, *PADDED_CNN_ANGLES):
            if found:
                return found
            if angle:
                searched, turn = _rotated(canvas, angle)
                found = _cnn_candidates(searched, 0, _compose(turn, matrix), angle=float(angle), mirrored=mirrored)
            else:
                found = _cnn_candidates(canvas, 0, matrix, mirrored=mirrored)
        if not found and not mirrored:
            found = _filling_hog_candidates(canvas, matrix, gray.shape)
    return found


def _filling_hog_candidates(canvas, matrix, shape):
    """HOG's finds in the framed copy ``canvas`` down to ``FILLING_MIN_SCORE`` whose box fills the
    framed image (``shape``): at least ``FILLING_INSIDE`` of the box inside it, its side
    ``FILLING_SIDES`` of the image's shorter side."""
    rects, scores, _ = face.face_detector().run(np.ascontiguousarray(canvas), 0, FILLING_MIN_SCORE)
    scale, (left, top) = matrix[0, 0], matrix[:, 2]
    inner = np.array([left, top, left + shape[1] * scale, top + shape[0] * scale])
    found = []
    for r, score in sorted(zip(rects, scores), key=lambda f: -f[1]):
        box = np.array([r.left(), r.top(), r.right(), r.bottom()], dtype=float)
        overlap = np.clip(np.minimum(box[2:], inner[2:]) - np.maximum(box[:2], inner[:2]), 0, None).prod()
        side = (box[2] - box[0]) / (min(shape) * scale)
        if overlap >= FILLING_INSIDE * np.prod(box[2:] - box[:2]) and FILLING_SIDES[0] <= side <= FILLING_SIDES[1]:
            found.append((box, float(score), 0.0, matrix, canvas))
    return found[:1]


def _cnn_candidates(gray, upsample, matrix=None, angle=0.0, max_pixels=5e5, mirrored=False):
    """Every find of dlib's CNN detector in ``gray`` (searched at most ``max_pixels`` large), as
    :func:`_hog_candidates` gives them; ``gray`` is the image turned by ``angle`` where it is a copy.

    With ``mirrored``, the detector searches ``gray`` mirrored left to right (it is not
    symmetric: it finds some faces only one way round), and its boxes are mirrored back.
    """
    import cv2

    scale = min(1.0, float(np.sqrt(max_pixels / gray.size)))
    small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    width = small.shape[1]
    found = []
    for d in cnn_face_detector()(np.ascontiguousarray(small[:, ::-1] if mirrored else small), upsample):
        r = d.rect
        left, right = (width - 1 - r.right(), width - 1 - r.left()) if mirrored else (r.left(), r.right())
        box = np.array([left, r.top(), right, r.bottom()], dtype=float) / scale
        found.append((box, float(d.confidence), angle, matrix, gray))
    return found


def _upright_box(box, matrix):
    if matrix is None:
        return np.asarray(box, dtype=float)
    inverse = invert_map(matrix)
    corners = map_points(inverse, [[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]])
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))  # the searched copy may be scaled too
    centre, side = corners.mean(axis=0), float(box[2] - box[0]) / scale
    return np.array([centre[0] - side / 2, centre[1] - side / 2, centre[0] + side / 2, centre[1] + side / 2])


def invert_map(matrix):
    """The inverse of a 2x3 affine map."""
    import cv2

    return cv2.invertAffineTransform(matrix)


class PhotoSearch:
    """The faces of a still image: dlib's HOG (or CNN) detector, upright and turned, then a framed copy.

    The detector of :class:`hogfer.faces.pipeline.FacePipeline` for photos; see
    the module's notes and :func:`hogfer.faces.pipeline.find_faces`.

    Parameters
    ----------
    detector : {"hog", "cnn"}, default="hog"
    upsample : int, default=1
    angles : sequence of float, default=(-40.0, 40.0)
    cropped : bool, default=False
        The image is one face: no search, its box is the whole image.
    """

    def __init__(self, detector="hog", upsample=1, angles=(-40.0, 40.0), cropped=False):
        if detector not in DETECTORS:
            raise HogferError(f"unknown face detector {detector!r}: choose from {', '.join(DETECTORS)}.")
        self.detector = detector
        self.upsample = upsample
        self.angles = angles
        self.cropped = cropped

    def candidates(self, gray):
        """The faces of a grey image, as :class:`hogfer.faces.records.Candidate`, sorted left to right."""
        from hogfer.faces.tracking import same_face

        if self.cropped:
            h, w = gray.shape
            return [Candidate(np.array([0.0, 0.0, w - 1.0, h - 1.0]), 0.0, align=False)]
        if self.detector == "hog":
            found = _hog_candidates(gray, self.upsample, self.angles)
        else:
            found = _cnn_candidates(gray, self.upsample)
        if not found:
            found = _padded_candidates(gray, self.angles)
        # Every find in the image itself is kept (so at least dlib's own faces come back); a find in a
        # copy adds a face, or replaces the one upright find it overlaps if it scores higher.
        kept = [(np.asarray(c[0], float), *c) for c in found if c[3] is None]
        for box, score, angle, matrix, searched in sorted((c for c in found if c[3] is not None), key=lambda c: -c[1]):
            upright = _upright_box(box, matrix)
            overlapping = [i for i, k in enumerate(kept) if same_face(upright, k[0])]
            if not overlapping:
                kept.append((upright, box, score, angle, matrix, searched))
            elif len(overlapping) == 1 and score > kept[overlapping[0]][2] and kept[overlapping[0]][4] is None:
                kept[overlapping[0]] = (upright, box, score, angle, matrix, searched)
        candidates = [
            Candidate(upright, float(score), angle) if matrix is None
            else Candidate(upright, float(score), angle, searched=searched, matrix=matrix, searched_box=np.asarray(box, float))
            for upright, box, score, angle, matrix, searched in kept
        ]
        return sorted(candidates, key=lambda c: (c.box[0], c.box[1]))
