"""The live app's per-frame processing and its run loop.

:class:`FrameProcessor` maps one BGR frame to a plain result: the faces (id,
box, 68 landmarks, emotion probabilities smoothed over recent frames, eye
aspect ratios, blink and wink counts), the events finished on this frame, and
the time each stage took. It needs no window, so it runs in tests on a video
file. :func:`run_live` connects a source, the processor and the sinks.
"""

import logging
import time
from collections import defaultdict, deque

import numpy as np

from hogfer.faces import landmarks as face
from hogfer.faces.blinks import BlinkDetector
from hogfer.faces.pipeline import FacePipeline
from hogfer.faces.tracking import FaceTracker

__all__ = ["FrameProcessor", "run_live", "summary_text"]

logger = logging.getLogger(__name__)


def _fields(event):
    fields = event.to_dict()
    fields.pop("kind")
    return fields


class _FaceState:
    def __init__(self, fps, blinks):
        self.blinks = BlinkDetector(fps) if blinks else None
        self.probabilities = None
        self.frames = 0
        self.emotion_frames = defaultdict(int)


class FrameProcessor:
    """Faces, landmarks, emotions and blinks of one frame at a time.

    Parameters
    ----------
    emotion_model : hogfer.store.emotion.EmotionModel, default=None
        Classifies each aligned 48x48 face; no emotions if None.
    fps : float, default=25.0
        Frame rate (blink durations and rates are in seconds).
    blinks : bool, default=True
        Count blinks and winks.
    smoothing_s : float, default=0.25
        Time constant in seconds of each face's exponential moving average of
        its emotion probabilities (0: none), so labels do not flicker; the
        same at any frame rate.
    tracker : FaceTracker, default=None
        Face detection and tracking; ``FaceTracker()`` if None.
    """

    def __init__(self, emotion_model=None, *, fps=25.0, blinks=True, smoothing_s=0.25, tracker=None):
        self.emotion_model = emotion_model
        self.fps = fps
        self.blinks = blinks
        self.smoothing_s = smoothing_s
        self._keep = float(np.exp(-1.0 / (fps * smoothing_s))) if smoothing_s > 0 else 0.0
        self.tracker = tracker or FaceTracker()
        self.pipeline = FacePipeline(self.tracker, emotion_model)
        self.states = {}
        self.finished = {}
        self.stage_seconds = defaultdict(float)
        self.frames = 0

    @property
    def emotions(self):
        return self.emotion_model.emotions if self.emotion_model is not None else ()

    def process(self, frame, index=None):
        """Process one BGR (or grey) frame; return the result dict."""
        index = self.frames if index is None else index
        self.frames += 1
        timings = {}
        found = self.pipeline(frame, timings)
        start = time.perf_counter()

        faces, events = [], []
        for found_face in found:
            face_id, pts = found_face.id, found_face.landmarks
            state = self.states.get(face_id)
            if state is None:
                state = self.states[face_id] = _FaceState(self.fps, self.blinks)
                events.append({"type": "face_appeared", "face_id": face_id, "frame": index})
            state.frames += 1
            record = {"id": face_id, "box": [float(v) for v in found_face.box], "landmarks": pts, "track_quality": found_face.score}
            ear_r = float(face.eye_aspect_ratio(pts[face.RIGHT_EYE]))
            ear_l = float(face.eye_aspect_ratio(pts[face.LEFT_EYE]))
            record["ear"] = {"right": ear_r, "left": ear_l}
            if found_face.probabilities is not None:
                p = np.array([found_face.probabilities[e] for e in self.emotions])
                state.probabilities = p if state.probabilities is None else (
                    self._keep * state.probabilities + (1 - self._keep) * p
                )
                best = int(np.argmax(state.probabilities))
                record.update(
                    probabilities=dict(zip(self.emotions, (float(v) for v in state.probabilities))),
                    emotion=self.emotions[best],
                    probability=float(state.probabilities[best]),
                )
                state.emotion_frames[self.emotions[best]] += 1
            if state.blinks is not None:
                event = state.blinks.update(index, ear_r, ear_l)
                if event is not None:
                    events.append({"type": event.kind, "face_id": face_id, "frame": index, **_fields(event)})
                record.update(
                    blinks=state.blinks.counts["blink"],
                    winks=state.blinks.counts["wink"],
                    blinks_per_minute=state.blinks.blinks_per_minute(),
                )
            faces.append(record)
        timings["blinks"] = (time.perf_counter() - start) * 1000
        for stage, ms in timings.items():
            self.stage_seconds[stage] += ms / 1000

        present = {f.id for f in found}
        for face_id in [i for i in self.states if i not in present]:
            events += self._end_face(face_id, index)
        return {"frame": index, "time_s": index / self.fps, "faces": faces, "events": events, "timings_ms": timings}

    def _end_face(self, face_id, index):
        state = self.states.pop(face_id)
        events = []
        if state.blinks is not None:
            event = state.blinks.finish()
            if event is not None:
                events.append({"type": event.kind, "face_id": face_id, "frame": index, **_fields(event)})
        events.append({"type": "face_lost", "face_id": face_id, "frame": index})
        self.finished[face_id] = state
        return events

    def finish(self, index=None):
        """End every face still in view (closing open blink events); return the events."""
        events = []
        for face_id in list(self.states):
            events += self._end_face(face_id, self.frames if index is None else index)
        return events

    def face_summaries(self):
        """Per face: frames seen, blinks, winks, blinks per minute, most frequent emotion."""
        out = {}
        for face_id, state in sorted({**self.finished, **self.states}.items()):
            item = {"frames": state.frames}
            if state.blinks is not None:
                item.update(
                    blinks=state.blinks.counts["blink"],
                    winks=state.blinks.counts["wink"],
                    eyes_closed=state.blinks.counts["eyes_closed"],
                    blinks_per_minute=round(state.blinks.blinks_per_minute(), 1),
                )
            if state.emotion_frames:
                item["main_emotion"] = max(state.emotion_frames, key=state.emotion_frames.get)
            out[face_id] = item
        return out


