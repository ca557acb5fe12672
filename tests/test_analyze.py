"""``hogfer analyze``: one row per face per frame, the same faces and blinks as ``hogfer live``."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from hogfer.cli import cli
from test_live import _clip  # the shared blink videos, found as the live tests find them


@pytest.fixture(scope="module", params=["smile_wink_blink", "talking_khill"])
def clip(request):
    return _clip(request.param)


def test_analyze_writes_a_row_per_face_per_frame_with_lives_blinks(clip, tmp_path):
    pd = pytest.importorskip("pandas")
    path, truth = clip
    table, plot, log = tmp_path / "faces.csv", tmp_path / "timeline.png", tmp_path / "events.jsonl"
    result = CliRunner().invoke(cli, ["analyze", str(path), "--csv", str(table), "--plot", str(plot), "--model", "none", "--quiet"])
    assert result.exit_code == 0, result.output
    live = CliRunner().invoke(cli, ["live", "--source", str(path), "--blinks", "--model", "none", "--no-display", "--events", str(log), "--quiet"])
    assert live.exit_code == 0, live.output
    events = [json.loads(line) for line in log.read_text().splitlines()]
    summary = events[-1]

    rows = pd.read_csv(table)  # as it is
    assert len(rows) == sum(face["frames"] for face in summary["faces"].values()) == truth["frames"]
    assert list(rows.columns[:8]) == ["source", "time_s", "frame", "face_id", "left", "top", "right", "bottom"]
    assert set(rows["face_id"]) == {int(i) for i in summary["faces"]}
    assert np.allclose(rows["time_s"], rows["frame"] / 25.0)
    marked = rows["event"].dropna().str.split(";").explode()
    for kind in ("blink", "wink"):
        written = int((marked.str.split("_").str[0] == kind).sum())
        assert written == sum(e["type"] == kind for e in events) == sum(f[f"{kind}s"] for f in summary["faces"].values())
    assert int((marked == "blink").sum()) == truth["count"]
    # each event sits on its face's last closed-eye frame
    for event in (e for e in events if e["type"] == "blink"):
        assert rows.loc[rows["frame"] == event["end_frame"], "event"].str.contains("blink").all()
    assert plot.stat().st_size > 0 and list(tmp_path.glob(".*tmp*")) == []


def test_analyze_a_folder_goes_on_past_an_unreadable_image(tmp_path, small_csv):
    import cv2

    data = pytest.importorskip("skimage.data")
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "astronaut.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    (folder / "broken.jpg").write_bytes(b"not an image")
    models = tmp_path / "models"
    assert CliRunner().invoke(cli, ["train", "lgbm-pixels", "--data", str(small_csv), "--out", str(models), "--quiet"]).exit_code == 0
    table = tmp_path / "faces.csv"
    args = ["analyze", str(folder), "--csv", str(table), "--model", str(models / "lgbm-pixels.json"), "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "broken.jpg" in result.output and "1 rows (2 images, 1 faces)" in result.output
    pd = pytest.importorskip("pandas")
    rows = pd.read_csv(table)
    assert len(rows) == 1 and rows["source"].iloc[0].endswith("astronaut.png")
    probabilities = rows[[c for c in rows.columns if c.startswith("p_")]]
    assert probabilities.shape[1] == 7 and np.isclose(probabilities.sum(axis=1), 1, atol=1e-3).all()
    assert rows["emotion"].iloc[0] in [c[2:] for c in probabilities.columns]


def test_analyze_bad_input(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["analyze", str(empty), "--csv", str(tmp_path / "x.csv"), "--model", "none"])
    assert result.exit_code == 1 and "no images in this folder" in result.output and "Traceback" not in result.output
    (tmp_path / "clip.mp4").write_bytes(b"junk")
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "clip.mp4"), "--csv", str(tmp_path / "x.csv"), "--model", "none"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (tmp_path / "x.csv").exists()
