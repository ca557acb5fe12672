"""``hogfer analyze``: a video or a folder of images as a table, one row per face per frame (or image).

A video goes through the live app's own loop (:func:`hogfer.apps.live.run_live`
with a :class:`~hogfer.apps.live.FrameProcessor`), so its faces, ids and blinks
are those ``hogfer live`` reports on the same file; each blink or wink is
written on the row of its face's last closed-eye frame. Images go through
:func:`hogfer.apps.predict.predict_images` (the photo path of
:class:`hogfer.faces.pipeline.FacePipeline`). The table is a CSV that
``pandas.read_csv`` reads as it is; :func:`plot_timeline` draws it.
"""

import csv
import logging
from pathlib import Path

import numpy as np

from hogfer._io import atomic_path
from hogfer.faces import landmarks as face

__all__ = ["analyze", "analyze_video", "analyze_images", "write_rows", "columns", "report_text", "EYE_EVENTS"]

logger = logging.getLogger(__name__)

#: The events written in the ``event`` column.
EYE_EVENTS = ("blink", "wink", "eyes_closed")


def columns(emotions):
    """The table's columns, in order, for a model with these ``emotions`` (none: no probability columns)."""
    return ["source", "time_s", "frame", "face_id", "left", "top", "right", "bottom",
            *[f"p_{e}" for e in emotions], "emotion", "ear_left", "ear_right", "event"]


class _Collector:
    """Rows from each processed frame, and eye events from the run's event stream (closing ones too)."""

    def __init__(self, source, emotions, fps):
        self.source, self.emotions, self.fps = str(source), tuple(emotions), fps
        self.rows, self.where = [], {}

    def on_result(self, result):
        for f in result["faces"]:
            left, top, right, bottom = (round(v, 1) for v in f["box"])
            row = {"source": self.source, "time_s": round(result["time_s"], 3), "frame": result["frame"], "face_id": f["id"],
                   "left": left, "top": top, "right": right, "bottom": bottom,
                   **{f"p_{e}": round(f["probabilities"][e], 4) for e in self.emotions if "probabilities" in f},
                   "emotion": f.get("emotion", ""), "ear_left": round(f["ear"]["left"], 4),
                   "ear_right": round(f["ear"]["right"], 4), "event": ""}
            self.where[(f["id"], result["frame"])] = len(self.rows)
            self.rows.append(row)

    # the event-log interface of run_live: every event, those closed at the end included
    def write(self, record):
        if record.get("type") not in EYE_EVENTS:
            return
        label = record["type"] + (f"_{record['eye']}" if record.get("eye") else "")
        frame = record.get("end_frame", record["frame"])
        index = self.where.get((record["face_id"], frame))
        if index is None:  # the face's last row before the event's frame
            frames = [k[1] for k in self.where if k[0] == record["face_id"] and k[1] <= frame]
            index = self.where[(record["face_id"], max(frames))] if frames else None
        if index is not None:
            row = self.rows[index]
            row["event"] = f"{row['event']};{label}" if row["event"] else label

    def close(self):
        pass


def analyze_video(source, model=None, *, blinks=True, tracker=None, max_frames=None, on_frame=None):
    """Rows of every face in every frame of a video, and the run's summary.

    Parameters
    ----------
    source : hogfer.apps.video.VideoSource
        An open video (its ``fps`` times the rows).
    model : hogfer.store.emotion.EmotionModel, default=None
        Classifies each face; no probabilities if None.
    blinks : bool, default=True
        Find blinks and winks (the ``event`` column).
    tracker : hogfer.faces.tracking.FaceTracker, default=None
        Detection and tracking settings; the live app's defaults if None.
    max_frames : int, default=None
        Stop after this many frames.
    on_frame : callable, default=None
        Called with each frame's result (a progress bar, say).

    Returns
    -------
    rows : list of dict
        One per face per frame, keyed by :func:`columns`.
    summary : dict
        :func:`hogfer.apps.live.run_live`'s summary (frames, faces and their counts).
    """
    from hogfer.apps.live import FrameProcessor, run_live

    processor = FrameProcessor(model, fps=source.fps, blinks=blinks, tracker=tracker)
    collector = _Collector(getattr(source, "spec", "video"), processor.emotions, source.fps)

    def each(result):
        collector.on_result(result)
        if on_frame is not None:
            on_frame(result)

    summary = run_live(source, processor, event_log=collector, max_frames=max_frames, on_result=each)
    return collector.rows, summary


