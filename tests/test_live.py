"""The live app and image prediction, on the shared blink video and scikit-image's photos."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hogfer.faces.blinks import BlinkDetector, threshold_blink_count
from hogfer.cli import cli


VIDEO_DIR_ENV = "HOGFER_VIDEO"


def _video_dir():
    if os.environ.get(VIDEO_DIR_ENV):
        return Path(os.environ[VIDEO_DIR_ENV]).parent
    data = os.environ.get("HOGFER_DATA")
    return Path(data).resolve().parent.parent / "video" if data else None


def _clip(name):
    folder = _video_dir()
    path = folder / f"{name}.mp4" if folder else None
    if path is None or not path.exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"the shared blink video is missing ({path})")
        pytest.skip("the shared blink videos are not available")
    return path, json.loads(path.with_suffix(".json").read_text())


@pytest.fixture(scope="module")
def video():
    return _clip("smile_wink_blink")


@pytest.fixture(scope="module", params=["smile_wink_blink", "talking_khill"])
def any_clip(request):
    return _clip(request.param)


def _feed(detector, ears):
    events = []
    for frame, (r, l) in enumerate(ears):
        e = detector.update(frame, r, l)
        if e:
            events.append(e)
    if (e := detector.finish()) is not None:
        events.append(e)
    return events


def _trace(fps, seconds, events, open_ear=0.32, jitter=0.01, seed=0):
    """Both eyes' EAR at ``fps``: open with jitter, and ``events`` as (start s, end s, right EAR, left EAR)."""
    t = np.arange(int(seconds * fps)) / fps
    rng = np.random.default_rng(seed)
    ears = np.stack([open_ear + jitter * rng.standard_normal(len(t)), open_ear + 0.02 + jitter * rng.standard_normal(len(t))], 1)
    for start, end, right, left in events:
        ears[(t >= start) & (t < end)] = (right, left)
    return ears


def _kinds(events):
    return [e.kind for e in events]


def test_blink_detector_adapts_to_a_narrow_open_eye():
    # Open eyes at EAR 0.26 (a smiling face): a fixed 0.3 threshold would see the eyes always closed.
    open_ear = 0.26 + 0.01 * np.sin(np.arange(100))
    ears = [(e, e + 0.03) for e in open_ear]
    ears[50:54] = [(0.12, 0.13)] * 4  # blink
    ears[70:85] = [(0.11, 0.28)] * 15  # right-eye wink, 0.6 s
    events = _feed(BlinkDetector(25), ears)
    assert _kinds(events) == ["blink", "wink"]
    assert events[0].start_frame == 50 and events[1].eye == "right"


def test_long_closure_and_noise_are_no_blinks():
    ears = [(0.3, 0.3)] * 40 + [(0.1, 0.1)] * 30 + [(0.3, 0.3)] * 20 + [(0.15, 0.3)] * 2 + [(0.3, 0.3)] * 20
    events = _feed(BlinkDetector(25), ears)
    assert _kinds(events) == ["eyes_closed"]  # 1.2 s closed; a 2-frame one-eye dip is nothing


@pytest.mark.parametrize("frames, blinks", [(1, 0), (2, 0), (3, 1), (4, 1)])
def test_no_blink_from_a_dip_of_fewer_than_3_frames_at_30_fps(frames, blinks):
    ears = [(0.32, 0.33)] * 45 + [(0.1, 0.1)] * frames + [(0.32, 0.33)] * 30
    assert _kinds(_feed(BlinkDetector(30), ears)).count("blink") == blinks


def test_talking_dips_are_not_blinks():
    # Talking: the lids flicker down for 30-60 ms many times (1-2 frames at 30 fps), and twice together.
    dips = [(t, t + 0.05, 0.15, 0.16) for t in np.arange(1.0, 9.0, 0.45)]
    ears = _trace(30, 10, dips)
    assert "blink" not in _kinds(_feed(BlinkDetector(30), ears))


def test_double_blink_with_a_half_reopening_counts_two():
    # Two closures 0.2 s apart; between them the lids re-open only to 75% of the open level.
    ears = _trace(25, 4, [(1.0, 1.12, 0.12, 0.13), (1.12, 1.32, 0.24, 0.26), (1.32, 1.44, 0.12, 0.13)])
    assert _kinds(_feed(BlinkDetector(25), ears)) == ["blink", "blink"]


