import gzip
import time

import numpy as np
import pytest
from PIL import Image

from hogfer.data.fer2013 import EMOTIONS, USAGES, load_fer2013
from hogfer.exceptions import DataError

# The class counts of ../shared/data/fer2013/README.md (Angry .. Neutral).
README_COUNTS = {
    "Training": [3995, 436, 4097, 7215, 4830, 3171, 4965],
    "PublicTest": [467, 56, 496, 895, 653, 415, 607],
    "PrivateTest": [491, 55, 528, 879, 594, 416, 626],
}


def test_counts_per_usage_and_class_match_the_data_readme(fer):
    assert fer.images.shape == (35887, 48, 48) and fer.images.dtype == np.uint8
    assert {u: c.tolist() for u, c in fer.class_counts().items()} == README_COUNTS


def test_usage_filter_and_label_schemes(fer_path):
    private = load_fer2013(fer_path, usage="PrivateTest")
    assert len(private) == 3589 and set(private.usage) == {"PrivateTest"}
    merged = load_fer2013(fer_path, classes="fer6-merge", usage=["Training"])
    assert merged.emotions == EMOTIONS["fer6-merge"] and len(merged.emotions) == 6
    assert merged.class_counts()["Training"].tolist() == [3995 + 436, 4097, 7215, 4830, 3171, 4965]
    dropped = load_fer2013(fer_path, classes="fer6-drop")
    assert len(dropped) == 35887 - (436 + 56 + 55)
    assert dropped.labels.max() == 5


def test_cache_is_used_on_second_load_and_rebuilt_when_corrupt(small_csv, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HOGFER_CACHE_DIR", str(tmp_path))
    first = load_fer2013(small_csv)
    caches = list((tmp_path / "data").glob("*.npz"))
    assert len(caches) == 1

    import hogfer.data.fer2013 as ds

    calls = []
    real_parse = ds._parse
    monkeypatch.setattr(ds, "_parse", lambda p: calls.append(p) or real_parse(p))
    second = load_fer2013(small_csv)
    assert calls == []  # served from the cache
    np.testing.assert_array_equal(first.images, second.images)
    assert first.sha256 == second.sha256

    caches[0].write_bytes(b"not an npz file")
    third = load_fer2013(small_csv)
    assert calls == [small_csv] and "corrupt" in caplog.text
    np.testing.assert_array_equal(first.labels, third.labels)
    load_fer2013(small_csv)
    assert len(calls) == 1  # the rebuilt cache is valid again


def test_warm_load_of_full_csv_is_fast(fer_path, fer):
    # `fer` already built the cache; a warm load must not reparse (seconds) the CSV.
    start = time.perf_counter()
    again = load_fer2013(fer_path)
    assert time.perf_counter() - start < 5
    assert len(again) == len(fer)


def test_array_file_loads_to_the_same_data_with_the_same_sha256(small_csv, tmp_path):
    from click.testing import CliRunner

    from hogfer.cli import cli

    result = CliRunner().invoke(cli, ["data", "pack", str(tmp_path / "fer.npz"), "--data", str(small_csv), "--usage", "PublicTest"])
    assert result.exit_code == 0, result.output
    original = load_fer2013(small_csv, usage="PublicTest")
    packed = load_fer2013(tmp_path / "fer.npz")
    np.testing.assert_array_equal(packed.images, original.images)
    np.testing.assert_array_equal(packed.labels, original.labels)
    assert packed.sha256 == original.sha256 and set(packed.usage) == {"PublicTest"}
    assert load_fer2013(tmp_path / "fer.npz", classes="fer6-drop").classes == "fer6-drop"
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    result = CliRunner().invoke(cli, ["data", "info", "--data", str(tmp_path / "bad.npz")])
    assert result.exit_code == 1 and "not a hogfer array file" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["data", "pack", str(tmp_path / "fer.csv"), "--data", str(small_csv)])
    assert result.exit_code == 1 and "must end in .npz" in result.output


