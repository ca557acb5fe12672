"""Blink and wink detection from the eye aspect ratio of each eye, adaptive to each face.

A fixed EAR threshold fails on faces whose open eyes are narrow (smiling,
squinting, some eye shapes): their open-eye EAR can sit at 0.26 where the
usual threshold is 0.25-0.30. :class:`BlinkDetector` instead follows each
eye's own open level (a high percentile of its recent EAR) and calls the eye
closed when the EAR falls below ``close_ratio`` of that level, open again
above ``open_ratio`` (hysteresis, so noise near the threshold does not make
extra events). An event spans from the first eye closing to both eyes open:

- ``blink``: both eyes closed together (for at least ``min_both_fraction``
  of the event), for at most ``max_blink_s``;
- ``wink``: one eye closed for at least ``min_wink_s`` while the other
  stayed (mostly) open;
- ``eyes_closed``: both eyes closed together for longer than ``max_blink_s``.

Anything else (a one-eye flicker, a single noisy frame) is no event.
"""

from collections import deque
from dataclasses import dataclass

import numpy as np

__all__ = ["BlinkDetector", "EyeEvent"]


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


class BlinkDetector:
    """Per-face blink and wink detector; feed it one pair of EARs per frame.

    Parameters
    ----------
    fps : float
        Frame rate of the video (durations are in seconds).
    close_ratio : float, default=0.65
        An eye closes when its EAR falls below this fraction of its open level.
    open_ratio : float, default=0.80
        A closed eye opens again above this fraction.
    baseline_s : float, default=3.0
        Window of recent frames the open level is taken from.
    baseline_percentile : float, default=75
        The open level is this percentile of the window's EARs.
    warmup_s : float, default=0.4
        No event starts before this much of the face has been seen.
    max_blink_s : float, default=0.5
        Longer closures of both eyes are ``eyes_closed``, not blinks.
    min_wink_s : float, default=0.25
        Shorter one-eye closures are ignored.
    min_both_fraction : float, default=0.3
        Share of an event's frames with both eyes closed that makes it a blink
        rather than a wink.
    """

    def __init__(
        self,
        fps,
        *,
        close_ratio=0.65,
        open_ratio=0.80,
        baseline_s=3.0,
        baseline_percentile=75,
        warmup_s=0.4,
        max_blink_s=0.5,
        min_wink_s=0.25,
        min_both_fraction=0.3,
    ):
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.close_ratio = close_ratio
        self.open_ratio = open_ratio
        self.baseline_percentile = baseline_percentile
        self.warmup_frames = max(1, int(round(warmup_s * self.fps)))
        self.max_blink_s = max_blink_s
        self.min_wink_s = min_wink_s
        self.min_both_fraction = min_both_fraction
        window = max(5, int(round(baseline_s * self.fps)))
        self._history = (deque(maxlen=window), deque(maxlen=window))  # (right, left) EARs
        self._closed = [False, False]
        self._event = None
        self.counts = {"blink": 0, "wink": 0, "eyes_closed": 0}
        self.frames_seen = 0
        self.last_ratios = (1.0, 1.0)

    def baseline(self):
        """Current open level of (right, left) eye, or None before any frame."""
        if not self._history[0]:
            return None
        return tuple(float(np.percentile(h, self.baseline_percentile)) for h in self._history)

    def update(self, frame, ear_right, ear_left):
        """Add one frame's EARs (subject's right and left eye); return a finished EyeEvent or None."""
        self.frames_seen += 1
        ears = (float(ear_right), float(ear_left))
        for h, e in zip(self._history, ears):
            if np.isfinite(e):
                h.append(e)
        base = self.baseline()
        ratios = tuple(e / b if b and b > 0 and np.isfinite(e) else 1.0 for e, b in zip(ears, base))
        self.last_ratios = ratios
        if self.frames_seen <= self.warmup_frames:
            return None
        for i, r in enumerate(ratios):
            if self._closed[i]:
                self._closed[i] = r < self.open_ratio
            else:
                self._closed[i] = r < self.close_ratio
        any_closed = self._closed[0] or self._closed[1]
        if any_closed:
            if self._event is None:
                self._event = {"start": frame, "both": 0, "eye_frames": [0, 0], "min": (min(ratios), frame)}
            ev = self._event
            ev["last"] = frame
            ev["both"] += self._closed[0] and self._closed[1]
            for i in range(2):
                ev["eye_frames"][i] += self._closed[i]
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
        duration = (ev["last"] - ev["start"] + 1) / self.fps
        common = dict(start_frame=ev["start"], end_frame=ev["last"], min_frame=ev["min"][1], min_ratio=round(ev["min"][0], 3))
        frames = ev["last"] - ev["start"] + 1
        # Both eyes closed together for a good part of the event: a blink (or a
        # long closure). A closed eye whose partner dips below the threshold for a
        # frame or two (a smiling wink squints the other eye) is still a wink.
        if ev["both"] >= max(1, self.min_both_fraction * frames):
            kind = "blink" if ev["both"] / self.fps <= self.max_blink_s else "eyes_closed"
            event = EyeEvent(kind, duration_s=round(duration, 3), **common)
        else:
            eye = "right" if ev["eye_frames"][0] >= ev["eye_frames"][1] else "left"
            if duration < self.min_wink_s:
                return None
            event = EyeEvent("wink", duration_s=round(duration, 3), eye=eye, **common)
        self.counts[event.kind] += 1
        return event

    def blinks_per_minute(self):
        """Blinks per minute of this face's time in view."""
        minutes = self.frames_seen / self.fps / 60
        return self.counts["blink"] / minutes if minutes > 0 else 0.0