def test_a_blink_counts_at_its_closing_even_if_the_lids_stay_lowered():
    # Blink, then the lids stay at 80% of the open level for 1.5 s (a head tilt, looking down).
    ears = _trace(25, 5, [(1.0, 1.16, 0.12, 0.13), (1.16, 2.7, 0.26, 0.27)])
    assert _kinds(_feed(BlinkDetector(25), ears)) == ["blink"]


def test_looking_down_and_slow_closures_are_not_blinks():
    # Looking down: lids at 60% of the open level for 2 s; then a slow closure held for 1 s.
    ears = _trace(30, 8, [(1.0, 3.0, 0.19, 0.2), (4.0, 4.3, 0.2, 0.2), (4.3, 5.3, 0.09, 0.1), (5.3, 5.5, 0.2, 0.21)])
    kinds = _kinds(_feed(BlinkDetector(30), ears))
    assert "blink" not in kinds and "eyes_closed" in kinds


@pytest.mark.parametrize("fps", [15, 24, 30, 60])
def test_blinks_and_winks_do_not_depend_on_the_frame_rate(fps):
    events = [(1.0, 1.15, 0.1, 0.11), (2.5, 2.7, 0.12, 0.12), (4.0, 4.6, 0.1, 0.3), (6.0, 7.0, 0.1, 0.1)]
    kinds = _kinds(_feed(BlinkDetector(fps), _trace(fps, 8, events)))
    assert kinds == ["blink", "blink", "wink", "eyes_closed"]


def test_threshold_counter_is_the_textbook_one():
    ears = [(0.3, 0.3)] * 10 + [(0.2, 0.2)] * 3 + [(0.3, 0.3)] * 5 + [(0.2, 0.2)] * 2 + [(0.3, 0.3)] * 3 + [(0.2, 0.2)] * 4
    assert threshold_blink_count(ears) == 2  # runs of 3 and 4 (at the end); the run of 2 is too short
    assert threshold_blink_count(ears, min_frames=2) == 3


