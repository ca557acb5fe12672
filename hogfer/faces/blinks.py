"""Blink and wink detection from the eye aspect ratio of each eye, adaptive to each face.

The eye aspect ratio (EAR) of Soukupova and Cech [1]_ falls when the lids
close. A fixed EAR threshold fails on real faces: open eyes that are narrow
(smiling, squinting, some eye shapes) sit at 0.26 where the usual threshold
is 0.25-0.30, talking and head turns make short dips, and lids often stay
lowered for a while after a blink. :class:`BlinkDetector` therefore works on
each eye's EAR *relative to that eye's own open level*:

- **baseline**: the open level is a high percentile of the eye's EAR over
  the last ``baseline_s`` seconds, so it follows the face (a smile, a head
  turn) and ignores the short closures themselves;
- **smoothing**: a running median over ``smooth_s`` seconds (a no-op at 30
  frames/s and below, three frames at 60), so high frame rates do not turn
  landmark jitter into dips;
- **closing and reopening**: an eye closes when its ratio falls below
  ``close_ratio``. Once both eyes have closed together, an eye counts as open
  again when its ratio has risen ``rise`` above the lowest point of the
  closure (but at least ``reopen_ratio`` and at most ``open_ratio``): a blink
  ends when the lids come back up part of the way, so two blinks in quick
  succession stay two, and lids that stay lowered after a blink (looking
  down, a head tilt) do not stretch the blink into a long closure. A single
  closed eye (a wink) must come back above ``open_ratio``;
- **durations** [2]_: both eyes closed together for ``min_blink_s`` to
  ``max_blink_s`` seconds is a ``blink`` (a blink lasts roughly 100-400 ms;
  shorter dips are noise); longer is ``eyes_closed``; one eye closed for at
  least ``min_wink_s``, and deeply (below ``max_wink_ratio``), while the other
  stayed open is a ``wink``.

Durations are in seconds, so the same settings hold at 15 and at 60 frames
per second.

References
----------
.. [1] T. Soukupova and J. Cech, "Real-Time Eye Blink Detection using Facial
   Landmarks", 21st Computer Vision Winter Workshop (CVWW), 2016.
.. [2] A. Kwon et al., "High-speed camera characterization of voluntary eye
   blinking kinematics", J. R. Soc. Interface 10, 2013 (blink durations).
"""

from collections import deque
from dataclasses import dataclass

import numpy as np

__all__ = ["BlinkDetector", "EyeEvent", "threshold_blink_count"]


@dataclass(frozen=True)
class EyeEvent:
    """A finished blink, wink or eyes-closed event."""

    kind: str  # "blink", "wink" or "eyes_closed"
    start_frame: int
    end_frame: int  # last frame with an eye closed
    min_frame: int  # frame of the lowest EAR ratio
    duration_s: float
    eye: str | None = None  # for winks: "right" (subject's right, image left) or "left"
    min_ratio: float = 1.0

    def to_dict(self):
        return {k: v for k, v in self.__dict__.items() if v is not None}


class _Eye:
    """One eye's baseline, smoothing and closed state."""

    def __init__(self, window, smooth, percentile):
        self.history = deque(maxlen=window)
        self.recent = deque(maxlen=smooth)
        self.percentile = percentile
        self.closed = False
        self.lowest = 1.0

    def ratio(self, ear):
        if np.isfinite(ear):
            self.history.append(ear)
            self.recent.append(ear)
        if not self.recent:
            return 1.0
        base = float(np.percentile(self.history, self.percentile))
        return float(np.median(self.recent)) / base if base > 0 else 1.0


