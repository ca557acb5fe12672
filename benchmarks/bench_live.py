"""`hogfer live` end to end on webcam-like and HD videos, and blink counting at other frame rates.

Run: ``python benchmarks/bench_live.py [--videos DIR] [--model NAME] [--out benchmarks/]``

The shared clips (``smile_wink_blink.mp4``, ``talking_khill.mp4`` with their
hand-checked ``.json`` truth, in ``DIR``, by default ``../video`` beside
``$HOGFER_DATA``) are turned into test videos first, written as MPEG-4 files so
that decoding is part of every measurement:

- **speed**: a face about 40 pixels wide in a 640x480 frame; each clip unchanged
  in a 1280x720 and a 1920x1080 frame (a webcam user at arm's length); both
  clips side by side in 1280x720 (two faces). Each runs through the whole live
  app: decoding, face search and re-detection, landmarks, the emotion model
  (the one ``hogfer live`` picks on this machine), blinks, the overlay and the
  annotated video written. Frames per second are end to end.
- **blinks**: each clip resampled to 15, 24, 30 and 60 frames/s (the nearest
  frame in time) beside the original 25, counted by hogfer's live app and by
  the textbook counter (mean eye aspect ratio below 0.25 for at least 3
  frames, faces detected at full resolution in every frame).

Writes ``live.md`` and ``live.json``.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from hogfer.faces import landmarks as face
from hogfer._env import machine_summary, provenance
from hogfer._io import atomic_path
from hogfer._table import markdown_table
from hogfer.faces.blinks import threshold_blink_count
from hogfer.store.emotion import EmotionModel, tta_label
from hogfer.apps.live import FrameProcessor, run_live
from hogfer.apps.video import VideoFileSink, VideoSource

CLIPS = ("smile_wink_blink", "talking_khill")
RATES = (15, 24, 25, 30, 60)


def _frames(path):
    with VideoSource(path) as src:
        return list(src), src.fps


def _place(canvas, frame, centre, scale=1.0):
    if scale != 1.0:
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = frame.shape[:2]
    top, left = int(centre[1] - h / 2), int(centre[0] - w / 2)
    canvas[top : top + h, left : left + w] = frame


def _write(path, frames, fps):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), (w, h))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def make_videos(clips, tmp):
    """``{name: (path, fps, [(clip, x offset, y offset, scale)])}`` of the speed videos."""
    smile, fps = clips["smile_wink_blink"]
    talking, _ = clips["talking_khill"]
    n = min(len(smile), len(talking))
    videos = {}
    # a face about 40 pixels wide: the smile clip's face is about 180 of its 596 pixels
    for name, size, parts in [
        ("640x480, face 40 px", (640, 480), [("smile_wink_blink", 0.23)]),
        ("1280x720, smile clip", (1280, 720), [("smile_wink_blink", 1.0)]),
        ("1920x1080, smile clip", (1920, 1080), [("smile_wink_blink", 1.0)]),
        ("1280x720, talking clip", (1280, 720), [("talking_khill", 1.0)]),
        ("1920x1080, talking clip", (1920, 1080), [("talking_khill", 1.0)]),
        ("1280x720, two faces", (1280, 720), [("smile_wink_blink", 1.0), ("talking_khill", 1.0)]),
    ]:
        w, h = size
        centres = [(w / 2, h / 2)] if len(parts) == 1 else [(w * 0.27, h / 2), (w * 0.73, h / 2)]
        frames = []
        for k in range(n if len(parts) > 1 else len(clips[parts[0][0]][0])):
            canvas = np.zeros((h, w, 3), np.uint8)
            for (clip, scale), centre in zip(parts, centres):
                _place(canvas, clips[clip][0][k], centre, scale)
            frames.append(canvas)
        videos[name] = (_write(Path(tmp) / f"speed{len(videos)}.mp4", frames, fps), [p[0] for p in parts], n if len(parts) > 1 else None)
    return videos


def run_video(path, model, out_path):
    """One run of the live app on a file; returns its summary and the events."""
    events, with_faces = [], []

    def collect(result):
        events.extend(e for e in result["events"] if e["type"] in ("blink", "wink", "eyes_closed"))
        with_faces.append(len(result["faces"]))

    with VideoSource(path) as src:
        sink = VideoFileSink(out_path, src.fps, src.size)
        summary = run_live(src, FrameProcessor(model, fps=src.fps, blinks=True), video_sink=sink, on_result=collect)
    return summary, events, with_faces


def textbook_count(frames):
    """The textbook counter on full-resolution detection in every frame."""
    ears = []
    for frame in frames:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        boxes, _ = face.detect_faces(gray)
        if not len(boxes):
            ears.append((np.nan, np.nan))
            continue
        points = face.predict_landmarks(gray, boxes[0])
        ears.append((face.eye_aspect_ratio(points[face.RIGHT_EYE]), face.eye_aspect_ratio(points[face.LEFT_EYE])))
    return threshold_blink_count(ears)


def _resample(frames, fps, rate):
    n = int(len(frames) * rate / fps)
    return [frames[i] for i in np.minimum(np.round(np.arange(n) * fps / rate).astype(int), len(frames) - 1)]


def _in_range(blinks, winks, truth):
    low, high = truth["acceptable_count_range"]
    return low <= blinks <= high and low <= blinks + winks <= high


def _truth_winks(truth):
    return sum(e["type"] == "wink" for e in truth["ambiguous_or_other_events"])


def _counts(events, face_id=None):
    pick = [e for e in events if face_id is None or e["face_id"] == face_id]
    return sum(e["type"] == "blink" for e in pick), sum(e["type"] == "wink" for e in pick)


def _default_videos():
    data = os.environ.get("HOGFER_DATA")
    return str(Path(data).resolve().parent.parent / "video") if data else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", default=_default_videos(), help="folder of the shared clips and their truth")
    parser.add_argument("--model", default=None, help="emotion model (default: the live app's, timed on this machine)")
    parser.add_argument("--repeat", type=int, default=2, help="passes over each speed video (the fastest is kept)")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    args = parser.parse_args(argv)
    folder = Path(args.videos) if args.videos else None
    if folder is None or not all((folder / f"{c}.mp4").is_file() for c in CLIPS):
        parser.error(f"the shared clips are not in {args.videos!r}: pass --videos, or set HOGFER_DATA.")
    truth = {c: json.loads((folder / f"{c}.json").read_text()) for c in CLIPS}
    clips = {c: _frames(folder / f"{c}.mp4") for c in CLIPS}
    model = EmotionModel.load(args.model) if args.model else EmotionModel.load_for_video()

    speed_rows, speed = [], []
    blink_rows, blinks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, parts, _) in make_videos(clips, tmp).items():
            best = None
            for k in range(args.repeat):
                summary, events, with_faces = run_video(path, model, Path(tmp) / "annotated.mp4")
                if best is None or summary["seconds"] < best[0]["seconds"]:
                    best = (summary, events, with_faces)
            summary, events, with_faces = best
            frames = summary["frames"]
            found = sum(min(n, len(parts)) for n in with_faces)
            counts = []
            for face_id, clip in enumerate(parts, start=1):
                b, w = _counts(events, face_id if len(parts) > 1 else None)
                counts.append(f"{b}/{w} ({truth[clip]['count']}/{_truth_winks(truth[clip])})")
            stages = summary["stage_ms_per_frame"]
            speed.append({"video": name, "frames": frames, "fps": frames / summary["seconds"], "faces_found": found,
                          "faces_expected": frames * len(parts), "events": events, "stage_ms_per_frame": stages})
            speed_rows.append([name, frames, f"{frames / summary['seconds']:.1f}", f"{found}/{frames * len(parts)}", "; ".join(counts),
                               f"{stages.get('capture', 0):.1f}", f"{stages.get('detect', 0):.1f}", f"{stages.get('landmarks', 0):.1f}",
                               f"{stages.get('emotion', 0):.1f}", f"{stages.get('overlay', 0) + stages.get('write', 0):.1f}"])
        for clip in CLIPS:
            frames, fps = clips[clip]
            for rate in RATES:
                resampled = _resample(frames, fps, rate)
                path = _write(Path(tmp) / f"{clip}-{rate}.mp4", resampled, rate)
                decoded, _ = _frames(path)
                _, events, _ = run_video(path, None, Path(tmp) / "annotated.mp4")
                b, w = _counts(events)
                textbook = textbook_count(decoded)
                t = truth[clip]
                blinks.append({"clip": clip, "fps": rate, "blinks": b, "winks": w, "textbook": textbook, "truth": t["count"],
                               "accepted": t["acceptable_count_range"], "hogfer_ok": _in_range(b, w, t),
                               "textbook_ok": t["acceptable_count_range"][0] <= textbook <= t["acceptable_count_range"][1]})
                blink_rows.append([clip, rate, f"{b} + {w} wink{'s' if w != 1 else ''}", "yes" if blinks[-1]["hogfer_ok"] else "**no**",
                                   textbook, "yes" if blinks[-1]["textbook_ok"] else "**no**",
                                   f"{t['count']} blinks, {_truth_winks(t)} wink (accepted total {t['acceptable_count_range'][0]}-{t['acceptable_count_range'][1]})"])
    made = provenance(Path(__file__).parent)
    info, commit = made["machine"], made["commit"]
    chosen = "" if model.face_ms is None else f" (the live app's choice on this machine: {model.face_ms:.2f} ms a face" + (
        "" if model.tta is None else f", TTA {tta_label(model.tta)}") + ")"
    text = (
        "# Live app: speed on webcam and HD video, blink counting at other frame rates\n\n"
        f"Written by `python benchmarks/bench_live.py` on {machine_summary(info)}, {made['date']}, commit {commit}.\n\n"
        "## Speed, end to end\n\n"
        f"Each video is an MPEG-4 file made from the shared clips (see the script's docstring), decoded, run through the "
        f"whole live app with emotion model `{model.name}`{chosen}, blinks on, overlay drawn and the annotated video "
        f"written; the faster of {args.repeat} passes. *Faces found*: face-frames with the face found, of all. "
        "*Blinks/winks*: counted (truth). Stage columns are milliseconds per frame.\n\n"
        + markdown_table(["video", "frames", "frames/s", "faces found", "blinks/winks (truth)", "decode ms", "detect+track ms",
                          "landmarks ms", "emotion ms", "overlay+write ms"], speed_rows)
        + "\n\n## Blinks at other frame rates\n\n"
        "Each clip resampled (nearest frame in time) and written at that rate. *hogfer*: the live app (no emotion "
        "model); *textbook*: mean eye aspect ratio below 0.25 for at least 3 frames, faces detected at full "
        "resolution in every frame. *In range*: the blinks, and the blinks plus winks, are within the truth's "
        "accepted range (the textbook counter does not tell winks apart: its one count is checked).\n\n"
        + markdown_table(["clip", "frames/s", "hogfer", "in range", "textbook", "in range", "truth"], blink_rows)
        + "\n"
    )
    out = Path(args.out)
    with atomic_path(out / "live.md") as f:
        f.write_text(text)
    with atomic_path(out / "live.json") as f:
        f.write_text(json.dumps({"date": made["date"], "model": model.name, "model_face_ms": model.face_ms, "model_tta": model.tta,
                                 "machine": info, "libraries": made["libraries"], "commit": commit, "repeat": args.repeat,
                                 "speed": speed, "blinks": blinks}, indent=1, default=float) + "\n")
    print(text)


if __name__ == "__main__":
    main()
