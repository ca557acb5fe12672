"""Frame sources (camera, video file, stream) and sinks (window, video file, event log).

Capture, processing and display are separate pieces: a source yields BGR
frames, :class:`hogfer.apps.live.FrameProcessor` maps each to a result, and sinks
consume frames and results. Every file sink writes to a temporary name and
renames it when closed, so an interrupted run leaves complete files.
"""

import json
import logging
import os
from pathlib import Path

from hogfer._io import temporary_path
from hogfer.exceptions import HogferError

logger = logging.getLogger(__name__)

__all__ = ["VideoSource", "VideoFileSink", "EventLog", "WindowSink", "open_window"]


def quiet_opencv():
    """Silence OpenCV's own log and FFmpeg's (a dozen lines for a missing camera) in OpenCV imported from now on.

    hogfer reports what went wrong in one line of its own instead; a user's
    own setting of these variables wins.
    """
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("OPENCV_VIDEOIO_DEBUG", "0")


def _cv2():
    """OpenCV, quietened (:func:`quiet_opencv`)."""
    quiet_opencv()
    import cv2

    try:
        cv2.setLogLevel(0)  # silent, when cv2 was imported before the variables were set
    except AttributeError:  # pragma: no cover - very old OpenCV
        pass
    return cv2


class VideoSource:
    """Frames from a camera index (``"0"``), a video file or a stream URL.

    Raises
    ------
    HogferError
        No camera at that index, a missing file, or a file that is not a
        readable video (an empty or truncated one included).
    """

    def __init__(self, spec):
        cv2 = _cv2()
        self.spec = str(spec)
        self.is_camera = self.spec.isdigit()
        if self.is_camera:
            self._cap = cv2.VideoCapture(int(self.spec))
            if not self._cap.isOpened():
                raise HogferError(f"No camera at index {self.spec} (is one connected, and free?).")
        else:
            if "://" not in self.spec and not Path(self.spec).exists():
                raise HogferError(f"{self.spec}: no such video file.")
            self._cap = cv2.VideoCapture(self.spec)
            if not self._cap.isOpened():
                raise HogferError(f"{self.spec}: not a readable video or stream.")
        self.fps = self._cap.get(cv2.CAP_PROP_FPS) or 0.0
        if not 1.0 <= self.fps <= 240.0:
            reported, self.fps = self.fps, 30.0 if self.is_camera else 25.0
            logger.warning("%s: frame rate %s is missing or absurd; taking %g frames/s", self.spec, f"{reported:g}", self.fps)
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._first = self._cap.read()
        if not self._first[0] or self._first[1] is None:
            self._cap.release()
            raise HogferError(f"{self.spec}: no frames could be read (empty, truncated or not a video).")
        h, w = self._first[1].shape[:2]
        self.size = (w, h)
        self.frames_read = 0

    def read(self):
        """The next BGR frame, or None at the end."""
        if self._first is not None:
            frame, self._first = self._first[1], None
        else:
            ok, frame = self._cap.read()
            if not ok:
                return None
        self.frames_read += 1
        return frame

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame

    def close(self):
        self._cap.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _AtomicFile:
    """Write to ``.name.tmpPID.suffix`` beside ``path``; rename on close."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = temporary_path(self.path)

    def commit(self):
        if self.tmp.exists():
            os.replace(self.tmp, self.path)


class VideoFileSink(_AtomicFile):
    """An annotated video file (MPEG-4, ``mp4v``), complete and playable once closed."""

    def __init__(self, path, fps, size):
        super().__init__(path)
        cv2 = _cv2()
        fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.path.suffix.lower() in (".mp4", ".m4v", ".mov") else "MJPG"))
        self._writer = cv2.VideoWriter(str(self.tmp), fourcc, float(fps), tuple(size))
        if not self._writer.isOpened():
            raise HogferError(f"{self.path}: cannot write a video here (use .mp4 or .avi).")
        self.frames = 0

    def write(self, frame):
        self._writer.write(frame)
        self.frames += 1

    def close(self):
        self._writer.release()
        self.commit()


class EventLog(_AtomicFile):
    """A JSON-lines log: one JSON object a line (events, then a summary)."""

    def __init__(self, path):
        super().__init__(path)
        self._file = open(self.tmp, "w")

    def write(self, record):
        self._file.write(json.dumps(record) + "\n")

    def close(self):
        self._file.close()
        self.commit()


class WindowSink:
    """An OpenCV window; ``show`` returns False once a quit key (``q``, Esc) is pressed."""

    def __init__(self, title="hogfer live", quit_keys=(ord("q"), 27)):
        self.title = title
        self.quit_keys = set(quit_keys)

    def show(self, frame):
        cv2 = _cv2()
        cv2.imshow(self.title, frame)
        key = cv2.waitKey(1) & 0xFF
        return key not in self.quit_keys

    def close(self):
        try:
            _cv2().destroyWindow(self.title)
        except Exception:  # the window may never have opened (no display)
            pass


def open_window(title="hogfer live"):
    """A :class:`WindowSink`, or None (with a warning) where there is no display to open it on."""
    import sys

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        logger.warning("no display found: running without a window (pass --no-display to silence this)")
        return None
    return WindowSink(title)
