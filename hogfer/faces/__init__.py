"""Faces: dlib's detectors and 68 landmarks, alignment, faces in photos, faces followed through video, blinks.

- :mod:`.landmarks`: detection, landmarks, eye and mouth ratios, alignment to FER2013's layout;
- :mod:`.pipeline`: the face path, detect -> landmarks -> align -> classify (:class:`FacePipeline`,
  :func:`find_faces`);
- :mod:`.photos`: reading any image and searching it for faces (:func:`read_image`, :class:`PhotoSearch`);
- :mod:`.records`: what the path passes along (:class:`Face`, a detector's candidate);
- :mod:`.tracking`: faces followed from frame to frame (:class:`FaceTracker`);
- :mod:`.blinks`: blinks and winks from the eye aspect ratios (:class:`BlinkDetector`).
"""

from hogfer.faces.blinks import BlinkDetector
from hogfer.faces.photos import DETECTORS, PhotoSearch, read_image
from hogfer.faces.records import Face
from hogfer.faces.pipeline import FacePipeline, find_faces
from hogfer.faces.tracking import FaceTracker

__all__ = ["Face", "FacePipeline", "PhotoSearch", "find_faces", "read_image", "DETECTORS", "FaceTracker",
           "BlinkDetector"]