def analyze_images(paths, model=None, *, detector="hog", upsample=1, cropped=False):
    """Rows of every face in each image (``frame``: the image's place in ``paths``), and the unreadable files.

    The faces are :func:`hogfer.apps.predict.predict_images`' (with its progress
    bar); an image that cannot be read is reported, and the others go on.

    Returns
    -------
    rows : list of dict
        One per face per image, keyed by :func:`columns` (no time, no events).
    errors : dict
        File -> why it could not be read.
    """
    from hogfer.apps.predict import predict_images

    emotions = tuple(model.emotions) if model is not None else ()
    rows, errors = [], {}
    for index, result in enumerate(predict_images(paths, model, detector=detector, upsample=upsample, cropped=cropped)):
        if result.get("error"):
            errors[result["file"]] = result["error"]
        for f in result["faces"]:
            points = np.asarray(f["landmarks"])
            left, top, right, bottom = f["box"]
            rows.append({"source": result["file"], "time_s": "", "frame": index, "face_id": f["id"],
                         "left": left, "top": top, "right": right, "bottom": bottom,
                         **{f"p_{e}": round(f["probabilities"][e], 4) for e in emotions},
                         "emotion": f.get("emotion", ""),
                         "ear_left": round(float(face.eye_aspect_ratio(points[face.LEFT_EYE])), 4),
                         "ear_right": round(float(face.eye_aspect_ratio(points[face.RIGHT_EYE])), 4), "event": ""})
    return rows, errors


def write_rows(rows, emotions, path):
    """Write ``rows`` as a CSV (written to a temporary name, then renamed); return the path."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns(emotions), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def main_emotions(rows, emotions):
    """Per face id: the emotion of the most of its rows (for a summary line)."""
    out = {}
    for face_id in sorted({r["face_id"] for r in rows}):
        labels = [r["emotion"] for r in rows if r["face_id"] == face_id and r["emotion"]]
        if labels:
            values, counts = np.unique(labels, return_counts=True)
            out[face_id] = str(values[int(np.argmax(counts))])
    return out


def analyze(source, model=None, *, csv_path, plot_path=None, blinks=True, tracker=None, max_frames=None,
            detector="hog", upsample=1, cropped=False):
    """Analyze a video file, an image or a folder of images into ``csv_path`` (and a timeline at ``plot_path``).

    A folder or a file with an image suffix is read as images, anything else as
    a video. Returns a dict: ``kind`` (``"video"`` or ``"images"``), ``rows``
    (their number), ``faces`` (per face id: rows, blinks and winks, main
    emotion), ``errors`` (unreadable images), and for a video ``frames``.
    """
    from hogfer._progress import progress_bar
    from hogfer.apps.predict import IMAGE_SUFFIXES, collect_images

    emotions = tuple(model.emotions) if model is not None else ()
    path = Path(source)
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        paths = collect_images([source])
        rows, errors = analyze_images(paths, model, detector=detector, upsample=upsample, cropped=cropped)
        report = {"kind": "images", "images": len(paths), "errors": errors}
    else:
        from hogfer.apps.video import VideoSource

        with VideoSource(str(source)) as video:
            total = min(video.frame_count or 0, max_frames or video.frame_count or 0) or None
            with progress_bar(total=total, desc="frames", unit="frame") as bar:
                rows, summary = analyze_video(video, model, blinks=blinks, tracker=tracker, max_frames=max_frames,
                                              on_frame=lambda _: bar.update())
        report = {"kind": "video", "frames": summary["frames"], "errors": {}}
    write_rows(rows, emotions, csv_path)
    if plot_path:
        from hogfer.plots import plot_timeline

        plot_timeline(rows, emotions, plot_path)
    main = main_emotions(rows, emotions)
    report["rows"] = len(rows)
    report["faces"] = {
        face_id: {"rows": sum(r["face_id"] == face_id for r in rows),
                  **{kind: sum(e.split("_")[0] == kind for r in rows if r["face_id"] == face_id for e in r["event"].split(";") if e)
                     for kind in EYE_EVENTS[:2]},
                  "main_emotion": main.get(face_id)}
        for face_id in sorted({r["face_id"] for r in rows})
    }
    return report


def report_text(report, csv_path, plot_path=None, model=None):
    """What ``hogfer analyze`` prints: the model, the rows written, a line per face, unreadable images."""
    counted = f"{report['frames']} frames" if report["kind"] == "video" else f"{report['images']} images"
    faces = len(report["faces"]) if report["kind"] == "video" else report["rows"]
    lines = [f"emotion model: {model.name if model is not None else 'none'}",
             f"{report['rows']} rows ({counted}, {faces} faces): wrote {csv_path}" + (f" and {plot_path}" if plot_path else "")]
    for face_id, item in report["faces"].items() if report["kind"] == "video" else ():
        text = f"face #{face_id}: {item['rows']} rows, {item['blink']} blinks, {item['wink']} winks"
        lines.append(text + (f", mostly {item['main_emotion']}" if item["main_emotion"] else ""))
    lines += [f"{file}: {error}" for file, error in report["errors"].items()]
    return "\n".join(lines)