class _Resampled:
    """Frames of a source at another frame rate (the nearest frame in time), padded into a ``size`` canvas."""

    def __init__(self, source, fps=None, size=None, scale=1.0):
        self.frames = list(source)
        self.fps = fps or source.fps
        n = int(len(self.frames) * self.fps / source.fps)
        self.index = np.minimum(np.round(np.arange(n) * source.fps / self.fps).astype(int), len(self.frames) - 1)
        self.size, self.scale, self.k = size, scale, 0
        self.src_fps = source.fps

    def read(self):
        import cv2

        if self.k >= len(self.index):
            return None
        frame = self.frames[self.index[self.k]]
        self.k += 1
        if self.scale != 1.0:
            frame = cv2.resize(frame, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        if self.size is None:
            return frame
        (w, h), (fh, fw) = self.size, frame.shape[:2]
        canvas = np.zeros((h, w, 3), np.uint8)
        top, left = (h - fh) // 2, (w - fw) // 2
        canvas[top : top + fh, left : left + fw] = frame
        return canvas


def _run(source, fps):
    from hogfer.apps.live import FrameProcessor, run_live

    events, ids, with_face = [], set(), [0]

    def collect(result):
        events.extend(result["events"])
        ids.update(f["id"] for f in result["faces"])
        with_face[0] += bool(result["faces"])

    summary = run_live(source, FrameProcessor(None, fps=fps), on_result=collect)
    return summary, [e for e in events if e["type"] in ("blink", "wink", "eyes_closed")], ids, with_face[0]


def test_processor_counts_the_videos_blinks_and_wink(video):
    from hogfer.apps.video import VideoSource

    path, truth = video
    with VideoSource(path) as src:
        summary, events, ids, with_face = _run(src, src.fps)
    assert summary["frames"] == with_face == truth["frames"] and ids == {1}  # one face, one stable id
    blinks = [e for e in events if e["type"] == "blink"]
    winks = [e for e in events if e["type"] == "wink"]
    assert len(blinks) == truth["count"] == 4
    for event, frame in zip(blinks, truth["blinks"]):
        assert abs(event["min_frame"] - frame) <= 2
    wink_span = truth["ambiguous_or_other_events"][0]["span"]
    assert len(winks) == 1 and winks[0]["eye"] == "right"
    assert abs(winks[0]["start_frame"] - wink_span[0]) <= 3 and abs(winks[0]["end_frame"] - wink_span[1]) <= 3
    assert summary["detections_run"] < summary["frames"] / 10  # full-frame searches now and then


@pytest.mark.parametrize("fps", [15, 24, 30, 60])
def test_blink_counts_hold_at_other_frame_rates(any_clip, fps):
    from hogfer.apps.video import VideoSource

    path, truth = any_clip
    with VideoSource(path) as src:
        source = _Resampled(src, fps)
    _, events, ids, _ = _run(source, fps)
    low, high = truth["acceptable_count_range"]
    blinks = sum(e["type"] == "blink" for e in events)
    assert truth["count"] == blinks and len(ids) == 1, (fps, events)
    assert low <= blinks + sum(e["type"] == "wink" for e in events) <= high


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_an_unchanged_face_in_an_hd_frame_is_found_in_every_frame(any_clip, size):
    from hogfer.apps.video import VideoSource

    path, truth = any_clip
    with VideoSource(path) as src:
        source = _Resampled(src, size=size)
        summary, events, ids, with_face = _run(source, src.fps)
    assert with_face == summary["frames"] == truth["frames"] and ids == {1}
    assert sum(e["type"] == "blink" for e in events) == truth["count"]


def test_a_40_pixel_face_in_a_webcam_frame_is_found(video):
    from hogfer.apps.video import VideoSource

    path, truth = video
    with VideoSource(path) as src:
        source = _Resampled(src, size=(640, 480), scale=0.23)  # the face: about 41 pixels wide
        summary, _, ids, with_face = _run(source, src.fps)
    assert with_face == summary["frames"] and ids == {1}


def test_live_cli_writes_complete_video_and_event_log(video, tmp_path):
    import cv2

    path, _ = video
    out, log = tmp_path / "out.mp4", tmp_path / "events.jsonl"
    args = ["live", "--source", str(path), "--blinks", "--model", "none", "--no-display", "--max-frames", "90"]
    result = CliRunner().invoke(cli, [*args, "--output", str(out), "--events", str(log)])
    assert result.exit_code == 0, result.output
    assert "90 frames" in result.output and "1 blinks" in result.output and "1 winks" in result.output
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 90
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (336, 596)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[-1]["type"] == "summary" and records[-1]["frames"] == 90
    assert [r["type"] for r in records].count("blink") == 1
    assert list(tmp_path.glob(".*tmp*")) == []  # no temporary files left


@pytest.mark.parametrize(
    "source, message",
    [("7", "No camera at index 7"), ("missing.mp4", "no such video file"), ("notavideo.mp4", "not a readable video|no frames")],
)
def test_live_bad_sources(tmp_path, source, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notavideo.mp4").write_text("hello")
    result = CliRunner().invoke(cli, ["live", "--source", source, "--model", "none", "--no-display"])
    assert result.exit_code == 1 and result.output.startswith("Error:") and "Traceback" not in result.output
    import re

    assert re.search(message, result.output)


def test_truncated_video_ends_cleanly(video, tmp_path):
    path, _ = video
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[:1000])
    result = CliRunner().invoke(cli, ["live", "--source", str(cut), "--model", "none", "--no-display"])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_unknown_model_name():
    result = CliRunner().invoke(cli, ["predict", "x.png", "--model", "no-such-model"])
    assert result.exit_code == 1


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    import cv2

    data = pytest.importorskip("skimage.data")
    folder = tmp_path_factory.mktemp("photos")
    cv2.imwrite(str(folder / "astronaut.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "blank.png"), np.full((200, 200), 128, np.uint8))
    return folder


def test_predict_faces_with_a_model(photos, small_csv, tmp_path):
    runner = CliRunner()
    models = tmp_path / "models"
    assert runner.invoke(cli, ["train", "lgbm-pixels", "--data", str(small_csv), "--out", str(models), "--quiet"]).exit_code == 0
    out = tmp_path / "pred"
    result = runner.invoke(cli, ["predict", str(photos), "--model", str(models / "lgbm-pixels.json"), "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert "blank.png: no face found" in result.output
    records = {Path(r["file"]).name: r for r in json.loads((out / "predictions.json").read_text())}
    face = records["astronaut.png"]["faces"][0]
    assert len(records["astronaut.png"]["faces"]) == 1 and len(face["landmarks"]) == 68
    assert set(face["probabilities"]) == {"Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"}
    assert sum(face["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert (out / "astronaut.hogfer.jpg").stat().st_size > 0


def test_predict_bad_inputs(photos, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["predict", str(photos / "blank.png"), "--model", "none"])
    assert result.exit_code == 1 and "No face found" in result.output
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    result = runner.invoke(cli, ["predict", str(text), "--model", "none"])
    assert result.exit_code == 1 and "could not be read" in result.output
    result = runner.invoke(cli, ["predict", str(tmp_path / "missing.jpg"), "--model", "none"])
    assert result.exit_code == 1 and "no such file" in result.output


class _Frames:
    """A source of given frames."""

    def __init__(self, frames, fps=25.0):
        self.frames, self.fps, self.k = frames, fps, 0

    def read(self):
        if self.k >= len(self.frames):
            return None
        self.k += 1
        return self.frames[self.k - 1]


def test_a_frame_of_another_size_mid_stream_is_scaled_and_the_video_is_complete(video, tmp_path, caplog):
    import cv2

    from hogfer.apps.live import FrameProcessor, run_live
    from hogfer.apps.video import VideoFileSink, VideoSource

    path, _ = video
    with VideoSource(path) as src:
        frames = [src.read() for _ in range(40)]
    frames[20:30] = [cv2.resize(f, (320, 180)) for f in frames[20:30]]  # the stream drops its resolution
    sink = VideoFileSink(tmp_path / "out.mp4", 25.0, (596, 336))
    with caplog.at_level("WARNING"):
        summary = run_live(_Frames(frames), FrameProcessor(None), video_sink=sink)
    assert summary["frames"] == 40 and summary["frames_resized"] == 10 and summary["faces"][1]["frames"] == 40
    assert sum("not 596x336 like the first" in r.message for r in caplog.records) == 1
    cap = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 40


def test_a_face_leaving_the_frame_is_followed_to_the_edge_then_dropped(video):
    from hogfer.apps.live import FrameProcessor, run_live
    from hogfer.apps.video import VideoSource

    path, _ = video
    with VideoSource(path) as src:
        first = src.read()
    frames = []
    for shift in range(0, 600, 12):  # the face slides out of the frame to the right
        frame = np.zeros_like(first)
        frame[:, shift:] = first[:, : first.shape[1] - shift]
        frames.append(frame)
    seen = []
    summary = run_live(_Frames(frames), FrameProcessor(None), on_result=lambda r: seen.append(len(r["faces"])))
    assert summary["frames"] == len(frames) and seen[0] == 1 and seen[-1] == 0
    assert max(k for k, n in enumerate(seen) if n) > 15  # followed while most of it was still in view


def test_an_absurd_frame_rate_is_replaced_with_a_warning(video, tmp_path, caplog):
    import cv2

    from hogfer.apps.video import VideoSource

    path, _ = video
    with VideoSource(path) as src:
        frame = src.read()
    odd = tmp_path / "odd.avi"
    writer = cv2.VideoWriter(str(odd), cv2.VideoWriter_fourcc(*"MJPG"), 900.0, frame.shape[1::-1])
    for _ in range(5):
        writer.write(frame)
    writer.release()
    with caplog.at_level("WARNING"), VideoSource(odd) as src:
        assert src.fps == 25.0
    assert any("missing or absurd" in r.message for r in caplog.records)


def test_a_camera_that_stops_ends_the_run_cleanly(tmp_path):
    from hogfer.apps.live import FrameProcessor, run_live
    from hogfer.apps.video import EventLog

    source = _Frames([np.zeros((120, 160, 3), np.uint8)] * 5)
    source.is_camera = True
    log = tmp_path / "events.jsonl"
    summary = run_live(source, FrameProcessor(None), event_log=EventLog(log))
    assert summary["ended"] == "camera stopped sending frames" and summary["frames"] == 5
    assert json.loads(log.read_text().splitlines()[-1])["type"] == "summary"


@pytest.mark.slow
def test_bench_live_script_writes_its_tables(video, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    import bench_live

    path, _ = video
    bench_live.main(["--videos", str(path.parent), "--model", "lgbm-pixels", "--repeat", "1", "--out", str(tmp_path)])
    record = json.loads((tmp_path / "live.json").read_text())
    assert {row["video"] for row in record["speed"]} >= {"640x480, face 40 px", "1280x720, two faces"}
    assert len(record["blinks"]) == 2 * len(bench_live.RATES)
    assert all(row["faces_found"] == row["faces_expected"] for row in record["speed"])
    assert "## Blinks at other frame rates" in (tmp_path / "live.md").read_text()
