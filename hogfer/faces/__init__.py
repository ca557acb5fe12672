"""Faces: dlib's detectors and 68 landmarks, alignment, faces in photos, faces followed through video, blinks.

- :mod:`.landmarks`: detection, landmarks, eye and mouth ratios, alignment to FER2013's layout;
- :mod:`.photos`: every face of a still image (:func:`find_faces`, :class:`Face`, :func:`read_image`);
- :mod:`.tracking`: faces followed from frame to frame (:class:`FaceTracker`);
- :mod:`.blinks`: blinks and winks from the eye aspect ratios (:class:`BlinkDetector`).
"""

from hogfer.faces.blinks import BlinkDetector
from hogfer.faces.photos import DETECTORS, Face, find_faces, read_image
from hogfer.faces.tracking import FaceTracker

__all__ = ["Face", "find_faces", "read_image", "DETECTORS", "FaceTracker", "BlinkDetector"]