def test_folder_layout_loads_to_the_same_arrays(fer, tmp_path):
    rng = np.random.default_rng(1)
    picks = {u: rng.choice(np.flatnonzero(fer.usage == u), 6, replace=False) for u in USAGES}
    root = tmp_path / "fer-images"
    for usage, idx in picks.items():
        split = "train" if usage == "Training" else "test"
        for i in idx:
            folder = root / split / EMOTIONS["fer7"][fer.labels[i]].lower()
            folder.mkdir(parents=True, exist_ok=True)
            prefix = "" if usage == "Training" else f"{usage}_"
            Image.fromarray(fer.images[i]).save(folder / f"{prefix}{i:05d}.png")
    loaded = load_fer2013(root, cache=False)
    assert len(loaded) == 18
    for usage, idx in picks.items():
        sub = loaded.select(usage)
        expected = {fer.images[i].tobytes(): fer.labels[i] for i in idx}
        got = {img.tobytes(): lab for img, lab in zip(sub.images, sub.labels)}
        assert got == expected


def _write_csv(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


PIX = " ".join(["7"] * 2304)


@pytest.mark.parametrize(
    "lines, message",
    [
        (["label,image,split", f"0,{PIX},Training"], r"expected the columns emotion,pixels,Usage"),
        (["emotion,pixels,Usage", f"0,{PIX},Training", "3,1 2 3,Training"], r"row 3: pixels has 3 values"),
        (["emotion,pixels,Usage", f"9,{PIX},Training"], r"row 2: emotion 9 is outside 0\.\.6"),
        (["emotion,pixels,Usage", f"2,{PIX},Validation"], r"row 2: Usage 'Validation'"),
        (["emotion,pixels,Usage", f"2,{PIX.replace('7', 'x', 1)},Training"], r"row 2: pixels is not a list"),
        (["emotion,pixels,Usage", f"2,{PIX.replace('7', '300', 1)},Training"], r"row 2: pixel values"),
        (["emotion,pixels,Usage"], r"no data rows"),
    ],
)
def test_bad_csv_gets_one_clear_line_naming_file_and_row(tmp_path, lines, message):
    path = _write_csv(tmp_path / "bad.csv", lines)
    with pytest.raises(DataError, match=message) as info:
        load_fer2013(path, cache=False)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_gzip_and_plain_csv_agree(tmp_path):
    lines = ["emotion,pixels,Usage", f"3,{PIX},PrivateTest"]
    plain = _write_csv(tmp_path / "a.csv", lines)
    packed = tmp_path / "a.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = load_fer2013(plain, cache=False), load_fer2013(packed, cache=False)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.usage.tolist() == ["PrivateTest"] and a.images.max() == 7


def test_missing_path_and_no_path(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="no such file"):
        load_fer2013(tmp_path / "missing.csv")
    monkeypatch.delenv("HOGFER_DATA", raising=False)
    with pytest.raises(DataError, match="HOGFER_DATA"):
        load_fer2013()


def test_bad_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no images found"):
        load_fer2013(empty, cache=False)
    wrong = tmp_path / "wrong" / "train" / "happy"
    wrong.mkdir(parents=True)
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(wrong / "x.png")
    with pytest.raises(DataError, match=r"x\.png: image is 64x48, expected 48x48"):
        load_fer2013(tmp_path / "wrong", cache=False)
    (wrong / "x.png").unlink()
    bad_emotion = tmp_path / "wrong" / "train" / "bored"
    bad_emotion.mkdir()
    Image.fromarray(np.zeros((48, 48), np.uint8)).save(bad_emotion / "y.png")
    with pytest.raises(DataError, match="'bored' is not an emotion"):
        load_fer2013(tmp_path / "wrong", cache=False)


def test_unknown_scheme_and_usage(fer_path):
    with pytest.raises(DataError, match="Unknown label scheme"):
        load_fer2013(fer_path, classes="fer5")
    with pytest.raises(DataError, match="Unknown usage"):
        load_fer2013(fer_path, usage="Test")
