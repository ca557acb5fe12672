"""The face path: detect, landmarks, align, classify, composed once.

Every face hogfer reports goes through :class:`FacePipeline`: a *detector*
proposes faces (:class:`hogfer.faces.records.Candidate`), dlib's 68 landmarks are found in each
(in the copy of the image it was found in, mapped back), the face is aligned
to FER2013's layout (:func:`hogfer.faces.landmarks.align_face`) and an emotion
model classifies the aligned crops in one batch.

Two detectors plug in:

- :class:`hogfer.faces.photos.PhotoSearch` for still images (``hogfer
  predict``, ``hogfer serve``, ``hogfer analyze`` on a folder, the library's
  :func:`find_faces` and :func:`hogfer.store.emotion.predict_faces`);
- :class:`hogfer.faces.tracking.FaceTracker` for video frames (``hogfer
  live``, ``hogfer analyze`` on a video), which is also told each face's
  landmarks, so that it can follow a face the detector loses for a few frames.

A detector is any object with ``candidates(gray) -> list of Candidate``; it may
have ``located(candidate, face)``, called with each face once its landmarks are
known.
"""

import time

import numpy as np

from hogfer.data.fer2013 import IMAGE_SIZE
from hogfer.faces import landmarks as face
from hogfer.faces.photos import PhotoSearch, invert_map, map_points, read_image
from hogfer.faces.records import Face

__all__ = ["FacePipeline", "classify_faces", "find_faces"]


def _landmarks(gray, candidate):
    """The 68 landmarks of ``candidate`` in ``gray``'s pixels."""
    if candidate.searched is None:
        return face.predict_landmarks(gray, candidate.box)
    points = face.predict_landmarks(candidate.searched, candidate.searched_box)
    return map_points(invert_map(candidate.matrix), points).astype(np.float32)


def _crop(gray, candidate, points, size):
    """The face as the emotion models take it: aligned by ``points``, or its box scaled to ``size``."""
    import cv2

    if candidate.align:
        return face.align_face(gray, points, size)
    left, top, right, bottom = (int(round(v)) for v in candidate.box)
    region = gray[max(top, 0):bottom + 1, max(left, 0):right + 1]
    interpolation = cv2.INTER_AREA if min(region.shape) >= size else cv2.INTER_CUBIC
    return cv2.resize(region, (size, size), interpolation=interpolation)


def classify_faces(faces, model):
    """Set each face's ``probabilities`` and ``model`` with one batch of ``model``; return the faces."""
    if faces and model is not None:
        probs = model.predict_proba(np.stack([f.crop for f in faces]))
        for f, p in zip(faces, probs):
            f.probabilities = dict(zip(model.emotions, (float(v) for v in p)))
            f.model = model.name
    return faces


class FacePipeline:
    """Detect, landmarks, align, classify: every face of an image or video frame.

    Parameters
    ----------
    detector : object
        Proposes the faces: ``detector.candidates(gray)`` returns a list of
        :class:`hogfer.faces.records.Candidate`; ``detector.located(candidate, face)``, where it
        exists, is called with each face once its landmarks are known.
        :class:`hogfer.faces.photos.PhotoSearch` (still images) or
        :class:`hogfer.faces.tracking.FaceTracker` (video frames).
    model : hogfer.store.emotion.EmotionModel, default=None
        Classifies the aligned faces; faces and landmarks only if None.
    size : int, default=48
        Side of the aligned crops.

    Examples
    --------
    >>> from hogfer.faces.photos import PhotoSearch
    >>> from hogfer.faces.pipeline import FacePipeline
    >>> faces = FacePipeline(PhotoSearch())("group.jpg")  # doctest: +SKIP
    """

    def __init__(self, detector, model=None, *, size=IMAGE_SIZE):
        self.detector = detector
        self.model = model
        self.size = size

    def __call__(self, image, timings=None):
        """Every face of ``image`` (anything :func:`hogfer.faces.photos.read_image` takes).

        Parameters
        ----------
        image : path-like, bytes or ndarray
        timings : dict, default=None
            Filled with the milliseconds of each stage: ``detect``,
            ``landmarks`` (with the alignment) and ``emotion``.

        Returns
        -------
        list of hogfer.faces.records.Face
            In the detector's order.
        """
        start = time.perf_counter()
        laps = {} if timings is None else timings

        def lap(stage):
            nonlocal start
            now = time.perf_counter()
            laps[stage] = (now - start) * 1000
            start = now

        gray = image if isinstance(image, np.ndarray) and image.ndim == 2 and image.dtype == np.uint8 else read_image(image)[1]
        candidates = self.detector.candidates(gray)
        lap("detect")
        located = getattr(self.detector, "located", None)
        faces = []
        for candidate in candidates:
            points = _landmarks(gray, candidate)
            found = Face(np.asarray(candidate.box, dtype=float), points, float(candidate.score), candidate.angle,
                         _crop(gray, candidate, points, self.size), id=candidate.id)
            if located is not None:
                located(candidate, found)
            faces.append(found)
        lap("landmarks")
        classify_faces(faces, self.model)
        lap("emotion")
        return faces


def find_faces(image, *, detector="hog", upsample=1, angles=(-40.0, 40.0), size=IMAGE_SIZE, cropped=False):
    """Every face in an image, with its 68 landmarks and aligned crop.

    Parameters
    ----------
    image : path-like or ndarray
        Anything :func:`hogfer.faces.photos.read_image` takes.
    detector : {"hog", "cnn"}, default="hog"
        dlib's HOG detector (fast) or its CNN detector (slower, finds more
        turned faces); see :class:`hogfer.faces.photos.PhotoSearch`.
    upsample : int, default=1
        Times the image is doubled before the search (each finds faces half
        as large, at four times the cost).
    angles : sequence of float, default=(-40.0, 40.0)
        HOG only: rotations (degrees) of the extra copies searched for tilted
        faces; ``()`` for none.
    size : int, default=48
        Side of the aligned crops.
    cropped : bool, default=False
        The image is one face, cut as FER2013's are: no search; the face's box
        is the whole image, its landmarks are found in it, and its crop is the
        image scaled to ``size``.

    Returns
    -------
    list of hogfer.faces.records.Face
        Sorted left to right.

    Notes
    -----
    Where the search finds no face, it searches again a copy of the image
    scaled to 200 pixels on its shorter side and framed by a border of its
    median grey, 30% of its longer side: a face that fills the image, with no
    margin around it (a cropped face), is found there, by the HOG detector
    (upright and turned by ``angles``), else by the CNN detector, upright and
    then turned by 30 degrees either way, else by a weaker HOG find whose box
    fills the framed image, else by the CNN detector on the mirrored copy
    (upright and turned; the detector is not left-right symmetric). Each step
    runs only where the ones before it found nothing, so that second search
    costs a few hundred milliseconds for most cropped faces and a few seconds
    for an image with no face, whatever its size.
    """
    search = PhotoSearch(detector=detector, upsample=upsample, angles=angles, cropped=cropped)
    return FacePipeline(search, size=size)(image)
