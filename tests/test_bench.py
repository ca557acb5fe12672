"""`hogfer bench` end to end through the CLI."""

import csv
import json

import numpy as np

import pytest
from click.testing import CliRunner

from hogfer.cli import cli


@pytest.fixture
def private_models(tmp_path, monkeypatch):
    """An empty model cache of its own, so bench trains what the shipped folder lacks."""
    monkeypatch.setenv("HOGFER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_bench_scores_classical_and_reports_missing_deep(small_csv, private_models, tmp_path, monkeypatch):
    import shutil

    import hogfer.store.files

    # a shipped folder that holds xception alone, so that simple-cnn is missing whatever ships
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for suffix in (".json", ".skops"):
        shutil.copy(hogfer.store.files.shipped_dir() / f"xception{suffix}", shipped)
    monkeypatch.setattr(hogfer.store.files, "shipped_dir", lambda: shipped)
    out = tmp_path / "bench"
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\nafter\n")
    args = ["bench", "--only", "svm-landmarks", "--only", "xception", "--only", "simple-cnn", "--data", str(small_csv)]
    result = CliRunner().invoke(cli, [*args, "--out", str(out), "--readme", str(readme), "--quiet"])
    assert result.exit_code == 0, result.output
    for name in ("results.md", "results.csv", "results.json", "confusion_matrices.png", "accuracy.png"):
        assert (out / name).stat().st_size > 0
    results = json.loads((out / "results.json").read_text())
    rows = {r["pipeline"]: r for r in results["rows"]}
    assert rows["svm-landmarks"]["status"] == "ok" and 0 < rows["svm-landmarks"]["accuracy"] <= 1
    assert rows["svm-landmarks"]["seed_accuracy"] == pytest.approx(0.464)
    # the shipped xception is scored (a deep row), with a note that it was trained on other data
    assert rows["xception"]["status"] == "ok" and 0 < rows["xception"]["accuracy"] <= 1
    assert any("different data file" in n for n in rows["xception"]["notes"])
    assert rows["simple-cnn"]["status"] == "missing" and rows["simple-cnn"]["notes"]
    for key in ("data_sha256", "machine", "libraries", "date", "commit"):
        assert key in results
    with open(out / "results.csv") as f:
        table = list(csv.DictReader(f))
    assert [r["pipeline"] for r in table] == ["svm-landmarks", "xception", "simple-cnn"]
    assert {"accuracy", "macro_f1", "recall_Disgust", "public_accuracy", "train_seconds", "feature_faces_per_s",
            "predict_faces_per_s", "size_bytes", "seed_accuracy"} <= set(table[0])
    text = readme.read_text()
    assert "old" not in text and "| svm-landmarks" in text and text.endswith("after\n")
    # the README's copy is short: at most 7 columns, a caption under 300 characters, what ships at a glance
    header = next(line for line in text.splitlines() if line.startswith("| pipeline"))
    assert header.count("|") - 1 <= 7 and "ships" in header
    caption = next(line for line in text.splitlines() if line.startswith("FER2013"))
    assert len(caption) <= 300
    assert "| simple-cnn" not in text  # a missing row is in results.md, not in the README's table
    assert "PrivateTest acc %" in (out / "results.md").read_text()

    # The README part regenerates from results.json alone.
    readme.write_text("<!-- bench:start -->\n<!-- bench:end -->\n")
    result = CliRunner().invoke(cli, ["report", "--results", str(out / "results.json"), "--readme", str(readme)])
    assert result.exit_code == 0 and "| svm-landmarks" in readme.read_text()


def test_bench_update_rescores_some_rows_and_keeps_the_others(small_csv, private_models, tmp_path):
    out, runner = tmp_path / "bench", CliRunner()
    base = ["bench", "--data", str(small_csv), "--out", str(out), "--quiet"]
    result = runner.invoke(cli, [*base, "--only", "lgbm-pixels", "--only", "simple-cnn"])
    assert result.exit_code == 0, result.output
    first = json.loads((out / "results.json").read_text())
    result = runner.invoke(cli, [*base, "--only", "lgbm-pixels", "--update"])
    assert result.exit_code == 0, result.output
    merged = json.loads((out / "results.json").read_text())
    assert [r["pipeline"] for r in merged["rows"]] == ["lgbm-pixels", "simple-cnn"]
    assert merged["rows"][1] == first["rows"][1]  # kept as the first run scored it
    assert [run["rows"] for run in merged["runs"]] == [["simple-cnn"], ["lgbm-pixels"]]
    assert merged["runs"][0]["date"] == first["date"] and merged["runs"][1]["date"] == merged["date"]
    assert "in 2 runs" in (out / "results.md").read_text()
    with open(out / "results.csv") as f:
        table = {r["pipeline"]: r for r in csv.DictReader(f)}
    assert table["simple-cnn"]["run_date"] == first["date"] and table["lgbm-pixels"]["run_date"] == merged["date"]

    result = runner.invoke(cli, [*base, "--all", "--update"])
    assert result.exit_code == 2 and "--update goes with --only" in result.output
    result = runner.invoke(cli, [*base, "--only", "lgbm-pixels", "--update", "--classes", "fer6-merge"])
    assert result.exit_code == 1 and "scores the fer7 classes" in result.output
    result = runner.invoke(cli, [*base[:-3], "--out", str(tmp_path / "none"), "--only", "lgbm-pixels", "--update"])
    assert result.exit_code == 1 and "no " in result.output and "run `hogfer bench --all` first" in result.output


def test_merge_results_refuses_other_data_and_adds_the_ensemble_to_deep_rows():
    from hogfer.bench import merge_results, with_dependent_rows
    from hogfer.exceptions import HogferError

    old = {"data_sha256": "a", "classes": "fer7", "n_test": 3, "date": "d1", "commit": "c1", "rows": [{"pipeline": "svm-hog"}]}
    with pytest.raises(HogferError, match="data_sha256"):
        merge_results(old, {**old, "data_sha256": "b"})
    assert with_dependent_rows(["xception"]) == ["xception", "ensemble"]
    assert with_dependent_rows(["hybrid", "ensemble"]) == ["hybrid", "ensemble"]
    assert with_dependent_rows(["lgbm-pixels"]) == ["lgbm-pixels"]


def test_bench_bad_input(small_csv, private_models, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["bench", "--only", "svm-nope", "--data", str(small_csv), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "Known pipelines" in result.output
    result = runner.invoke(cli, ["bench", "--all", "--data", str(tmp_path / "missing.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(cli, ["bench", "--data", str(small_csv)])
    assert result.exit_code == 2 and "--all" in result.output


def test_model_of_another_label_scheme_is_a_failed_row(small_csv, private_models, tmp_path):
    runner = CliRunner()
    models = tmp_path / "models"
    assert runner.invoke(cli, ["train", "lgbm-pixels", "--data", str(small_csv), "--out", str(models), "--quiet"]).exit_code == 0
    import os

    os.environ["HOGFER_MODELS"] = str(models)
    try:
        result = runner.invoke(
            cli,
            ["bench", "--only", "lgbm-pixels", "--classes", "fer6-merge", "--data", str(small_csv), "--out", str(tmp_path / "b"), "--quiet"],
        )
    finally:
        del os.environ["HOGFER_MODELS"]
    assert result.exit_code == 1 and "failed: lgbm-pixels" in result.output
    row = json.loads((tmp_path / "b" / "results.json").read_text())["rows"][0]
    assert row["status"] == "failed" and "fer7 label scheme" in row["notes"][0]


@pytest.mark.slow
def test_bench_all_on_the_full_data(fer_path, tmp_path):
    result = CliRunner().invoke(cli, ["bench", "--all", "--data", str(fer_path), "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    scored = [r for r in rows if r["status"] == "ok"]
    assert len(scored) >= 6 and all(r["accuracy"] > 0.4 for r in scored)


def test_ensemble_members_are_chosen_on_validation_faces():
    from types import SimpleNamespace

    import numpy as np

    from hogfer.bench import choose_ensemble

    labels = np.array([0, 1, 2, 0, 1, 2])

    class Fixed:
        classes_ = np.array([0, 1, 2])

        def __init__(self, predicted, confidence):
            self.proba = np.eye(3)[predicted] * (confidence - (1 - confidence) / 2) + (1 - confidence) / 2

        def predict_proba(self, images):
            return self.proba

    models = {
        "a": Fixed([0, 1, 2, 0, 1, 0], 0.9),  # 5 of 6
        "b": Fixed([0, 1, 2, 0, 2, 2], 0.6),  # 5 of 6, wrong where a is right
        "c": Fixed([1, 0, 0, 1, 2, 0], 0.9),  # 0 of 6, confidently
    }
    val = SimpleNamespace(images=np.zeros((6, 48, 48)), labels=labels)
    assert choose_ensemble(models, val) == (["a", "b"], 5 / 6)
    # without validation faces every model is a member
    empty = SimpleNamespace(images=np.zeros((0, 48, 48)), labels=labels[:0])
    assert choose_ensemble(models, empty) == (["a", "b", "c"], None)


def test_a_started_from_model_counts_its_source_training():
    from hogfer.bench.run import _deep_note
    from hogfer.bench.run import train_seconds as _train_seconds

    own = {"kind": "deep", "train_seconds": 100.0, "history": {"seconds": [60.0, 50.0]}, "epochs_run": 2, "best_epoch": 2,
           "backend": "jax"}
    assert _train_seconds(own) == 110.0 and "started from" not in _deep_note(own, "keras")
    started = {**own, "initialized_from": {"source": "xception", "layers": ["stem_conv1"],
                                           "source_metadata": {"name": "xception", "epochs_run": 24, "epoch_seconds_total": 1000.0}}}
    assert _train_seconds(started) == 1110.0
    note = _deep_note(started, "onnx-int8")
    assert "started from xception (24 epochs before this run" in note and note.endswith("8-bit copy")
    assert _deep_note(started, "onnx-int8", True).endswith("8-bit copy, TTA affine, 8 views")
    assert _deep_note(started, "onnx", "zoom").endswith("predicts with onnxruntime, TTA zoom, 4 views")
    # A chain of continued runs counts every ancestor's epochs, not only the last source's.
    chained = {**own, "initialized_from": {"source": "xception", "layers": ["stem_conv1"], "source_metadata": {
        "name": "xception", "epochs_run": 13, "epoch_seconds_total": 700.0,
        "lineage_epochs": 37, "lineage_epoch_seconds": 1700.0}}}
    assert _train_seconds(chained) == 1810.0
    assert "started from xception (37 epochs before this run" in _deep_note(chained, "keras")
    taught = {**own, "distilled_from": [{"source": "xception", "source_metadata": {"name": "xception"}},
                                        {"source": "/p/hybrid.json", "source_metadata": None}]}
    assert "distilled from xception, /p/hybrid.json (their training counted in train s)" in _deep_note(taught, "keras")


def test_a_snapshot_ensemble_names_its_cycles_not_a_best_epoch():
    from hogfer.bench.run import _deep_note
    from hogfer.store.card import ModelCard

    meta = {"name": "xception-snapshots", "kind": "deep", "epochs_run": 6, "best_epoch": None, "backend": "jax",
            "chosen_params": {"snapshots": 3, "epochs": 6}, "split": {"validation": "PublicTest"}}
    assert _deep_note(meta, "keras").startswith("6 epochs (the ends of 3 cosine cycles averaged)")
    assert "6 epochs, the ends of its 3 cycles averaged" in ModelCard(meta).summary()
    single = {**meta, "chosen_params": {"snapshots": None}, "best_epoch": 5}
    assert _deep_note(single, "keras").startswith("6 epochs (best 5)")
    assert _deep_note({**single, "epochs_run": 1, "best_epoch": 1}, "keras").startswith("1 epoch (best 1)")
    assert "1 epoch, best on PublicTest at epoch 1" in ModelCard({**single, "epochs_run": 1, "best_epoch": 1}).summary()
    assert "best on PublicTest at epoch 5" in ModelCard(single).summary()


def test_models_sharing_an_ancestor_count_it_once():
    from hogfer.bench.ensemble import training_runs as _training_runs
    from hogfer.bench.run import train_seconds as _train_seconds

    root = {"sha256": "root", "epoch_seconds_total": 1000.0}

    def started_from(sha, seconds, source_sha, source_seconds):
        lineage = [{"sha256": source_sha, "epoch_seconds_total": source_seconds}, root]
        return {"kind": "deep", "sha256": sha, "train_seconds": seconds, "initialized_from": {"source_metadata": {
            "sha256": source_sha, "epoch_seconds_total": source_seconds,
            "lineage_epoch_seconds": source_seconds + 1000.0, "lineage": lineage}}}

    xception, hybrid = started_from("x", 100.0, "a", 500.0), started_from("h", 200.0, "b", 300.0)
    assert (_train_seconds(xception), _train_seconds(hybrid)) == (1600.0, 1500.0)
    union = {**_training_runs(xception), **_training_runs(hybrid)}
    assert sum(union.values()) == 100.0 + 200.0 + 500.0 + 300.0 + 1000.0
    assert _training_runs({"kind": "deep"}) is None
    # A distilled model counts its teachers' training too, a run they share with its source once.
    def as_teacher(model):
        source = model["initialized_from"]["source_metadata"]
        own = {"sha256": model["sha256"], "epoch_seconds_total": model["train_seconds"]}
        return {"source": model["sha256"], "source_metadata": {
            **own, "lineage_epoch_seconds": own["epoch_seconds_total"] + source["lineage_epoch_seconds"],
            "lineage": [own, *source["lineage"]]}}

    distilled = {**started_from("d", 50.0, "x", 100.0), "distilled_from": [as_teacher(xception), as_teacher(hybrid)]}
    assert _train_seconds(distilled) == 50.0 + 100.0 + 500.0 + 200.0 + 300.0 + 1000.0
    # a model recompressed since (repack_model) is still the run its descendants recorded
    repacked_source = {**started_from("x", 100.0, "a", 500.0), "sha256": "x2", "repacked_from": ["x"]}
    plain = {**distilled, "distilled_from": []}  # started from x, which is x2 now
    assert sum({**_training_runs(repacked_source), **_training_runs(plain)}.values()) == 50.0 + 100.0 + 500.0 + 1000.0


def test_machine_info_records_the_cpu_flags_that_8_bit_kernels_depend_on():
    from hogfer._env import _INT8_CPU_FLAGS, machine_info

    flags = machine_info()["cpu_flags"]
    assert flags is None or (isinstance(flags, list) and set(flags) <= set(_INT8_CPU_FLAGS))
    from hogfer._env import machine_summary

    info = {"cores": 2, "cpu": "AMD EPYC", "memory_gib": 23.5}
    assert machine_summary(info) == "2 cores of AMD EPYC, 23.5 GiB RAM"  # files written before the flags
    assert machine_summary({**info, "cpu_flags": ["avx2"]}) == "2 cores of AMD EPYC (avx2), 23.5 GiB RAM"
    assert machine_summary({**info, "cores": 1, "cpu_flags": []}) == "1 core of AMD EPYC (no AVX2), 23.5 GiB RAM"


def test_bench_says_first_what_it_will_do(tmp_path, monkeypatch):
    import hogfer.store.files as files
    from hogfer.bench.plan import plan_benchmark, plan_text

    monkeypatch.setenv("HOGFER_CACHE_DIR", str(tmp_path / "cache"))  # models other tests trained are not shipped ones
    monkeypatch.delenv("HOGFER_MODELS", raising=False)
    shipped = files.list_models()
    assert {"lgbm-pixels", "svm-hog"} <= set(shipped)  # every classical pipeline ships
    monkeypatch.setattr(files, "list_models", lambda: {k: v for k, v in shipped.items() if k not in ("svm-hog", "simple-cnn")})
    plan = plan_benchmark(["lgbm-pixels", "svm-hog", "simple-cnn", "ensemble"])
    assert plan == {"shipped": ["lgbm-pixels"], "cached": [], "train": ["svm-hog"], "missing": ["simple-cnn"], "derived": ["ensemble"]}
    assert "trains 1 first (svm-hog)" in plan_text(plan)  # no earlier run: no estimate
    (tmp_path / "results.json").write_text(json.dumps({"rows": [{"pipeline": "svm-hog", "train_seconds": 600}]}))
    text = plan_text(plan, tmp_path)
    assert text.startswith("hogfer bench: scores 1 shipped and 0 cached models")
    assert "trains 1 first (svm-hog, about 10 min by the last run's train s)" in text and "cannot score simple-cnn" in text
    # a pipeline that ships no model is scored where trained, never trained by the bench unless asked
    assert plan_benchmark(["svm-bovw-local"])["missing"] == ["svm-bovw-local"]
    assert plan_benchmark(["svm-bovw-local"], retrain=True)["train"] == ["svm-bovw-local"]


def test_a_pipeline_that_ships_no_model_gets_an_empty_row_saying_how_to_train_it():
    from hogfer.bench.run import _obtain_model

    model, meta, missing = _obtain_model("svm-bovw-local", None, None, {}, retrain=False, n_jobs=1, random_state=0)
    assert model is None and "not shipped" in missing and "hogfer train svm-bovw-local" in missing


def test_progress_bars_only_on_a_terminal(monkeypatch):
    import sys

    from hogfer.cli._options import progress_wanted

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not progress_wanted(quiet=False)  # redirected to a file: no escape codes
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress_wanted(quiet=False) and not progress_wanted(quiet=True)


def test_a_tampered_model_is_a_failed_row_and_the_run_goes_on(small_csv, tmp_path, monkeypatch):
    import shutil

    from hogfer.store.files import shipped_dir

    models = tmp_path / "models"
    models.mkdir()
    for suffix in (".json", ".skops"):
        shutil.copy(shipped_dir() / f"lgbm-pixels{suffix}", models / f"lgbm-pixels{suffix}")
    data = bytearray((models / "lgbm-pixels.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (models / "lgbm-pixels.skops").write_bytes(bytes(data))
    monkeypatch.setenv("HOGFER_MODELS", str(models))
    out = tmp_path / "bench"
    args = ["bench", "--only", "lgbm-pixels", "--only", "lgbm-hog-landmarks", "--data", str(small_csv), "--out", str(out), "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "1 pipeline(s) failed: lgbm-pixels" in result.output and "Traceback" not in result.output
    rows = {r["pipeline"]: r for r in json.loads((out / "results.json").read_text())["rows"]}
    assert rows["lgbm-pixels"]["status"] == "failed" and "checksum" in rows["lgbm-pixels"]["notes"][0]
    assert rows["lgbm-hog-landmarks"]["status"] == "ok"
    assert f"Results go to {out}/" in result.output


def test_remembered_predictions_compute_once_and_keep_their_real_time():
    import time

    from hogfer.bench.ensemble import RememberedPredictions, _Ensemble

    class Slow:
        classes_ = np.arange(3)
        calls = 0

        def predict_proba(self, X):
            Slow.calls += 1
            time.sleep(0.05)
            return np.tile([0.2, 0.5, 0.3], (len(X), 1))

    model = RememberedPredictions(Slow())
    faces, other = np.zeros((10, 48, 48)), np.zeros((10, 48, 48))
    assert list(model.predict(faces)) == [1] * 10 and Slow.calls == 1
    model.predict(faces)
    assert Slow.calls == 1  # the same array: remembered
    model.predict(other)
    assert Slow.calls == 2  # an equal but different array: computed
    assert model.seconds_per_face_ >= 0.05 / 10
    ensemble = _Ensemble([model, RememberedPredictions(Slow())])
    ensemble.predict(faces)
    assert ensemble.seconds_per_face_ == pytest.approx(model.seconds_per_face_ + ensemble.models[1].seconds_per_face_)


def test_bench_jobs_reach_every_step_of_a_loaded_model():
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from hogfer import BagOfVisualWords
    from hogfer.bench.run import _use_jobs
    from hogfer.classifiers import LocalLearningClassifier

    model = make_pipeline(BagOfVisualWords(n_jobs=1), LocalLearningClassifier(LinearSVC(), n_jobs=1))
    _use_jobs(model, None)  # not given: as saved
    assert model.steps[0][1].n_jobs == 1 and model.steps[1][1].n_jobs == 1
    _use_jobs(model, 2)
    assert model.steps[0][1].n_jobs == 2 and model.steps[1][1].n_jobs == 2
