"""Following faces through a video: a full-frame search now and then, cheap re-detection in between.

dlib's HOG detector finds faces of about 80 pixels and more in the image it
scans. To find faces down to ``min_face`` pixels wide in any frame, the
*search* scans the whole frame scaled by ``80 / min_face`` (twice its size
for 40-pixel faces), four times the pixels of the frame: too slow for every
frame of an HD video, so :class:`FaceTracker`

- runs the search every ``search_every`` frames, in a worker thread (dlib
  releases the GIL), and adds what it found ``search_lag`` frames later, so
  the search runs beside the per-frame work on a second core instead of
  stalling it. The lag is a fixed number of frames, so a video gives the
  same result on any machine; a search not done by then is waited for;
- follows each known face in every frame by running the detector again in a
  small region around it, scaled so that the face is about ``roi_face``
  pixels wide (a few milliseconds, whatever the face's size);
- keeps a face whose re-detection fails (a head turned or tilted past what
  the frontal detector accepts) for up to ``max_missed`` frames, its box
  moved with its landmarks (:meth:`FaceTracker.follow`).

Faces keep a stable id while they stay in view.
"""

import concurrent.futures
from dataclasses import dataclass

import numpy as np

from hogfer.faces import landmarks as face
from hogfer.faces.records import Candidate

__all__ = ["FaceTracker", "Track", "iou", "same_face", "DLIB_WINDOW"]

#: Side in pixels of the smallest face dlib's HOG detector finds in the image it scans.
DLIB_WINDOW = 80


def iou(a, b):
    """Intersection over union of two boxes (left, top, right, bottom)."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def same_face(a, b, threshold=0.3):
    """The two boxes are the same face: enough overlap, or one's centre inside the other."""
    if iou(a, b) >= threshold:
        return True
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    dx, dy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return (b[0] <= cx <= b[2] and b[1] <= cy <= b[3]) or (a[0] <= dx <= a[2] and a[1] <= dy <= a[3])


def _scaled(gray, scale):
    import cv2

    if scale == 1.0:
        return np.ascontiguousarray(gray)
    h, w = gray.shape[:2]
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def search_faces(gray, min_face=40):
    """Boxes and scores of every face at least ``min_face`` pixels wide in a grey image."""
    scale = DLIB_WINDOW / float(min_face)
    boxes, scores = face.detect_faces(_scaled(gray, scale))
    return boxes / scale, scores


@dataclass
class Track:
    """One followed face. ``box`` is in full-frame pixels (left, top, right, bottom)."""

    id: int
    box: np.ndarray
    quality: float = 1.0  # detector score of the last re-detection (0 while coasting)
    missed: int = 0
    frames: int = 0
    first_frame: int = 0
    anchor: tuple | None = None  # (box, landmark centre, eye distance) at the last detection


