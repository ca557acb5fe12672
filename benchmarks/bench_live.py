"""Frames per second of `hogfer live` end to end, with per-stage timings.

Run: ``python benchmarks/bench_live.py [--video PATH] [--model NAME] [--out benchmarks/]``

The video is scaled and padded to 640x480 (as a webcam gives it) and run through the
whole live pipeline: detection every few frames and tracking in between,
landmarks, alignment, emotion model, blink detection, overlay and writing
the annotated video. Writes ``live.md`` and ``live.json``.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import cv2

from hogfer._env import git_commit, library_versions, machine_info, machine_summary, now_iso
from hogfer._io import atomic_path
from hogfer._table import markdown_table
from hogfer.emotion import EmotionModel, tta_label
from hogfer.live import FrameProcessor, run_live
from hogfer.video import VideoFileSink, VideoSource


class ResizedSource:
    """A VideoSource whose frames are scaled (keeping their aspect) and padded to ``size``."""

    def __init__(self, source, size):
        self.source, self.size, self.fps = source, size, source.fps

    def read(self):
        frame = self.source.read()
        if frame is None:
            return None
        (w, h), (sw, sh) = self.size, self.source.size
        scale = min(w / sw, h / sh)
        nw, nh = int(round(sw * scale)), int(round(sh * scale))
        frame = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
        top, left = (h - nh) // 2, (w - nw) // 2
        return cv2.copyMakeBorder(frame, top, h - nh - top, left, w - nw - left, cv2.BORDER_CONSTANT)


def _chosen(model):
    if model.face_ms is None:
        return ""
    tta = "" if model.tta is None else f", TTA {tta_label(model.tta)}"
    return f" (the live app's choice: {model.face_ms:.2f} ms a face{tta}, timed at start)"


def default_video():
    data = os.environ.get("HOGFER_DATA")
    return str(Path(data).resolve().parent.parent / "video" / "smile_wink_blink.mp4") if data else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", default=os.environ.get("HOGFER_VIDEO") or default_video())
    parser.add_argument("--model", default=None, help="emotion model (default: the live app's, timed on this machine)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the video (more frames, steadier numbers)")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    args = parser.parse_args(argv)
    if not args.video or not Path(args.video).is_file():
        parser.error(f"no video at {args.video!r}: pass --video, or set HOGFER_VIDEO (or HOGFER_DATA beside ../video/).")

    model = EmotionModel.load(args.model) if args.model else EmotionModel.load_for_video()
    rows, runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for blinks in (True,):
            summaries = []
            for k in range(args.repeat):
                with VideoSource(args.video) as src:
                    source = ResizedSource(src, (640, 480))
                    sink = VideoFileSink(Path(tmp) / f"out{k}.mp4", src.fps, (640, 480))
                    processor = FrameProcessor(model, fps=src.fps, blinks=blinks)
                    summaries.append(run_live(source, processor, video_sink=sink))
            frames = sum(s["frames"] for s in summaries)
            seconds = sum(s["seconds"] for s in summaries)
            stages = {k: sum(s["stage_ms_per_frame"][k] * s["frames"] for s in summaries) / frames for k in summaries[0]["stage_ms_per_frame"]}
            counts = summaries[0]["faces"]
            runs.append({"blinks": blinks, "frames": frames, "seconds": seconds, "fps": frames / seconds, "stage_ms_per_frame": stages, "faces_first_pass": counts})
            for stage, ms in stages.items():
                rows.append([stage, f"{ms:.2f}"])
            rows.append(["**total (end to end)**", f"{1000 * seconds / frames:.2f}"])
    run = runs[0]
    info = machine_info()
    face = next(iter(run["faces_first_pass"].values()), {})
    header = (
        f"# Live pipeline speed\n\n"
        f"`{Path(args.video).name}` scaled and padded to 640x480, {run['frames']} frames ({args.repeat} passes), "
        f"emotion model `{model.name}`{_chosen(model)}, blinks on, annotated video written. "
        f"{machine_summary(info)}, {now_iso()}, commit {git_commit(Path(__file__).parent)}. "
        f"Written by `python benchmarks/bench_live.py`.\n\n"
        f"**{run['fps']:.1f} frames/s end to end.** Blinks counted: {face.get('blinks')}, winks: {face.get('winks')} "
        f"(ground truth: 4 blinks and 1 wink).\n\n"
    )
    table = markdown_table(["stage", "ms per frame"], rows)
    out = Path(args.out)
    with atomic_path(out / "live.md") as f:
        f.write_text(header + table + "\n")
    with atomic_path(out / "live.json") as f:
        f.write_text(json.dumps({"date": now_iso(), "video": Path(args.video).name, "resolution": [640, 480], "model": model.name, "model_face_ms": model.face_ms, "model_tta": model.tta,
                                 "machine": info, "libraries": library_versions(), "commit": git_commit(Path(__file__).parent), "runs": runs}, indent=2) + "\n")
    print(header + table)


if __name__ == "__main__":
    main()