class BlinkDetector:
    """Per-face blink and wink detector; feed it one pair of EARs per frame.

    Parameters
    ----------
    fps : float
        Frame rate of the video; every duration below is in seconds.
    close_ratio : float, default=0.65
        An eye closes when its EAR falls below this fraction of its open level.
    rise : float, default=0.2
        After both eyes closed, an eye is open again once its ratio is this
        much above the lowest ratio of the closure ...
    reopen_ratio : float, default=0.7
        ... and at least this (a hysteresis above ``close_ratio``) ...
    open_ratio : float, default=0.8
        ... or in any case once it is above this.
    baseline_s : float, default=3.0
        Window of recent frames the open level is taken from.
    baseline_percentile : float, default=75
        The open level is this percentile of the window's EARs.
    smooth_s : float, default=0.05
        Each eye's EAR is the median of the last ``smooth_s`` seconds of
        frames (one frame at 30 frames/s and below).
    warmup_s : float, default=0.4
        No event starts before this much of the face has been seen.
    min_blink_s : float, default=0.075
        Shorter closures of both eyes are noise (at 30 frames/s: fewer than
        3 frames).
    max_blink_s : float, default=0.5
        Longer closures of both eyes are ``eyes_closed``, not blinks.
    min_wink_s : float, default=0.25
        Shorter one-eye closures are ignored ...
    max_wink_ratio : float, default=0.5
        ... and so are those whose eye never fell below this fraction of its
        open level (lids lowered on one side by a head tilt or a smile).
    min_both_fraction : float, default=0.3
        Share of an event's frames with both eyes closed that makes it a blink
        rather than a wink.

    Attributes
    ----------
    counts : dict
        Finished events so far, by kind.
    """

    def __init__(
        self,
        fps,
        *,
        close_ratio=0.65,
        rise=0.2,
        reopen_ratio=0.7,
        open_ratio=0.8,
        baseline_s=3.0,
        baseline_percentile=75,
        smooth_s=0.05,
        warmup_s=0.4,
        min_blink_s=0.075,
        max_blink_s=0.5,
        min_wink_s=0.25,
        max_wink_ratio=0.5,
        min_both_fraction=0.3,
    ):
        self.fps = float(fps) if fps and 1.0 <= fps <= 1000.0 else 25.0
        self.close_ratio = close_ratio
        self.rise = rise
        self.reopen_ratio = reopen_ratio
        self.open_ratio = open_ratio
        self.baseline_percentile = baseline_percentile
        self.warmup_frames = max(1, int(round(warmup_s * self.fps)))
        self.min_blink_s = min_blink_s
        self.max_blink_s = max_blink_s
        self.min_wink_s = min_wink_s
        self.max_wink_ratio = max_wink_ratio
        self.min_both_fraction = min_both_fraction
        window = max(5, int(round(baseline_s * self.fps)))
        smooth = max(1, int(round(smooth_s * self.fps)) // 2 * 2 + 1) if smooth_s * self.fps >= 2 else 1
        self._eyes = (_Eye(window, smooth, baseline_percentile), _Eye(window, smooth, baseline_percentile))
        self._event = None
        self.counts = {"blink": 0, "wink": 0, "eyes_closed": 0}
        self.frames_seen = 0
        self.last_ratios = (1.0, 1.0)

    def baseline(self):
        """Current open level of (right, left) eye, or None before any frame."""
        if not self._eyes[0].history:
            return None
        return tuple(float(np.percentile(e.history, self.baseline_percentile)) for e in self._eyes)

    def _step(self, eye, ratio, both):
        if eye.closed:
            eye.lowest = min(eye.lowest, ratio)
            reopen = min(self.open_ratio, max(self.reopen_ratio, eye.lowest + self.rise)) if both else self.open_ratio
            eye.closed = ratio < reopen
        elif ratio < self.close_ratio:
            eye.closed, eye.lowest = True, ratio

    def update(self, frame, ear_right, ear_left):
        """Add one frame's EARs (subject's right and left eye); return a finished EyeEvent or None.

        A frame without a face (NaN EARs) changes nothing.
        """
        self.frames_seen += 1
        if not (np.isfinite(ear_right) and np.isfinite(ear_left)):
            return None
        ratios = tuple(eye.ratio(float(ear)) for eye, ear in zip(self._eyes, (ear_right, ear_left)))
        self.last_ratios = ratios
        if self.frames_seen <= self.warmup_frames:
            return None
        both = self._event is not None and self._event["both"] > 0 or all(e.closed for e in self._eyes)
        for eye, ratio in zip(self._eyes, ratios):
            self._step(eye, ratio, both)
        closed = [eye.closed for eye in self._eyes]
        if any(closed):
            if self._event is None:
                self._event = {"start": frame, "both": 0, "eye_frames": [0, 0], "min": (min(ratios), frame)}
            ev = self._event
            ev["last"] = frame
            ev["both"] += closed[0] and closed[1]
            for i in range(2):
                ev["eye_frames"][i] += closed[i]
            if min(ratios) < ev["min"][0]:
                ev["min"] = (min(ratios), frame)
            return None
        if self._event is not None:
            ev, self._event = self._event, None
            return self._classify(ev)
        return None

    def finish(self):
        """Close an event still open at the end of the video."""
        if self._event is None:
            return None
        ev, self._event = self._event, None
        return self._classify(ev)

    def _classify(self, ev):
        frames = ev["last"] - ev["start"] + 1
        duration = frames / self.fps
        common = dict(start_frame=ev["start"], end_frame=ev["last"], min_frame=ev["min"][1], min_ratio=round(ev["min"][0], 3))
        # Both eyes closed together for a good part of the event: a blink (or a
        # long closure). A closed eye whose partner dips below the threshold for a
        # frame or two (a smiling wink squints the other eye) is still a wink.
        if ev["both"] >= max(1, self.min_both_fraction * frames):
            both_s = ev["both"] / self.fps
            if both_s < self.min_blink_s:
                return None
            kind = "blink" if both_s <= self.max_blink_s else "eyes_closed"
            event = EyeEvent(kind, duration_s=round(duration, 3), **common)
        else:
            eye = "right" if ev["eye_frames"][0] >= ev["eye_frames"][1] else "left"
            if max(ev["eye_frames"]) / self.fps < self.min_wink_s or ev["min"][0] > self.max_wink_ratio:
                return None
            event = EyeEvent("wink", duration_s=round(duration, 3), eye=eye, **common)
        self.counts[event.kind] += 1
        return event

    def blinks_per_minute(self):
        """Blinks per minute of this face's time in view."""
        minutes = self.frames_seen / self.fps / 60
        return self.counts["blink"] / minutes if minutes > 0 else 0.0


def threshold_blink_count(ears, *, threshold=0.25, min_frames=3):
    """The textbook counter: runs of at least ``min_frames`` frames with mean EAR below ``threshold``.

    The fixed-threshold method of Soukupova and Cech's baseline, as most
    tutorials implement it. hogfer's benchmark runs it beside
    :class:`BlinkDetector` as the reference to beat.

    Parameters
    ----------
    ears : array-like of shape (n_frames, 2)
        Both eyes' EAR per frame (NaN where no face was found).

    Returns
    -------
    int
    """
    mean = np.asarray(ears, dtype=float).reshape(-1, 2).mean(axis=1)  # NaN (no face) ends a run
    count = run = 0
    for value in mean:
        if value < threshold:
            run += 1
            continue
        count += run >= min_frames
        run = 0
    return count + (run >= min_frames)
