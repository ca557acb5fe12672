"""Following faces through a video: detect now and then, track in between.

Running dlib's HOG detector on every full frame costs tens of milliseconds.
:class:`FaceTracker` runs it on a downscaled copy every ``detect_every``
frames (and whenever a track's quality drops), and follows each face in
between with dlib's correlation tracker on the same small frame. Faces keep
a stable id while they stay in view: a detection is matched to the track it
overlaps most (intersection over union).
"""

from dataclasses import dataclass, field

import numpy as np

from . import face

__all__ = ["FaceTracker", "Track", "iou"]


def iou(a, b):
    """Intersection over union of two boxes (left, top, right, bottom)."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    """One followed face. ``box`` is in full-frame pixels (left, top, right, bottom)."""

    id: int
    box: np.ndarray
    quality: float = 100.0
    missed: int = 0
    frames: int = 0
    first_frame: int = 0
    tracker: object = field(default=None, repr=False)


class FaceTracker:
    """Detect faces every few frames on a small copy of the frame; track them in between.

    Parameters
    ----------
    detect_every : int, default=5
        Run the detector every this many frames (1: every frame).
    detect_width : int, default=320
        Width of the downscaled frame for detection and tracking (frames
        narrower than this are used as they are). dlib's detector finds faces
        of about 80 pixels and more at this scale.
    upsample : int, default=0
        dlib's upsampling for detection (1 finds faces half as large, 4x slower).
    min_quality : float, default=7.0
        A track whose correlation-tracker quality (peak-to-sidelobe ratio)
        falls below this triggers a detection on the next frame.
    max_missed : int, default=1
        Detections a track may miss before it is dropped.
    """

    def __init__(self, *, detect_every=5, detect_width=320, upsample=0, min_quality=7.0, max_missed=1):
        self.detect_every = max(1, int(detect_every))
        self.detect_width = detect_width
        self.upsample = upsample
        self.min_quality = min_quality
        self.max_missed = max_missed
        self.tracks = []
        self._next_id = 1
        self._frame = -1
        self._force_detect = True
        self.detections_run = 0

    def update(self, gray):
        """Update the tracks with a new grey frame; return the current tracks."""
        import cv2
        import dlib

        self._frame += 1
        h, w = gray.shape[:2]
        scale = min(1.0, self.detect_width / w) if self.detect_width else 1.0
        small = gray if scale == 1.0 else cv2.resize(gray, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA)
        small = np.ascontiguousarray(small)
        detect = self._force_detect or self._frame % self.detect_every == 0 or not self.tracks
        if detect:
            self.detections_run += 1
            boxes, _ = face.detect_faces(small, self.upsample)
            self._match(boxes / scale, small, scale, dlib)
            self._force_detect = False
        else:
            for t in self.tracks:
                t.quality = float(t.tracker.update(small))
                pos = t.tracker.get_position()
                t.box = np.array([pos.left(), pos.top(), pos.right(), pos.bottom()]) / scale
                if t.quality < self.min_quality:
                    self._force_detect = True
        for t in self.tracks:
            t.frames += 1
        return list(self.tracks)

    def _start_tracker(self, track, box_full, small, scale, dlib):
        tracker = dlib.correlation_tracker()
        b = box_full * scale
        tracker.start_track(small, dlib.drectangle(*map(float, b)))
        track.tracker, track.box, track.quality = tracker, np.asarray(box_full, float), 100.0

    def _match(self, boxes, small, scale, dlib):
        unmatched = list(range(len(boxes)))
        kept = []
        # greedy matching, best overlap first
        pairs = sorted(
            ((iou(t.box, boxes[j]), i, j) for i, t in enumerate(self.tracks) for j in range(len(boxes))), reverse=True
        )
        used_tracks = set()
        for overlap, i, j in pairs:
            if overlap < 0.3 or i in used_tracks or j not in unmatched:
                continue
            used_tracks.add(i)
            unmatched.remove(j)
            t = self.tracks[i]
            t.missed = 0
            self._start_tracker(t, boxes[j], small, scale, dlib)
            kept.append(t)
        for i, t in enumerate(self.tracks):
            if i not in used_tracks:
                t.missed += 1
                if t.missed <= self.max_missed and t.quality >= self.min_quality:
                    kept.append(t)
        for j in unmatched:
            t = Track(id=self._next_id, box=boxes[j], first_frame=self._frame)
            self._next_id += 1
            self._start_tracker(t, boxes[j], small, scale, dlib)
            kept.append(t)
        self.tracks = sorted(kept, key=lambda t: t.id)