def _status_line(processor, result, fps):
    parts = ["hogfer"]
    if processor.emotion_model is not None:
        parts.append(processor.emotion_model.name)
    parts += [f"{fps:.1f} fps", f"faces {len(result['faces'])}"]
    if processor.blinks:
        parts.append(f"blinks {sum(f.get('blinks', 0) for f in result['faces'])}")
    return "  ".join(parts)


def run_live(source, processor, *, video_sink=None, event_log=None, window=None, max_frames=None, on_result=None, fps_window_s=1.0):
    """Read frames from ``source`` until its end, ``max_frames``, a quit key or Ctrl-C.

    Every sink is closed (and its file completed) however the run ends. A
    frame of another size than the first (a stream that changes resolution)
    is scaled to the first frame's size, with one warning, so the tracks and
    the output video stay consistent. The frame rate drawn on the frames is
    the current one, over the last ``fps_window_s`` seconds.

    Returns
    -------
    dict
        Frames, seconds, mean frames per second, faces with their counts,
        mean milliseconds per stage, and how the run ended.
    """
    import cv2

    from hogfer.apps.overlay import draw_faces, draw_status

    started = time.perf_counter()
    frames, ended = 0, "camera stopped sending frames" if getattr(source, "is_camera", False) else "end of video"
    stage = defaultdict(float)
    draw = video_sink is not None or window is not None
    recent = deque()
    size, resized = None, 0
    try:
        while max_frames is None or frames < max_frames:
            t0 = time.perf_counter()
            frame = source.read()
            if frame is None:
                break
            if size is None:
                size = frame.shape[:2]
            elif frame.shape[:2] != size:
                if not resized:
                    logger.warning("frame %d is %dx%d, not %dx%d like the first: scaled to that size", frames, frame.shape[1], frame.shape[0], size[1], size[0])
                resized += 1
                frame = cv2.resize(frame, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            stage["capture"] += time.perf_counter() - t0
            result = processor.process(frame, frames)
            frames += 1
            if event_log is not None:
                for event in result["events"]:
                    event_log.write({**event, "time_s": round(event["frame"] / processor.fps, 3)})
            if on_result is not None:
                on_result(result)
            now = time.perf_counter()
            recent.append(now)
            while now - recent[0] > fps_window_s and len(recent) > 2:
                recent.popleft()
            if draw:
                t0 = time.perf_counter()
                fps = (len(recent) - 1) / max(recent[-1] - recent[0], 1e-9) if len(recent) > 1 else 0.0
                draw_faces(frame, result["faces"], processor.emotions)
                draw_status(frame, _status_line(processor, result, fps))
                stage["overlay"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                if video_sink is not None:
                    video_sink.write(frame)
                    stage["write"] += time.perf_counter() - t0
                if window is not None and not window.show(frame):
                    ended = "quit key"
                    break
        else:
            ended = "max frames"
    except KeyboardInterrupt:
        ended = "interrupted"
    finally:
        closing = processor.finish(frames)
        close = getattr(processor.tracker, "close", None)
        if close is not None:
            close()
        seconds = time.perf_counter() - started
        summary = {
            "type": "summary",
            "ended": ended,
            "frames": frames,
            "seconds": round(seconds, 3),
            "mean_fps": round(frames / seconds, 2) if seconds > 0 else None,
            "model": processor.emotion_model.name if processor.emotion_model is not None else None,
            "faces": processor.face_summaries(),
            "detections_run": processor.tracker.detections_run,
            "frames_resized": resized,
            "stage_ms_per_frame": {
                k: round(1000 * v / max(frames, 1), 3)
                for k, v in {**{"capture": stage["capture"]}, **processor.stage_seconds, **stage}.items()
            },
        }
        if event_log is not None:
            for event in closing:
                event_log.write({**event, "time_s": round(event["frame"] / processor.fps, 3)})
            event_log.write(summary)
            event_log.close()
        if video_sink is not None:
            video_sink.close()
        if window is not None:
            window.close()
    return summary


def summary_text(summary, model=None, blinks=False):
    """The lines ``hogfer live`` prints at the end of a run: frames, speed, stages, each face's counts."""
    from hogfer.store.emotion import tta_label

    model_text = model.name if model else "none"
    if model is not None and model.face_ms is not None:
        tta = "" if model.tta is None else f", TTA {tta_label(model.tta)}"
        model_text += f" (timed here: {model.face_ms:.1f} ms a face{tta})"
    lines = [
        f"{summary['frames']} frames in {summary['seconds']:.1f} s ({summary['mean_fps']} fps), ended: {summary['ended']}; "
        f"emotion model: {model_text}",
        "ms per frame: " + ", ".join(f"{k} {v:.1f}" for k, v in summary["stage_ms_per_frame"].items()),
    ]
    for face_id, item in summary["faces"].items():
        text = f"face #{face_id}: {item['frames']} frames"
        if blinks:
            text += f", {item['blinks']} blinks ({item['blinks_per_minute']}/min), {item['winks']} winks"
        if item.get("main_emotion"):
            text += f", mostly {item['main_emotion']}"
        lines.append(text)
    if not summary["faces"]:
        lines.append("no face found")
    return "\n".join(lines)
