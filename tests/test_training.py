"""`hogfer train` on a small stratified subset of the real data, and the model store."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from hogfer.cli import cli
from hogfer.data.fer2013 import load_fer2013
from hogfer.exceptions import ArtifactError, HogferError
from hogfer.store.files import load_model
from hogfer.pipelines import get_pipeline, list_pipelines

CLASSICAL = [
    "svm-hog", "svm-landmarks", "svm-landmarks-hog", "svm-sliding-hog", "svm-bovw", "lgbm-pixels", "lgbm-autoencoded",
    "lgbm-hog-landmarks",
]


def test_registry_lists_the_pipelines_and_rejects_unknown_names():
    assert set(CLASSICAL) <= set(list_pipelines())
    with pytest.raises(HogferError, match="Unknown pipeline 'svm-nope'.*svm-hog"):
        get_pipeline("svm-nope")
    result = CliRunner().invoke(cli, ["train", "svm-nope"])
    assert result.exit_code == 1 and "Known pipelines" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def trained(small_csv, tmp_path_factory):
    """Each classical pipeline trained once through the CLI on the small subset."""
    out = tmp_path_factory.mktemp("models")
    results = {}
    for name in CLASSICAL:
        result = CliRunner().invoke(cli, ["train", name, "--data", str(small_csv), "--out", str(out), "--quiet"])
        results[name] = result
    return out, results


@pytest.mark.parametrize("name", CLASSICAL)
def test_train_writes_a_loadable_artifact_whose_metadata_matches(name, trained, small_csv):
    out, results = trained
    result = results[name]
    assert result.exit_code == 0, result.output
    assert "PrivateTest accuracy" in result.output
    meta = json.loads((out / f"{name}.json").read_text())
    assert meta["pipeline"] == name and meta["classes"] == "fer7"
    assert meta["split"] == {"train": "Training", "validation": "PublicTest", "test": "PrivateTest"}
    assert (out / f"{name}.skops").stat().st_size == meta["size_bytes"]
    model, loaded_meta = load_model(out / f"{name}.json", allow_external=True)
    assert loaded_meta == meta
    data = load_fer2013(small_csv)
    test = data.select("PrivateTest")
    pred = model.predict(test.images)
    assert meta["data_sha256"] == data.sha256
    assert meta["metrics"]["test"]["accuracy"] == pytest.approx(np.mean(pred == test.labels))
    assert meta["metrics"]["test"]["n"] == len(test) == 7 * 12
    assert set(meta["metrics"]["test"]["per_class_recall"]) == set(data.emotions)
    assert np.array(meta["metrics"]["test"]["confusion_matrix"]).sum() == len(test)
    assert meta["train_seconds"] > 0 and "scikit-learn" in meta["libraries"]
    # the subset is tiny, but every pipeline must learn something
    assert meta["metrics"]["test"]["accuracy"] > 1 / 7


def test_tampered_or_truncated_artifact_is_refused(trained, tmp_path):
    out, _ = trained
    src_json, src_model = out / "svm-hog.json", out / "svm-hog.skops"
    json_path, model_path = tmp_path / "svm-hog.json", tmp_path / "svm-hog.skops"
    json_path.write_text(src_json.read_text())
    raw = bytearray(src_model.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    model_path.write_bytes(bytes(raw))
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        load_model(json_path, allow_external=True)
    model_path.write_bytes(src_model.read_bytes()[:-100])
    with pytest.raises(ArtifactError, match="truncated"):
        load_model(json_path, allow_external=True)


def test_repacking_a_deflated_model_keeps_the_model_and_what_refers_to_it(trained, small_csv, tmp_path, monkeypatch):
    import zipfile

    from hogfer.data.fer2013 import file_sha256
    from hogfer.fusion.late import _load_member
    from hogfer.store.files import read_metadata, repack_model

    out, _ = trained
    assert {m.compress_type for m in zipfile.ZipFile(out / "svm-hog.skops").infolist()} == {zipfile.ZIP_LZMA}
    # a model saved the old way: its members deflated
    with zipfile.ZipFile(out / "svm-hog.skops") as source, zipfile.ZipFile(tmp_path / "svm-hog.skops", "w", zipfile.ZIP_DEFLATED) as old:
        for member in source.infolist():
            old.writestr(member.filename, source.read(member))
    card = json.loads((out / "svm-hog.json").read_text())
    old_sha = file_sha256(tmp_path / "svm-hog.skops")
    card.update(sha256=old_sha, size_bytes=(tmp_path / "svm-hog.skops").stat().st_size)
    (tmp_path / "svm-hog.json").write_text(json.dumps(card))
    faces = load_fer2013(small_csv).select("PrivateTest").images
    before = load_model(tmp_path / "svm-hog.json", allow_external=True)[0].decision_function(faces)

    repacked = repack_model(tmp_path / "svm-hog.json")
    assert repacked["sha256"] != old_sha and repacked["repacked_from"] == [old_sha]
    assert read_metadata(tmp_path / "svm-hog.json") == repacked and repacked.holds(old_sha) and repacked.holds(repacked["sha256"])
    assert repacked.first_sha256 == old_sha and not repacked.holds("0" * 64)
    assert {m.compress_type for m in zipfile.ZipFile(tmp_path / "svm-hog.skops").infolist()} == {zipfile.ZIP_LZMA}
    np.testing.assert_array_equal(load_model(tmp_path / "svm-hog.json", allow_external=True)[0].decision_function(faces), before)
    assert repack_model(tmp_path / "svm-hog.json") == repacked  # already LZMA: untouched
    # a fusion that recorded the old hash still finds its member
    monkeypatch.setenv("HOGFER_MODELS", str(tmp_path))
    np.testing.assert_array_equal(_load_member("svm-hog", old_sha).decision_function(faces), before)
    with pytest.raises(ArtifactError, match="not the model the fusion was trained with"):
        _load_member("svm-hog", "0" * 64)


def test_model_outside_the_model_folders_needs_explicit_trust(trained):
    out, _ = trained
    with pytest.raises(ArtifactError, match="outside hogfer's model folders"):
        load_model(out / "svm-hog.json")
    with pytest.raises(ArtifactError, match="No trained model named"):
        load_model("not-a-model")


def test_same_seed_same_model(small_csv, tmp_path):
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        result = CliRunner().invoke(
            cli, ["train", "lgbm-pixels", "--data", str(small_csv), "--out", str(out), "--seed", "3", "--quiet"]
        )
        assert result.exit_code == 0, result.output
        runs.append(json.loads((out / "lgbm-pixels.json").read_text()))
    assert runs[0]["metrics"] == runs[1]["metrics"]
    assert runs[0]["chosen_params"] == runs[1]["chosen_params"]


def test_default_models_are_chosen_on_validation_not_privatetest(tmp_path, monkeypatch):
    from hogfer.store.emotion import default_model_name

    monkeypatch.setenv("HOGFER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOGFER_MODELS", str(tmp_path / "models"))
    (tmp_path / "models").mkdir()

    def fake(name, val, test, seconds, kind="classical"):
        meta = {
            "name": name, "file": f"{name}.skops", "sha256": "0", "size_bytes": 1, "classes": "fer7", "kind": kind,
            "metrics": {"validation": {"accuracy": val}, "test": {"accuracy": test, "n": 1000}},
            "test_predict_seconds": seconds,
        }
        (tmp_path / "models" / f"{name}.json").write_text(json.dumps(meta))

    fake("fast-good", 0.97, 0.50, 1.0)  # 1000 faces/s
    fake("fast-lucky", 0.96, 0.99, 1.0)  # best on PrivateTest: must not matter
    fake("photo-best", 0.98, 0.50, 40.0)  # 25 faces/s: 40 ms a face, within a photo's 50 ms
    fake("slow-best", 0.99, 0.99, 100.0)  # 10 faces/s: too slow for video and photos
    fake("fusion-best", 0.995, 0.99, 30.0, kind="fusion")  # a fusion within 50 ms: still by name only
    assert default_model_name(min_faces_per_s=200) == "fast-good"  # for video, by recorded speed
    assert default_model_name() == "photo-best"  # for photos: the most accurate within 50 ms, no fusion


def test_live_app_times_models_here_and_takes_the_most_accurate_fast_one(tmp_path, monkeypatch):
    import hogfer.store.emotion as emotion
    import hogfer.store.files as model_store

    monkeypatch.setenv("HOGFER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOGFER_MODELS", str(tmp_path / "models"))
    (tmp_path / "models").mkdir()
    # name: (validation acc, PrivateTest acc, recorded seconds for 1000 faces, ms a face timed here)
    models = {
        "best-slow-here": (0.99, 0.99, 1.0, 9.0),  # fast when trained, too slow on this machine
        "good-fast-here": (0.97, 0.50, 10.0, 4.0),  # recorded under load (100 faces/s), fast here
        "lucky-fast": (0.96, 0.99, 1.0, 1.0),  # best on PrivateTest: must not matter
        "svm": (0.995, 0.99, 1000.0, 1.0),  # 1 face/s when trained: never loaded
    }
    for name, (val, test, seconds, _) in models.items():
        meta = {
            "name": name, "file": f"{name}.skops", "sha256": "0", "size_bytes": 1, "classes": "fer7",
            "metrics": {"validation": {"accuracy": val}, "test": {"accuracy": test, "n": 1000}},
            "test_predict_seconds": seconds,
        }
        (tmp_path / "models" / f"{name}.json").write_text(json.dumps(meta))
    loaded = []

    def fake_load(name, **kwargs):
        loaded.append(name)
        return name, {"name": name, "emotions": []}

    monkeypatch.setattr(model_store, "load_model", fake_load)
    monkeypatch.setattr(emotion, "face_milliseconds", lambda model: models.get(model.estimator, (0, 0, 0, 50.0))[3])  # shipped ones: slow
    model = emotion.EmotionModel.load_for_video()
    assert model.name == "good-fast-here" and model.face_ms == 4.0
    assert loaded == ["best-slow-here", "good-fast-here"]
    # nothing within budget here: the choice by recorded rates, not a faster, weaker model
    models["good-fast-here"] = (0.97, 0.50, 10.0, 6.0)
    models["lucky-fast"] = (0.96, 0.99, 1.0, 5.5)
    assert emotion.EmotionModel.load_for_video().name == "best-slow-here"


def test_live_app_lightens_a_deep_models_tta_before_taking_a_weaker_model(tmp_path, monkeypatch):
    import hogfer.store.emotion as emotion
    import hogfer.store.files as model_store
    from sklearn.base import BaseEstimator

    class Deep(BaseEstimator):
        def __init__(self, tta=True):
            self.tta = tta

    monkeypatch.setenv("HOGFER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOGFER_MODELS", str(tmp_path / "models"))
    (tmp_path / "models").mkdir()
    for name, val in (("deep", 0.99), ("weaker-fast", 0.90)):
        meta = {"name": name, "file": f"{name}.skops", "sha256": "0", "size_bytes": 1, "classes": "fer7",
                "metrics": {"validation": {"accuracy": val}}, "test_predict_seconds": 1.0}
        (tmp_path / "models" / f"{name}.json").write_text(json.dumps(meta))
    estimators = {"deep": Deep(), "weaker-fast": "no tta"}
    monkeypatch.setattr(model_store, "load_model", lambda name, **kw: (estimators[name], {"name": name, "emotions": []}))
    ms = {True: 12.0, "zoom": 8.0, "flip": 7.0, False: 4.5}  # the deep model's ms a face by TTA; the weaker one: 1 ms
    timed = []

    def fake_ms(model):
        timed.append((model.name, model.tta))
        return ms[model.tta] if model.tta is not None else 1.0

    monkeypatch.setattr(emotion, "face_milliseconds", fake_ms)
    model = emotion.EmotionModel.load_for_video()
    assert (model.name, model.tta, model.face_ms) == ("deep", False, 4.5)
    assert timed == [("deep", True), ("deep", "zoom"), ("deep", "flip"), ("deep", False)]
    # a model set to flip starts there; over budget even alone, the next model is tried
    ms[False], estimators["deep"], timed[:] = 6.0, Deep(tta="flip"), []
    assert emotion.EmotionModel.load_for_video().name == "weaker-fast"
    assert timed == [("deep", "flip"), ("deep", False), ("weaker-fast", None)]


def test_face_milliseconds_times_one_face_per_call():
    from sklearn.dummy import DummyClassifier

    from hogfer.store.emotion import face_milliseconds

    calls = []

    class Counting(DummyClassifier):
        def predict_proba(self, X):
            calls.append(len(X))
            return super().predict_proba(X.reshape(len(X), -1))

    model = Counting().fit(np.zeros((2, 48 * 48)), [0, 1])
    ms = face_milliseconds(model, n_calls=5, n_warmup=2)
    assert calls == [1] * 7 and 0 < ms < 1000


def test_models_command_lists_the_shipped_models():
    import re

    from hogfer.store.files import shipped_dir

    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0
    shipped = sorted(p.stem for p in shipped_dir().glob("*.json"))
    assert shipped  # hogfer ships models
    for name in shipped:  # one line each, with its PrivateTest accuracy and size
        assert re.search(rf"^{re.escape(name)}\s+PrivateTest\s+\d+\.\d\d%\s+\d+\.\d\d MB", result.output, re.M), name


def test_importing_hogfer_deep_sets_no_environment_variable():
    # a library leaves the process's environment (TensorFlow's flags) to the user
    import subprocess
    import sys

    # the libraries hogfer.deep imports set their own variables (TF2_BEHAVIOR, ...): import them first
    code = ("import os, cv2, keras, tensorflow; before = dict(os.environ); import hogfer.deep; "
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_checkpoint_outlives_a_change_of_epochs_or_time_limit_but_not_of_settings(tmp_path, monkeypatch):
    # --epochs and --time-limit only move a run's end (so a cut-short or extended run resumes), except
    # for snapshot ensembles, whose cycles are laid out over all the epochs
    from types import SimpleNamespace

    from hogfer.training.deep import checkpoint_folder

    monkeypatch.setenv("HOGFER_CACHE_DIR", str(tmp_path))
    data = SimpleNamespace(classes="fer7", sha256="ab" * 32)

    def folder(**params):
        return checkpoint_folder("inception", data, 0, params)

    assert folder(epochs=16, lr_schedule="cosine") == folder(epochs=11, lr_schedule="cosine") == folder(lr_schedule="cosine")
    assert folder(epochs=16, time_limit=3600.0) == folder(epochs=16)
    assert folder(epochs=16, lr_schedule="cosine") != folder(epochs=16, lr_schedule="plateau")
    assert folder(epochs=12, snapshots=3) != folder(epochs=9, snapshots=3)
    assert checkpoint_folder("inception", data, 1, {}) != folder()


def test_a_model_you_train_shadows_the_shipped_one_and_models_says_so(tmp_path, monkeypatch):
    import shutil

    from hogfer.store.files import list_models, shipped_dir

    mine = tmp_path / "mine"
    mine.mkdir()
    for suffix in (".json", ".skops"):
        shutil.copy(shipped_dir() / f"lgbm-pixels{suffix}", mine / f"lgbm-pixels{suffix}")
    monkeypatch.setenv("HOGFER_MODELS", str(mine))
    assert list_models()["lgbm-pixels"] == mine / "lgbm-pixels.json"
    lines = CliRunner().invoke(cli, ["models"]).output.splitlines()
    shipped = [line for line in lines if f"{shipped_dir() / 'lgbm-pixels.json'}" in line]
    assert len(shipped) == 1 and shipped[0].endswith(f"(not used: {mine / 'lgbm-pixels.json'} comes first)")
    assert any(line.endswith(f"{mine / 'lgbm-pixels.json'}") for line in lines)  # the one used, unmarked