class FaceTracker:
    """Find faces with a full-frame search now and then, follow them by re-detection around each.

    Parameters
    ----------
    min_face : int, default=40
        Width in pixels of the smallest face the search finds, at any
        frame size (smaller is slower: the search scans
        ``(80 / min_face) ** 2`` times the frame's pixels).
    search_every : int, default=20
        Frames between the starts of two full-frame searches; a search also
        starts as soon as a face is lost.
    search_lag : int, default=16
        Frames after its start at which a search's faces are added (at most
        ``search_every``; 0 runs it in the calling thread, its faces added on
        the next frame).
    roi_face : int, default=100
        A known face is re-detected in a region scaled so it is this wide.
    roi_margin : float, default=0.6
        That region reaches this many face widths beyond the face's box.
    max_missed : int, default=8
        Frames a face may go without re-detection before it is dropped.
    """

    def __init__(self, *, min_face=40, search_every=20, search_lag=16, roi_face=100, roi_margin=0.6, max_missed=8):
        self.min_face = min_face
        self.search_every = search_every
        self.search_lag = search_lag
        self.roi_face = roi_face
        self.roi_margin = roi_margin
        self.max_missed = max_missed
        self.tracks = []
        self._next_id = 1
        self._frame = -1
        self._pending = None  # (start frame, future)
        self._last_search = 0
        self._executor = None
        self.detections_run = 0  # full-frame searches started

    # -- the full-frame search ------------------------------------------------
    def _start_search(self, gray):
        self.detections_run += 1
        self._last_search = self._frame
        if self.search_lag <= 0:  # in this thread, added on the next frame
            done = concurrent.futures.Future()
            done.set_result(search_faces(gray, self.min_face))
            self._pending = (self._frame, done)
            return
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="hogfer-search")
        self._pending = (self._frame, self._executor.submit(search_faces, gray.copy(), self.min_face))

    def _collect_search(self):
        """The faces of the pending search that no track holds, once its lag is over."""
        start, future = self._pending
        if self._frame - start < max(1, min(self.search_lag, self.search_every)):
            return []
        self._pending = None
        boxes, _ = future.result()
        return [b for b in boxes if not any(same_face(t.box, b) for t in self.tracks)]

    # -- re-detection around a known face -----------------------------------
    def _redetect(self, gray, box):
        h, w = gray.shape[:2]
        side = max(box[2] - box[0], box[3] - box[1], 1.0)
        pad = self.roi_margin * side
        x0, y0 = int(max(0, box[0] - pad)), int(max(0, box[1] - pad))
        x1, y1 = int(min(w, box[2] + pad)), int(min(h, box[3] + pad))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None, 0.0
        scale = self.roi_face / side
        region = _scaled(gray[y0:y1, x0:x1], scale)
        boxes, scores = face.detect_faces(region)
        best, best_overlap = None, 0.2
        for b, s in zip(boxes, scores):
            b = b / scale + [x0, y0, x0, y0]
            overlap = iou(b, box)
            if overlap > best_overlap:
                best, best_overlap = (b, float(s)), overlap
        return best if best is not None else (None, 0.0)

    def update(self, gray):
        """Update the tracks with a new grey frame; return the current tracks."""
        self._frame += 1
        gray = np.ascontiguousarray(gray)
        if self._frame == 0:  # the first frame is searched at once
            self.detections_run += 1
            self._last_search = 0
            new_boxes = list(search_faces(gray, self.min_face)[0])
        else:
            new_boxes = self._collect_search() if self._pending is not None else []
        # a face from a search is kept only if re-detection confirms it in this frame
        self.tracks += [Track(id=-1, box=np.asarray(b, float), first_frame=self._frame, missed=self.max_missed) for b in new_boxes]
        kept, lost = [], False
        for t in self.tracks:
            found, score = self._redetect(gray, t.box)
            if found is not None:
                t.box, t.quality, t.missed, t.anchor = found, score, 0, None
            else:
                t.quality, t.missed = 0.0, t.missed + 1
            if t.missed <= self.max_missed and not any(same_face(k.box, t.box, 0.5) for k in kept):
                if t.id < 0:
                    t.id, self._next_id = self._next_id, self._next_id + 1
                t.frames += 1
                kept.append(t)
            else:
                lost = lost or t.frames > 0
        self.tracks = kept
        due = self._frame - self._last_search >= self.search_every
        if self._pending is None and self._frame > 0 and (due or lost):
            self._start_search(gray)
        return list(self.tracks)

    def candidates(self, gray):
        """:meth:`update`'s tracks as :class:`hogfer.faces.records.Candidate` (the detector of a
        :class:`hogfer.faces.pipeline.FacePipeline` for video frames)."""
        return [Candidate(np.asarray(t.box, float), t.quality, track=t, id=t.id) for t in self.update(gray)]

    def located(self, candidate, found):
        """:meth:`follow` the candidate's track with the face's landmarks; the face takes the track's box."""
        self.follow(candidate.track, found.landmarks)
        found.box = np.asarray(candidate.track.box, dtype=float)

    def follow(self, track, landmarks):
        """Move a track's box with its landmarks while re-detection fails; call after each frame's landmarks."""
        landmarks = np.asarray(landmarks, dtype=np.float64)
        left, right = face.eye_centers(landmarks)
        centre, eyes = landmarks.mean(axis=0), max(float(np.hypot(*(right - left))), 1e-6)
        if track.missed == 0 or track.anchor is None:
            track.anchor = (np.asarray(track.box, float), centre, eyes)
            return
        box, centre0, eyes0 = track.anchor
        scale = eyes / eyes0
        mid0 = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        half = np.array([box[2] - box[0], box[3] - box[1]]) * scale / 2
        mid = centre + (mid0 - centre0) * scale
        track.box = np.array([mid[0] - half[0], mid[1] - half[1], mid[0] + half[0], mid[1] + half[1]])

    def close(self):
        """Stop the search thread (a running search is abandoned)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            self._pending = None
