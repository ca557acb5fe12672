"""What the face path passes along: a detector's :class:`Candidate`, and the :class:`Face` it becomes.

See :class:`hogfer.faces.pipeline.FacePipeline`.
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Candidate", "Face"]


@dataclass
class Candidate:
    """A face a detector proposes.

    Attributes
    ----------
    box : ndarray of shape (4,)
        ``(left, top, right, bottom)`` in image pixels, upright.
    score : float
        The detector's confidence.
    angle : float, default=0.0
        Rotation of the copy the face was found in (0: the image as it is).
    searched : ndarray or None, default=None
        The copy of the image the face was found in (rotated, framed), where
        its landmarks are found; None: the image itself.
    matrix : ndarray of shape (2, 3) or None, default=None
        The affine map from the image's pixels to ``searched``'s.
    searched_box : ndarray of shape (4,) or None, default=None
        The face's box in ``searched``.
    align : bool, default=True
        Align the face by its landmarks; False: the crop is the box scaled to
        the crop size (a face cut as FER2013's are).
    track : object, default=None
        The detector's own record of the face (a video track).
    id : int or None, default=None
        The face's id across frames, for a tracking detector.
    """

    box: np.ndarray
    score: float
    angle: float = 0.0
    searched: np.ndarray | None = None
    matrix: np.ndarray | None = None
    searched_box: np.ndarray | None = None
    align: bool = True
    track: object = None
    id: int | None = None


@dataclass
class Face:
    """One face in an image.

    Attributes
    ----------
    box : ndarray of shape (4,)
        ``(left, top, right, bottom)`` in image pixels (upright, even for a
        face found in a rotated copy).
    landmarks : ndarray of shape (68, 2)
        dlib's 68 points, ``(x, y)`` in image pixels.
    score : float
        The detector's confidence.
    angle : float
        Rotation of the copy the face was found in (0: the image as it is).
    crop : ndarray of shape (48, 48), dtype uint8
        The face aligned as FER2013's faces are (:func:`hogfer.faces.landmarks.align_face`).
    probabilities : dict or None
        Emotion -> probability, once a model has classified the face.
    model : str or None
        The name of that model.
    id : int or None
        In a video, the face's id from frame to frame.
    """

    box: np.ndarray
    landmarks: np.ndarray
    score: float
    angle: float = 0.0
    crop: np.ndarray = field(default=None, repr=False)
    probabilities: dict | None = None
    model: str | None = None
    id: int | None = None

    @property
    def emotion(self):
        """The most probable emotion, or None before classification."""
        return max(self.probabilities, key=self.probabilities.get) if self.probabilities else None

    def to_dict(self, index=None):
        """A JSON-ready record (the landmarks rounded to 0.1 pixel; the probabilities as they are, summing to 1)."""
        record = {} if index is None else {"id": index}
        record.update(box=[round(float(v), 1) for v in self.box], score=round(float(self.score), 3))
        if self.angle:
            record["angle"] = self.angle
        record["landmarks"] = np.round(self.landmarks, 1).tolist()
        if self.probabilities is not None:
            record.update(
                probabilities={k: float(v) for k, v in self.probabilities.items()},
                emotion=self.emotion,
                probability=float(self.probabilities[self.emotion]),
                model=self.model,
            )
        return record
