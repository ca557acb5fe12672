"""Keras model builders and the scikit-learn wrapper (tiny runs on real faces)."""

import functools
import pickle
from pathlib import Path

import numpy as np
import pytest

# hogfer.deep first: it configures TensorFlow (oneDNN off) before Keras loads it.
pytest.importorskip("hogfer.deep")
from hogfer.deep import (  # noqa: E402
    KerasFERClassifier,
    build_autoencoder,
    build_dexpression,
    build_hybrid,
    build_inception,
    build_network,
    build_resnet,
    build_simple_cnn,
    build_vgg,
    build_wider_cnn,
    build_xception,
    count_macs,
    matmul_rate,
)
from hogfer.deep.layers import RandomErasing  # noqa: E402

import keras  # noqa: E402


@pytest.mark.parametrize("builder", [build_xception, build_simple_cnn, build_resnet, functools.partial(build_resnet, depth=34),
                                     build_vgg, build_wider_cnn, build_inception, build_dexpression])
def test_builders_output_shapes_names_and_keras_round_trip(builder, tmp_path):
    model = builder((48, 48, 1), 7, augment=True, seed=0)
    x = np.random.default_rng(0).integers(0, 256, (3, 48, 48, 1)).astype("float32")
    out = model.predict(x, verbose=0)
    assert out.shape == (3, 7) and np.allclose(out.sum(axis=1), 1, atol=1e-5)
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names)) and "predictions" in names
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), out, atol=1e-5)


def test_seed_networks_by_name_and_their_errors():
    assert build_network("resnet34").name == "resnet34" and build_network("wider-cnn").name == "wider_cnn"
    resnet18 = build_network("resnet18", augment=False)
    assert sum("_add" in layer.name for layer in resnet18.layers) == 8  # 2+2+2+2 residual blocks
    assert resnet18.get_layer("stage4_block2_out").output.shape[1:3] == (3, 3)  # 48, pooled: 24 -> 12 -> 6 -> 3
    assert build_network("resnet18", stem_pool=False).get_layer("stage4_block2_out").output.shape[1:3] == (6, 6)
    assert 0.3e9 < count_macs(resnet18) < 0.33e9  # as its docstring states
    with pytest.raises(ValueError, match="depth must be one of"):
        build_resnet(depth=50)
    with pytest.raises(ValueError, match="unknown architecture 'alexnet'"):
        build_network("alexnet")
    with pytest.raises(ValueError):
        build_vgg((48, 48, 1), 1)


def test_xception_layer_names_are_systematic():
    names = {layer.name for layer in build_xception().layers}
    assert {"block1_sepconv1", "block2_sepconv2_bn", "block3_shortcut", "middle1_add", "avg_pool"} <= names


def test_hybrid_takes_named_inputs():
    model = build_hybrid((48, 48, 1), n_features=20, num_classes=6)
    assert sorted(model.input_names if hasattr(model, "input_names") else [t.name for t in model.inputs]) == ["features", "image"]
    out = model.predict({"image": np.zeros((2, 48, 48, 1), "float32"), "features": np.zeros((2, 20), "float32")}, verbose=0)
    assert out.shape == (2, 6)
    rates = {layer.name: layer.rate for layer in model.layers if layer.name.startswith("features_") and hasattr(layer, "rate")}
    assert rates == {"features_input_dropout": 0.2}
    model = build_hybrid((48, 48, 1), n_features=20, feature_dropout=(0.5, 0.3))
    rates = {layer.name: layer.rate for layer in model.layers if layer.name.startswith("features_") and hasattr(layer, "rate")}
    assert rates == {"features_input_dropout": 0.5, "features_fc_dropout": 0.3}


def test_builders_check_their_arguments():
    with pytest.raises(ValueError, match="input_shape"):
        build_xception((8, 8, 1))
    with pytest.raises(ValueError, match="num_classes"):
        build_simple_cnn(num_classes=1)
    with pytest.raises(ValueError, match="n_features"):
        build_hybrid(n_features=0)
    with pytest.raises(ValueError, match="feature_dropout"):
        build_hybrid(feature_dropout=(0.5, 1.0))


def test_autoencoder_reconstructs_shape():
    auto, encoder = build_autoencoder(code_size=16)
    x = np.zeros((2, 48, 48, 1), "float32")
    assert auto.predict(x, verbose=0).shape == (2, 48, 48, 1) and encoder.predict(x, verbose=0).shape == (2, 16)


def test_count_macs_by_hand():
    from keras import layers

    inner = keras.Sequential([layers.Input((8, 8, 4)), layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw")], name="inner")
    x = image = keras.Input((8, 8, 2))
    x = layers.RandomFlip("horizontal", name="flip")(x)  # no arithmetic counted
    x = layers.Conv2D(4, 3, padding="same", name="conv")(x)  # 8*8 positions * 2 channels * 9 * 4 filters
    x = layers.BatchNormalization(name="bn")(x)  # folded into the convolution by runtimes: not counted
    x = inner(x)  # nested model, valid: 6*6 positions * 4 channels * 2 * 9
    x = layers.SeparableConv2D(5, 3, padding="same", name="sep")(x)  # 6*6 * 8 * (9 + 5)
    x = layers.Conv2D(6, 1, name="point")(x)  # 6*6 * 5 * 6
    x = layers.Conv2DTranspose(4, 2, strides=2, name="up")(x)  # 6*6 input pixels * 6 channels * 4 * 4 filters
    x = layers.Conv2D(6, 3, groups=2, padding="same", name="grouped")(x)  # 12*12 * (4 / 2 channels a group) * 9 * 6
    out = layers.Dense(7, name="dense")(layers.GlobalAveragePooling2D()(x))  # 6 * 7
    model = keras.Model(image, out)
    expected = {
        "conv": 64 * 2 * 9 * 4,
        "dw": 36 * 4 * 2 * 9,
        "sep": 36 * 8 * (9 + 5),
        "point": 36 * 5 * 6,
        "up": 36 * 6 * 4 * 4,
        "grouped": 144 * 2 * 9 * 6,
        "dense": 6 * 7,
    }
    total, per_layer = count_macs(model, per_layer=True)
    assert per_layer == expected and total == sum(expected.values())
    assert count_macs(model) == total
    # 1-D: a convolution (8 outputs * 3 channels * 3 taps * 4 filters) and its transpose (8 inputs * 4 * 3 * 2)
    one_d = keras.Sequential([layers.Input((10, 3)), layers.Conv1D(4, 3, name="c"), layers.Conv1DTranspose(2, 3, name="t")])
    assert count_macs(one_d, per_layer=True)[1] == {"c": 8 * 3 * 3 * 4, "t": 8 * 4 * 3 * 2}


def test_count_macs_of_the_builders_and_errors():
    # the hybrid is xception plus its dense feature branch; the augmentation adds nothing
    xception = count_macs(build_xception(augment=True))
    assert xception == count_macs(build_xception(augment=False))
    # features_fc (100 -> 32), and 32 more inputs to the 7-class predictions layer
    assert count_macs(build_hybrid(n_features=100, feature_units=32)) - xception == 100 * 32 + 32 * 7
    with pytest.raises(TypeError, match="keras.Model"):
        count_macs(object())


def test_matmul_rate_is_a_positive_rate_and_checks_its_arguments():
    import time

    size, seconds = 256, 0.2
    a = np.ones((size, size), np.float32)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        a @ a
        n += 1
    naive = n * size**3 / (time.perf_counter() - start)  # MAC/s of the same product, timed here
    rate = matmul_rate(size=size, seconds=seconds)
    assert naive / 4 < rate < naive * 4  # the same measurement, give or take a noisy machine
    with pytest.raises(ValueError, match="size"):
        matmul_rate(size=0)


def test_random_erasing_only_in_training():
    layer = RandomErasing(probability=1.0, seed=1)
    x = np.full((4, 48, 48, 1), 0.5, "float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    erased = keras.ops.convert_to_numpy(layer(x, training=True))
    assert (erased != x).any(axis=(1, 2, 3)).all()
    assert RandomErasing.from_config(layer.get_config()).probability == 1.0


@pytest.mark.parametrize("architecture", ["simple-cnn", "hybrid", "dexpression"])
def test_classifier_fits_predicts_and_round_trips(faces, architecture, tmp_path):
    images, labels = faces
    clf = KerasFERClassifier(architecture, epochs=2, batch_size=32, checkpoint_dir=str(tmp_path / "ckpt"), model_params={"dropout": 0.1})
    clf.fit(images[:120], labels[:120], X_val=images[120:160], y_val=labels[120:160])
    assert len(clf.history_["loss"]) == 2 and (tmp_path / "ckpt" / "last.keras").exists()
    proba = clf.predict_proba(images[160:170])
    assert proba.shape == (10, len(clf.classes_)) and np.allclose(proba.sum(axis=1), 1, atol=1e-4)
    assert set(clf.predict(images[160:170])) <= set(clf.classes_)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(images[160:170]), proba, atol=1e-5)
    if architecture == "hybrid":
        # predictions take n_jobs as set now: the features of 400 faces on two workers, same result
        many = np.concatenate([images, images])
        alone = clf.predict_proba(many)
        clf.set_params(n_jobs=2)
        np.testing.assert_allclose(clf.predict_proba(many), alone, atol=1e-5)
        assert all(t.n_jobs == 2 for _, t in clf.features_[0].transformer_list)
    # resume: a second fit continues from the checkpoint's epoch count, and the random
    # streams (augmentation) go on from where they were, not from the first epoch again
    from hogfer.deep.recipe import seed_states as _seed_states

    counters = {k: v[1] for k, v in _seed_states(clf.model_).items() if k.startswith("augment_")}
    assert counters and all(c > 0 for c in counters.values())
    clf.set_params(epochs=3).fit(images[:120], labels[:120], X_val=images[120:160], y_val=labels[120:160])
    assert len(clf.history_["loss"]) == 3 and clf.resumed_at_epoch_ == 2
    resumed = {k: v[1] for k, v in _seed_states(clf.model_).items() if k.startswith("augment_")}
    assert resumed == {k: c * 3 // 2 for k, c in counters.items()}
    # a checkpoint that has already run the epochs asked for is a clear error, not a no-op fit
    with pytest.raises(ValueError, match="already run 3 epochs"):
        clf.fit(images[:120], labels[:120], X_val=images[120:160], y_val=labels[120:160])


def test_hybrid_features_fast_path_is_the_pipelines_transform(faces):
    from hogfer.deep.hybrid_features import feature_pipeline as _feature_pipeline
    from hogfer.deep.hybrid_features import transform_features as _transform_features

    images = faces[0][:40]
    pipeline = _feature_pipeline().fit(images)
    for batch in (images[:1], images):  # one live face, and a batch
        np.testing.assert_array_equal(_transform_features(pipeline, batch), pipeline.transform(batch))
    # a pipeline it does not know goes through its own transform: weights, pandas output
    pipeline[0].set_params(transformer_weights={"hog": 2.0, "landmarks": 1.0})
    np.testing.assert_array_equal(_transform_features(pipeline, images), pipeline.transform(images))
    pipeline[0].set_params(transformer_weights=None)
    pytest.importorskip("pandas")
    as_frame = _feature_pipeline().set_output(transform="pandas").fit(images)
    assert hasattr(_transform_features(as_frame, images), "columns")


def test_init_from_starts_matching_layers_from_a_trained_model(faces, tmp_path):
    from hogfer.store.files import save_model

    images, labels = faces
    small = {"block_filters": (8, 16), "middle_blocks": 0}
    source = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params=small).fit(images[:64], labels[:64])
    save_model(source, {"emotions": ["a"] * 7, "classes": "fer7", "kind": "deep", "epochs_run": 1}, tmp_path, "xception")
    trunk = source.model_.get_layer("block2_sepconv1").get_weights()
    # a learning rate too small to move the weights: what the hybrid starts from is what it ends with
    hybrid = KerasFERClassifier("hybrid", epochs=1, batch_size=32, tta=False, learning_rate=1e-12, model_params=small,
                                init_from=str(tmp_path / "xception.json"), checkpoint_dir=str(tmp_path / "ckpt"))
    hybrid.fit(images[:64], labels[:64], X_val=images[64:96], y_val=labels[64:96])
    for mine, theirs in zip(hybrid.model_.get_layer("block2_sepconv1").get_weights(), trunk):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)
    layers = hybrid.initialized_from_["layers"]
    assert "stem_conv1" in layers and "block2_sepconv1_bn" in layers
    assert "predictions" not in layers and "features_fc" not in layers  # other shapes, or not in the source
    assert hybrid.initialized_from_["source_metadata"]["epochs_run"] == 1
    # a resumed run still knows where it started from
    hybrid.set_params(epochs=2).fit(images[:64], labels[:64], X_val=images[64:96], y_val=labels[64:96])
    assert hybrid.resumed_at_epoch_ == 1 and hybrid.initialized_from_["layers"] == layers
    # a .keras file works too; a network with nothing in common is refused
    source.save_keras(tmp_path / "source.keras")
    again = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, learning_rate=1e-12, model_params=small,
                               init_from=str(tmp_path / "source.keras")).fit(images[:64], labels[:64])
    assert "predictions" in again.initialized_from_["layers"] and again.initialized_from_["source_metadata"] is None
    with pytest.raises(ValueError, match="no layer"):
        KerasFERClassifier("simple-cnn", epochs=1, init_from=str(tmp_path / "source.keras")).fit(images[:64], labels[:64])
    # so does the fitted estimator itself (frozen, it survives clone); an unfitted one is refused
    from sklearn.base import clone
    from sklearn.frozen import FrozenEstimator

    direct = clone(KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, learning_rate=1e-12, model_params=small,
                                      init_from=FrozenEstimator(source))).fit(images[:64], labels[:64])
    assert "predictions" in direct.initialized_from_["layers"] and direct.initialized_from_["source"] == "FrozenEstimator('xception')"
    for mine, theirs in zip(direct.model_.get_layer("block2_sepconv1").get_weights(), trunk):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)
    with pytest.raises(ValueError, match="init_from: the KerasFERClassifier given is not fitted"):
        KerasFERClassifier("xception", epochs=1, init_from=KerasFERClassifier("xception")).fit(images[:64], labels[:64])


def test_distillation_trains_towards_the_teachers_probabilities(faces, tmp_path, monkeypatch):
    from hogfer.store.files import save_model

    images, labels = faces
    small = {"block_filters": (8, 16), "middle_blocks": 0}
    teacher = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params=small).fit(images[:96], labels[:96])
    save_model(teacher, {"emotions": ["a"] * 7, "classes": "fer7", "kind": "deep", "epochs_run": 1}, tmp_path, "teacher")
    seen = []
    fit = keras.Model.fit
    monkeypatch.setattr(keras.Model, "fit", lambda self, x, y, **kw: seen.append(np.array(y)) or fit(self, x, y, **kw))
    student = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params=small, distill_weight=0.25,
                                 distill_from=[str(tmp_path / "teacher.json")], checkpoint_dir=str(tmp_path / "ckpt"))
    student.fit(images[:96], labels[:96], X_val=images[96:128], y_val=labels[96:128])
    onehot = np.eye(len(student.classes_))[np.searchsorted(student.classes_, labels[:96])]
    np.testing.assert_allclose(seen[-1], 0.75 * onehot + 0.25 * teacher.predict_proba(images[:96]), atol=1e-5)
    (record,) = student.distilled_from_
    assert record["source_metadata"]["epochs_run"] == 1
    assert record["training_accuracy"] == pytest.approx(np.mean(teacher.predict(images[:96]) == labels[:96]), abs=1e-4)
    # a resumed run reuses the stored probabilities instead of predicting again
    monkeypatch.setattr("hogfer.store.files.load_model", lambda *a, **k: pytest.fail("teacher loaded again"))
    student.set_params(epochs=2).fit(images[:96], labels[:96], X_val=images[96:128], y_val=labels[96:128])
    np.testing.assert_allclose(seen[-1], seen[0], atol=1e-6)
    # another student of the same teacher, from scratch, takes them from hogfer's cache: not predicted again
    from hogfer.store import files as store_files

    def load_without_predicting(*args, **kwargs):
        estimator, metadata = original_load(*args, **kwargs)
        stub = type("NoPredictions", (), {"classes_": estimator.classes_,
                                          "predict_proba": lambda self, x: pytest.fail("teacher predicted again")})
        return stub(), metadata

    monkeypatch.undo()
    original_load = store_files.load_model
    monkeypatch.setattr(keras.Model, "fit", lambda self, x, y, **kw: seen.append(np.array(y)) or fit(self, x, y, **kw))
    monkeypatch.setattr("hogfer.store.files.load_model", load_without_predicting)
    other = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params=small, distill_weight=0.25,
                               distill_from=[str(tmp_path / "teacher.json")], checkpoint_dir=str(tmp_path / "ckpt2"))
    other.fit(images[:96], labels[:96], X_val=images[96:128], y_val=labels[96:128])
    np.testing.assert_allclose(seen[-1], seen[0], atol=1e-6)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="distill_weight"):
        KerasFERClassifier("xception", distill_weight=1.5).fit(images[:64], labels[:64])
    # any fitted classifier with probabilities teaches too
    from sklearn.dummy import DummyClassifier

    prior = DummyClassifier(strategy="prior").fit(images[:96].reshape(96, -1), labels[:96])
    monkeypatch.setattr(keras.Model, "fit", lambda self, x, y, **kw: seen.append(np.array(y)) or fit(self, x, y, **kw))
    as_teacher = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params=small, distill_from=prior)
    as_teacher.fit(images[:96], labels[:96], X_val=images[96:128], y_val=labels[96:128])
    np.testing.assert_allclose(seen[-1][0], 0.5 * onehot[0] + 0.5 * prior.class_prior_, atol=1e-5)
    assert as_teacher.distilled_from_[0]["source"] == "DummyClassifier"
    with pytest.raises(ValueError, match="does not predict the classes"):
        KerasFERClassifier("xception", epochs=1, model_params=small, distill_from=str(tmp_path / "teacher.json")).fit(
            images[:96], np.where(labels[:96] == 3, 9, labels[:96]))


def test_a_chain_of_started_from_models_adds_up_its_training(tmp_path):
    from hogfer.deep.recipe import lineage_metadata as _lineage_metadata
    from hogfer.training.deep import source_sha256 as _source_sha256

    first = {"name": "xception", "sha256": "a" * 64, "epochs_run": 24, "epoch_seconds_total": 1000.0,
             "metrics": {"validation": {"accuracy": 0.6}}}
    second = {"name": "xception", "sha256": "b" * 64, "epochs_run": 13, "epoch_seconds_total": 500.0,
              "initialized_from": {"source": "xception", "source_metadata": _lineage_metadata(first)}}
    kept = _lineage_metadata(second)
    assert (kept["lineage_epochs"], kept["lineage_epoch_seconds"]) == (37, 1500.0)
    assert kept["epochs_run"] == 13 and "validation_accuracy" not in kept
    assert [run["sha256"] for run in kept["lineage"]] == ["b" * 64, "a" * 64]
    assert _lineage_metadata(first)["validation_accuracy"] == 0.6 and _lineage_metadata(None) is None
    # a source written before lineage was recorded still counts its own source's epochs
    older = {**second, "initialized_from": {"source_metadata": {"epochs_run": 24, "epoch_seconds_total": 1000.0}}}
    assert _lineage_metadata(older)["lineage_epochs"] == 37
    # a checkpoint written without the lineage gets it on resume, from the same source only
    from sklearn.dummy import DummyClassifier

    from hogfer.deep.recipe import resumed_initialization as _resumed_initialization
    from hogfer.store.files import save_model

    saved = save_model(DummyClassifier(), {k: v for k, v in second.items() if k != "sha256"}, tmp_path, "xception")
    stored = {"source": str(tmp_path / "xception.json"), "layers": ["stem_conv1"],
              "source_metadata": {"name": "xception", "sha256": saved["sha256"], "lineage_epochs": 37}}
    resumed = _resumed_initialization(stored)
    assert resumed["layers"] == ["stem_conv1"] and [r["sha256"] for r in resumed["source_metadata"]["lineage"]] == [saved["sha256"], "a" * 64]
    other = {**stored, "source_metadata": {**stored["source_metadata"], "sha256": "c" * 64}}
    assert _resumed_initialization(other) is other and _resumed_initialization(None) is None
    assert _resumed_initialization({**stored, "source": str(tmp_path / "gone.json")})["source_metadata"] == stored["source_metadata"]
    # the checkpoint key follows the source's content, not its name
    (tmp_path / "net.keras").write_bytes(b"one")
    before = _source_sha256(str(tmp_path / "net.keras"))
    (tmp_path / "net.keras").write_bytes(b"two")
    assert _source_sha256(str(tmp_path / "net.keras")) != before
    assert _source_sha256(None) is None and _source_sha256(str(tmp_path / "missing.keras")) is None


def test_cosine_schedule_decays_the_learning_rate(faces):
    from hogfer.deep.recipe import cosine_learning_rate

    images, labels = faces
    clf = KerasFERClassifier("simple-cnn", epochs=3, batch_size=32, tta=False, learning_rate=1e-3, lr_schedule="cosine")
    clf.fit(images[:64], labels[:64])
    rates = clf.history_["learning_rate"]
    assert rates[0] == pytest.approx(1e-3) and rates[0] > rates[1] > rates[2] > 1e-6
    assert rates[1] == pytest.approx(cosine_learning_rate(1, clf.epochs, clf.learning_rate), rel=1e-5)
    with pytest.raises(ValueError, match="lr_schedule. parameter of KerasFERClassifier must be"):
        clf.set_params(lr_schedule="step").fit(images[:64], labels[:64])


def test_a_time_limit_ends_the_run_sooner_and_its_cosine_decay_with_it(faces, tmp_path):
    import json

    from hogfer.deep.schedules import budget_end, cosine_learning_rate

    # what fits: the epochs left at the mean epoch time so far, never past the planned end
    assert budget_end(10, 2, [100.0, 100.0], 500.0) == 5 and budget_end(10, 2, [100.0, 100.0], 5000.0) == 10
    assert budget_end(10, 2, [100.0, 100.0], 150.0) == 2 and budget_end(10, 2, [], 1.0) == budget_end(10, 2, [1.0], None) == 10
    images, labels = faces
    ckpt = tmp_path / "ckpt"
    clf = KerasFERClassifier("simple-cnn", epochs=1, batch_size=32, tta=False, lr_schedule="cosine", checkpoint_dir=str(ckpt))
    clf.fit(images[:64], labels[:64])
    # as if that epoch had taken 100 s: 350 s leave room for two more, so a 6-epoch run ends at 3
    state = json.loads((ckpt / "history.json").read_text())
    state["history"]["seconds"] = [100.0]
    (ckpt / "history.json").write_text(json.dumps(state))
    clf.set_params(epochs=6, time_limit=350.0).fit(images[:64], labels[:64])
    assert clf.end_epoch_ == 3 and len(clf.history_["loss"]) == 3
    assert clf.history_["learning_rate"][1:] == pytest.approx([cosine_learning_rate(e, 3, 1e-3) for e in (1, 2)], rel=1e-5)
    # a limit already spent after the first epoch stops there
    quick = KerasFERClassifier("simple-cnn", epochs=5, batch_size=32, tta=False, time_limit=1e-6).fit(images[:64], labels[:64])
    assert quick.end_epoch_ == 1 and len(quick.history_["loss"]) == 1
    for bad, match in (({"time_limit": 0}, "time_limit. parameter of KerasFERClassifier must be a float in the range"), ({"time_limit": 60.0, "snapshots": 2}, "snapshot ensemble")):
        with pytest.raises(ValueError, match=match):
            KerasFERClassifier("simple-cnn", epochs=4, **bad).fit(images[:64], labels[:64])


def test_sgd_with_nesterov_momentum_is_an_optimizer_choice(faces, tmp_path):
    import keras

    images, labels = faces
    clf = KerasFERClassifier("dexpression", epochs=1, batch_size=32, tta=False, optimizer="sgd", learning_rate=0.01, checkpoint_dir=str(tmp_path))
    clf.fit(images[:64], labels[:64])
    optimizer = keras.models.load_model(tmp_path / "last.keras").optimizer  # the checkpoint keeps the training state
    assert type(optimizer).__name__ == "SGD" and optimizer.nesterov
    assert float(optimizer.momentum) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="optimizer. parameter of KerasFERClassifier must be"):
        clf.set_params(optimizer="rmsprop").fit(images[:64], labels[:64])


def test_snapshot_schedule_restarts_each_cycle():
    from hogfer.deep.snapshots import snapshot_epochs, snapshot_learning_rate

    assert snapshot_epochs(10, 2) == [5, 10] and snapshot_epochs(7, 3) == [2, 5, 7]
    rates = [snapshot_learning_rate(e, 10, 2, 0.1) for e in range(10)]
    assert rates[0] == rates[5] == pytest.approx(0.1) and rates[4] < 0.02 and rates[9] < 0.02
    assert all(a > b for a, b in zip(rates[:4], rates[1:5]))


def test_snapshot_pipeline_defaults_give_way_to_the_callers_settings():
    from hogfer.pipelines import get_spec

    spec = get_spec("xception-snapshots")
    assert spec.KIND == "deep"
    default = spec.build().get_params()
    assert (default["architecture"], default["snapshots"], default["epochs"]) == ("xception", 5, 60)
    given = spec.build(snapshots=3, epochs=6, init_from="xception").get_params()
    assert (given["snapshots"], given["epochs"], given["init_from"]) == (3, 6, "xception")


def test_snapshot_ensemble_averages_its_snapshots_and_survives_saving(faces, tmp_path):
    import keras

    from hogfer.store.files import load_model, save_model

    images, labels = faces
    clf = KerasFERClassifier("simple-cnn", epochs=4, snapshots=2, batch_size=32, tta=False, learning_rate=1e-3,
                             checkpoint_dir=str(tmp_path / "ckpt"))
    clf.fit(images[:96], labels[:96])
    rates = clf.history_["learning_rate"]
    assert rates[2] == pytest.approx(1e-3) and rates[1] < rates[0]  # the second cycle restarts
    members = [layer for layer in clf.model_.layers if isinstance(layer, keras.Model)]
    assert [m.name for m in members] == ["snapshot1", "snapshot2"]
    x = images[:16, :, :, None].astype("float32")
    member_mean = np.mean([np.asarray(m(x)) for m in members], axis=0)
    np.testing.assert_allclose(clf.predict_proba(images[:16]), member_mean, atol=1e-5)
    assert not np.allclose(np.asarray(members[0](x)), np.asarray(members[1](x)), atol=1e-4)  # two different networks
    save_model(clf, {"emotions": ["a"] * 7, "classes": "fer7"}, tmp_path, "snap")
    loaded, _ = load_model(tmp_path / "snap.json", allow_external=True)
    np.testing.assert_allclose(loaded.predict_proba(images[:16]), member_mean, atol=1e-5)
    loaded.compile_onnx(images[:16])  # the ensemble exports like one network
    assert loaded.engine_used_ in ("onnx", "keras")
    np.testing.assert_allclose(loaded.predict_proba(images[:16]), member_mean, atol=1e-4)
    with pytest.raises(ValueError, match="5 snapshot cycles: more cycles than the 3 epochs"):
        KerasFERClassifier("simple-cnn", epochs=3, snapshots=5).fit(images[:64], labels[:64])


def test_train_cli_deep_options_errors(small_csv, tmp_path):
    from click.testing import CliRunner

    from hogfer.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["train", "svm-hog", "--data", str(small_csv), "--init-from", "xception"])
    assert result.exit_code == 1 and "deep pipelines only" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["train", "xception", "--data", str(small_csv), "--init-from", "no-such-model"])
    assert result.exit_code == 1 and "no-such-model" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["train", "hybrid", "--data", str(small_csv), "--init-from", str(tmp_path / "gone.keras")])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(cli, ["train", "xception", "--data", str(small_csv), "--distill-from", "no-such-teacher"])
    assert result.exit_code == 1 and "no-such-teacher" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["train", "xception", "--data", str(small_csv), "--distill-weight", "0.3"])
    assert result.exit_code == 1 and "--distill-from" in result.output
    result = runner.invoke(cli, ["train", "svm-hog", "--data", str(small_csv), "--distill-from", "xception"])
    assert result.exit_code == 1 and "deep pipelines only" in result.output
    result = runner.invoke(cli, ["train", "inception", "--data", str(small_csv), "--epochs", "4", "--snapshots", "5"])
    assert result.exit_code == 1 and "more cycles than the 4 epochs" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["train", "inception", "--data", str(small_csv), "--epochs", "6", "--snapshots", "2", "--time-limit", "2h"])
    assert result.exit_code == 1 and "cannot end a snapshot ensemble early" in result.output and "Traceback" not in result.output
    # the snapshot pipeline's own cycles count too
    result = runner.invoke(cli, ["train", "xception-snapshots", "--data", str(small_csv), "--epochs", "3"])
    assert result.exit_code == 1 and "5 snapshot cycles" in result.output and "3 epochs" in result.output
    result = runner.invoke(cli, ["train", "xception-snapshots", "--data", str(small_csv), "--time-limit", "2h"])
    assert result.exit_code == 1 and "cannot end a snapshot ensemble early" in result.output and "Traceback" not in result.output
    for duration in ("3x", "0h", "h", "-1m"):
        result = runner.invoke(cli, ["train", "inception", "--data", str(small_csv), "--time-limit", duration])
        assert result.exit_code == 2 and "not a duration such as 3h" in result.output and "Traceback" not in result.output
    from hogfer.cli._options import Duration

    assert [Duration().convert(d, None, None) for d in ("3h", "90m", "5400s", "1.5h", " .5 m")] == [10800.0, 5400.0, 5400.0, 5400.0, 30.0]
    other = tmp_path / "fer6.json"
    other.write_text('{"name": "fer6", "file": "fer6.skops", "sha256": "0", "size_bytes": 1, "classes": "fer6-drop"}')
    result = runner.invoke(cli, ["train", "xception", "--data", str(small_csv), "--distill-from", str(other)])
    assert result.exit_code == 1 and "fer6-drop classes, not fer7" in result.output and "Traceback" not in result.output


def test_deep_model_through_the_model_store(faces, tmp_path):
    from hogfer.store.files import load_model, save_model

    images, labels = faces
    clf = KerasFERClassifier("simple-cnn", epochs=1, batch_size=32, tta=False).fit(images[:64], labels[:64])
    meta = save_model(clf, {"emotions": ["a"] * 7, "classes": "fer7"}, tmp_path, "simple-cnn")
    loaded, loaded_meta = load_model(tmp_path / "simple-cnn.json", allow_external=True)
    assert loaded_meta["sha256"] == meta["sha256"]
    np.testing.assert_allclose(loaded.predict_proba(images[:5]), clf.predict_proba(images[:5]), atol=1e-5)


def test_grad_cam_closed_form_matches_the_gradient():
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("checked with TensorFlow's gradient tape")
    from hogfer.deep.explain import grad_cam

    model = build_xception(block_filters=(8, 16), middle_blocks=0, augment=False, seed=0)
    face = np.random.default_rng(1).integers(0, 256, (48, 48)).astype("float32")
    heatmap, probs, c = grad_cam(model, face)
    assert heatmap.shape == (48, 48) and 0 <= heatmap.min() and heatmap.max() <= 1 and c == int(np.argmax(probs))
    probe = keras.Model(model.inputs, model.get_layer("exit_act").output)
    fmap = tf.constant(probe(face.reshape(1, 48, 48, 1)))
    dense = model.get_layer("predictions")
    with tf.GradientTape() as tape:
        tape.watch(fmap)
        logit = tf.matmul(tf.reduce_mean(fmap, axis=(1, 2)), dense.kernel)[0, c] + dense.bias[c]
    grads = tape.gradient(logit, fmap)[0].numpy()
    alpha = grads.mean(axis=(0, 1))
    cam = np.maximum((fmap[0].numpy() * alpha).sum(-1), 0)
    import cv2

    cam = np.clip(cv2.resize(cam.astype("float32"), (48, 48), interpolation=cv2.INTER_CUBIC), 0, None)
    np.testing.assert_allclose(heatmap, cam / cam.max() if cam.max() > 0 else cam, atol=1e-4)


def test_explain_cli(faces, tmp_path):
    from click.testing import CliRunner

    from hogfer.cli import cli
    from hogfer.store.files import save_model

    images, labels = faces
    clf = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params={"block_filters": (8, 16), "middle_blocks": 0})
    clf.fit(images[:64], labels[:64])
    emotions = ["Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"]
    save_model(clf, {"emotions": emotions, "classes": "fer7", "kind": "deep"}, tmp_path, "xception")
    import cv2

    cv2.imwrite(str(tmp_path / "face.png"), images[0])
    out = tmp_path / "heat.png"
    result = CliRunner().invoke(cli, ["explain", str(tmp_path / "face.png"), "--model", str(tmp_path / "xception.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"\x89PNG" and "face 1:" in result.output
    result = CliRunner().invoke(cli, ["explain", str(tmp_path / "face.png"), "--model", "lgbm-pixels"])
    assert result.exit_code == 1 and "deep models" in result.output


@pytest.fixture(scope="module", params=["xception", "hybrid"])
def tiny_network(request, faces):
    """A tiny xception or hybrid trained one epoch, pickled: each test unpickles its own copy."""
    images, labels = faces
    small = {"block_filters": (8, 16), "middle_blocks": 0}
    clf = KerasFERClassifier(request.param, epochs=1, batch_size=32, model_params=small).fit(images[:96], labels[:96])
    return request.param, pickle.dumps(clf)


def test_onnx_copy_predicts_like_keras_and_survives_the_store(faces, tiny_network, tmp_path):
    pytest.importorskip("tf2onnx")
    from hogfer.store.files import load_model, save_model

    images, _ = faces
    architecture, clf = tiny_network[0], pickle.loads(tiny_network[1])
    keras_proba = clf.set_params(engine="keras").predict_proba(images[100:140])
    assert clf.compile_onnx(images[:32]) is clf and clf.onnx_max_abs_diff_ <= 1e-4
    # the copy has no augmentation layers, which are inactive at inference anyway
    assert "augment" not in {layer.name for layer in clf.inference_network().layers}
    onnx_proba = clf.set_params(engine="onnx").predict_proba(images[100:140])
    np.testing.assert_allclose(onnx_proba, keras_proba, atol=1e-4)
    # one face at a time gives the same answer as a batch (TTA views stacked per call)
    np.testing.assert_allclose(clf.predict_proba(images[100:101]), onnx_proba[:1], atol=1e-5)
    save_model(clf, {"emotions": ["a"] * 7, "classes": "fer7"}, tmp_path, architecture)
    loaded, _ = load_model(tmp_path / f"{architecture}.json", allow_external=True)
    assert loaded.onnx_model_ == clf.onnx_model_ and loaded.engine == "onnx"
    np.testing.assert_allclose(loaded.predict_proba(images[100:140]), onnx_proba, atol=1e-6)


def test_int8_copy_is_calibrated_checked_and_chosen_by_auto(faces, tiny_network, tmp_path):
    pytest.importorskip("tf2onnx")
    from hogfer.store.files import load_model, save_model

    images, _ = faces
    architecture, clf = tiny_network[0], pickle.loads(tiny_network[1])
    keras_proba = clf.set_params(engine="keras").predict_proba(images[100:140])
    # a check it cannot pass leaves the model as it was
    with pytest.raises(RuntimeError, match="8-bit copy predicts"):
        clf.compile_onnx(images[:32], X_calibration=images[140:200], min_agreement=1.01)
    assert clf.onnx_model_ is None and clf.onnx_int8_model_ is None
    # hogfer train and hogfer onnx then keep the float copy alone, unless told to keep no float copy
    from hogfer.training.deep import attach_onnx as _attach_onnx

    strict = functools.partialmethod(KerasFERClassifier.compile_onnx, min_agreement=1.01)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KerasFERClassifier, "compile_onnx", strict)
        info = _attach_onnx(clf, images[:32], images[140:200])
        assert info["exported"] and info["int8"]["made"] is False and "8-bit copy predicts" in info["int8"]["reason"]
        assert clf.onnx_model_ is not None and clf.onnx_int8_model_ is None
        assert not _attach_onnx(clf, images[:32], images[140:200], keep_float=False)["exported"]
    clf.compile_onnx(images[:32], X_calibration=images[140:200], min_agreement=0.0)
    assert 0 < len(clf.onnx_int8_model_) < len(clf.onnx_model_) and 0.0 <= clf.onnx_int8_agreement_ <= 1.0
    # 7-bit weights, so no CPU's 16-bit pair sums can saturate: 255 * 64 * 2 < 2**15
    assert clf.onnx_int8_reduce_range_ is True and _largest_int8_weight(clf.onnx_int8_model_) <= 64
    assert clf.set_params(engine="auto").engine_used_ == "onnx-int8"
    int8_proba = clf.predict_proba(images[100:140])
    assert not np.allclose(int8_proba, keras_proba, atol=1e-6)  # it is another network ...
    np.testing.assert_allclose(int8_proba, keras_proba, atol=0.1)  # ... close to the float one
    assert clf.set_params(engine="onnx").engine_used_ == "onnx"
    np.testing.assert_allclose(clf.predict_proba(images[100:140]), keras_proba, atol=1e-4)
    # the 8-bit copy alone: smaller, and engine="onnx" then has nothing to run
    clf.compile_onnx(images[:32], X_calibration=images[140:200], keep_float=False, min_agreement=0.0)
    assert clf.onnx_model_ is None
    with pytest.raises(RuntimeError, match="engine='onnx'"):
        clf.predict(images[:2])
    save_model(clf.set_params(engine="auto"), {"emotions": ["a"] * 7, "classes": "fer7"}, tmp_path, architecture)
    loaded, _ = load_model(tmp_path / f"{architecture}.json", allow_external=True)
    assert loaded.onnx_int8_model_ == clf.onnx_int8_model_ and loaded.engine_used_ == "onnx-int8"
    np.testing.assert_allclose(loaded.predict_proba(images[100:140]), int8_proba, atol=1e-6)
    with pytest.raises(ValueError, match="keep_float=False needs X_calibration"):
        clf.compile_onnx(images[:32], keep_float=False)


def _largest_int8_weight(onnx_bytes):
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(onnx_bytes)
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert weights, "no 8-bit weights in the copy"
    return max(int(np.abs(w.astype(int)).max()) for w in weights)


def _int8_weight_tensors(onnx_bytes):
    import onnx

    model = onnx.load_from_string(onnx_bytes)
    return sum(t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 4 for t in model.graph.initializer)


def test_full_range_int8_copies_run_only_where_the_cpu_computes_them_exactly(faces, tiny_network, monkeypatch, caplog):
    pytest.importorskip("tf2onnx")
    import hogfer.deep.onnx as onnx_module

    images, _ = faces
    clf = pickle.loads(tiny_network[1])
    made = []
    quantize = onnx_module.quantize_onnx

    def recording_quantize(*args, reduce_range=True, float_stem=False, **kwargs):
        made.append((reduce_range, float_stem))
        copy = quantize(*args, reduce_range=reduce_range, float_stem=float_stem, **kwargs)
        copies[float_stem] = copy
        return copy

    copies = {}
    monkeypatch.setattr(onnx_module, "quantize_onnx", recording_quantize)
    # a 7-bit copy that fails its check is retried with 8-bit weights only where the CPU computes them
    # exactly, then with 7-bit weights and the first convolution in float
    for exact, tries in ((False, [(True, False), (True, True)]), (True, [(True, False), (False, False), (True, True)])):
        monkeypatch.setattr(onnx_module, "int8_full_range_exact", lambda exact=exact: exact)
        made.clear()
        with pytest.raises(onnx_module.QuantizationError):
            clf.compile_onnx(images[:32], X_calibration=images[140:200], min_agreement=1.01)
        assert made == tries
    # the float first convolution keeps its float weights: one fewer 8-bit weight tensor
    assert _int8_weight_tensors(copies[True]) == _int8_weight_tensors(copies[False]) - 1
    clf.compile_onnx(images[:32], X_calibration=images[140:200], min_agreement=0.0)
    assert made[-1] == (True, False) and clf.onnx_int8_reduce_range_ is True and clf.engine_used_ == "onnx-int8"
    assert clf.onnx_int8_float_stem_ is False
    # a full-range copy (or one saved before the choice was recorded) on a CPU that saturates: the float copy
    clf.onnx_int8_reduce_range_ = None
    monkeypatch.setattr(onnx_module, "int8_full_range_exact", lambda: False)
    with caplog.at_level("INFO", logger="hogfer.deep.engines"):
        assert clf.set_params(engine="auto").engine_used_ == "onnx"
        assert clf.engine_used_ == "onnx"
    notices = [r for r in caplog.records if "saturate" in r.getMessage()]
    assert len(notices) == 1 and notices[0].levelname == "INFO"  # once per model and engine
    assert "its float ONNX copy" in notices[0].getMessage()  # naming what runs
    caplog.clear()
    with caplog.at_level("WARNING", logger="hogfer.deep.engines"):
        assert clf.set_params(engine="onnx-int8").engine_used_ == "onnx-int8"  # asked for: it runs, with a warning
    assert any("engine='auto' avoids it" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    clf.onnx_model_ = None
    clf.__dict__.pop("_onnx_session")
    assert clf.set_params(engine="auto").engine_used_ == "keras"
    monkeypatch.setattr(onnx_module, "int8_full_range_exact", lambda: True)
    assert clf.engine_used_ == "onnx-int8"


def test_int8_full_range_exact_reads_the_cpu(monkeypatch):
    import hogfer._env
    from hogfer.deep.onnx import int8_full_range_exact

    cases = [("aarch64", None, True), ("x86_64", ["avx2"], False), ("x86_64", ["avx2", "avx512f"], False),
             ("x86_64", ["avx2", "avx_vnni"], True), ("AMD64", None, False), ("x86_64", ["avx512f", "avx512_vnni"], True)]
    for machine, flags, expected in cases:
        monkeypatch.setattr("platform.machine", lambda machine=machine: machine)
        monkeypatch.setattr(hogfer._env, "_cpu_flags", lambda flags=flags: flags)
        int8_full_range_exact.cache_clear()
        assert int8_full_range_exact() is expected, (machine, flags)
    int8_full_range_exact.cache_clear()


def test_models_saved_before_the_newer_parameters_still_load(tiny_network):
    from sklearn.base import clone

    state = pickle.loads(tiny_network[1]).__getstate__()
    for parameter in ("init_from", "lr_schedule", "engine", "distill_from", "distill_weight"):
        del state[parameter]
    old = KerasFERClassifier.__new__(KerasFERClassifier)
    old.__setstate__(state)
    params = old.get_params()
    assert params["init_from"] is None and params["lr_schedule"] == "plateau" and params["engine"] == "auto"
    assert params["distill_from"] is None and params["distill_weight"] == 0.5
    assert clone(old).get_params() == params


def test_engine_errors(faces):
    images, labels = faces
    clf = KerasFERClassifier("simple-cnn", epochs=1, batch_size=32, tta=False).fit(images[:64], labels[:64])
    with pytest.raises(RuntimeError, match="compile_onnx"):
        clf.set_params(engine="onnx").predict(images[:2])
    with pytest.raises(ValueError, match="engine must be"):
        clf.set_params(engine="tensorrt").predict(images[:2])
    # auto falls back to Keras when the model has no ONNX copy
    assert clf.set_params(engine="auto").predict(images[:2]).shape == (2,)


def test_tta_options_average_their_views(faces):
    images, labels = faces
    clf = KerasFERClassifier("simple-cnn", epochs=1, batch_size=32, tta=False).fit(images[:64], labels[:64])
    images = images[100:110]
    plain = clf.set_params(tta=False).predict_proba(images)
    mirrored = clf.predict_proba(images[:, :, ::-1])
    np.testing.assert_allclose(clf.set_params(tta="flip").predict_proba(images), (plain + mirrored) / 2, atol=1e-5)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)), mode="edge")
    shifted = [clf.set_params(tta=False).predict_proba(v) for v in (padded[:, :48, :48], padded[:, 4:, 4:])]
    four = clf.set_params(tta="shifts").predict_proba(images)
    np.testing.assert_allclose(four, (plain + mirrored + shifted[0] + shifted[1]) / 4, atol=1e-5)
    # zoom and rotations: OpenCV's warp of each face, the face and its mirror image each
    import cv2

    def warped(angle, scale):
        m = cv2.getRotationMatrix2D((23.5, 23.5), angle, scale)
        return np.stack([cv2.warpAffine(f.astype(np.float32), m, (48, 48), borderMode=cv2.BORDER_REPLICATE) for f in images])

    def both(v):
        return clf.set_params(tta=False).predict_proba(v) + clf.predict_proba(v[:, :, ::-1])

    zoomed, turned = both(warped(0, 1.1)), both(warped(5, 1.0)) + both(warped(-5, 1.0))
    np.testing.assert_allclose(clf.set_params(tta="zoom").predict_proba(images), (plain + mirrored + zoomed) / 4, atol=1e-4)
    eight = (plain + mirrored + zoomed + turned) / 8
    np.testing.assert_allclose(clf.set_params(tta="affine").predict_proba(images), eight, atol=1e-4)
    np.testing.assert_allclose(clf.set_params(tta=True).predict_proba(images), eight, atol=1e-4)
    # one face at a time: the same views
    np.testing.assert_allclose(clf.predict_proba(images[3:4]), eight[3:4], atol=1e-4)
    with pytest.raises(ValueError, match="tta must be"):
        clf.set_params(tta="crops").predict(images)


def test_onnx_cli(fer_path, faces, tmp_path):
    pytest.importorskip("tf2onnx")
    import json

    from click.testing import CliRunner

    from hogfer.cli import cli
    from hogfer.store.files import save_model

    images, labels = faces
    clf = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params={"block_filters": (8,), "middle_blocks": 0})
    clf.fit(images[:64], labels[:64])
    save_model(clf, {"emotions": ["a"] * 7, "classes": "fer7", "kind": "deep", "pipeline": "xception"}, tmp_path, "xception")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["onnx", str(tmp_path / "xception.json"), "--data", str(fer_path), "--out", str(out), "--no-int8"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "xception.json").read_text())
    assert meta["onnx"]["exported"] and meta["onnx"]["max_abs_diff_vs_keras"] <= 1e-4 and meta["pipeline"] == "xception"
    assert "int8" not in meta["onnx"] and "8-bit" not in result.output
    result = CliRunner().invoke(cli, ["onnx", str(tmp_path / "xception.json"), "--data", str(fer_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "xception.json").read_text())["onnx"]
    assert meta["int8"]["n_calibration_faces"] > 0 and meta["int8"]["class_agreement_vs_keras"] >= 0.97
    assert "8-bit copy" in result.output and meta["size_bytes"] > meta["int8"]["size_bytes"]
    result = CliRunner().invoke(cli, ["onnx", "xception", "--data", str(fer_path), "--out", str(out), "--no-int8", "--no-float"])
    assert result.exit_code == 1 and "nothing to export" in result.output
    result = CliRunner().invoke(cli, ["onnx", "lgbm-pixels", "--data", str(fer_path), "--out", str(out)])
    assert result.exit_code == 1 and "deep models" in result.output and "Traceback" not in result.output


def test_onnx_cli_rescores_with_the_new_engine(small_csv, faces, tmp_path):
    pytest.importorskip("tf2onnx")
    import json

    from click.testing import CliRunner

    from hogfer.cli import cli
    from hogfer.data.fer2013 import load_fer2013
    from hogfer.store.files import save_model

    images, labels = faces
    clf = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, model_params={"block_filters": (8,), "middle_blocks": 0})
    clf.fit(images[:64], labels[:64])
    keras_scores = {"validation": {"accuracy": 0.5}, "test": {"accuracy": 0.5, "n": 1}}
    meta = {"emotions": ["a"] * 7, "classes": "fer7", "kind": "deep", "metrics": keras_scores,
            "test_predict_seconds": 99.0, "data_sha256": load_fer2013(small_csv).sha256}
    save_model(clf, meta, tmp_path, "xception")
    result = CliRunner().invoke(cli, ["onnx", str(tmp_path / "xception.json"), "--data", str(small_csv), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "o" / "xception.json").read_text())
    assert meta["predict_engine"] == "onnx-int8" and meta["metrics_before_onnx"]["metrics"] == keras_scores
    assert meta["metrics_before_onnx"]["predict_engine"] == "keras" and meta["test_predict_seconds"] != 99.0
    # scored again on the small file's PublicTest and PrivateTest (12 faces per class each)
    assert meta["metrics"]["test"]["n"] == 84 and meta["metrics"]["validation"]["n"] == 84


def test_rescore_cli_measures_the_model_as_it_predicts_now(small_csv, faces, tmp_path):
    import json

    from click.testing import CliRunner

    from hogfer.cli import cli
    from hogfer.data.fer2013 import load_fer2013
    from hogfer.store.files import load_model, save_model

    images, labels = faces
    clf = KerasFERClassifier("simple-cnn", epochs=1, batch_size=32, tta="flip").fit(images[:64], labels[:64])
    old_scores = {"validation": {"accuracy": 0.5}, "test": {"accuracy": 0.25, "n": 1}}
    data = load_fer2013(small_csv)
    meta = {"emotions": list(data.emotions), "classes": "fer7", "kind": "deep", "metrics": old_scores,
            "test_predict_seconds": 99.0, "predict_tta": "shifts, 4 views", "data_sha256": data.sha256}
    written = save_model(clf, meta, tmp_path, "simple-cnn")
    model_bytes = (tmp_path / "simple-cnn.skops").read_bytes()
    result = CliRunner().invoke(cli, ["rescore", str(tmp_path / "simple-cnn.json"), "--data", str(small_csv)])
    assert result.exit_code == 0, result.output
    assert "TTA flip, 2 views" in result.output and "(was 50.00%)" in result.output and "(was 25.00%)" in result.output
    meta = json.loads((tmp_path / "simple-cnn.json").read_text())
    # scored on the small file's PublicTest and PrivateTest, with the model's own TTA; the old scores kept
    val = data.select("PublicTest")
    assert meta["metrics"]["validation"]["accuracy"] == pytest.approx(float(np.mean(clf.predict(val.images) == val.labels)))
    assert meta["metrics"]["test"]["n"] == 84 and meta["predict_tta"] == "flip, 2 views"
    assert meta["metrics_before_rescore"][-1]["metrics"] == old_scores
    assert meta["metrics_before_rescore"][-1]["predict_tta"] == "shifts, 4 views"
    # the model file and its hash are untouched, so it still loads
    assert (tmp_path / "simple-cnn.skops").read_bytes() == model_bytes and meta["sha256"] == written["sha256"]
    load_model(tmp_path / "simple-cnn.json", allow_external=True)
    # another data file: refused in one line
    other = tmp_path / "other.csv"
    other.write_text(Path(small_csv).read_text() + "0," + " ".join(["0"] * 2304) + ",Training\n")  # one face more
    result = CliRunner().invoke(cli, ["rescore", str(tmp_path / "simple-cnn.json"), "--data", str(other)])
    assert result.exit_code != 0 and "another data file" in result.output and "Traceback" not in result.output


def test_autoencoder_features_contract(faces):
    import pickle

    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    from hogfer import AutoencoderFeatures

    images, _ = faces
    transformer = AutoencoderFeatures(code_size=16, epochs=2, batch_size=32)
    assert clone(transformer).get_params() == transformer.get_params()
    with pytest.raises(NotFittedError):
        transformer.transform(images[:2])
    codes = transformer.fit(images[:100]).transform(images[100:120])
    assert codes.shape == (20, 16) and codes.dtype == np.float32 and np.isfinite(codes).all()
    assert transformer.reconstruction_error_ < 0.2 and list(transformer.get_feature_names_out()[:2]) == ["code_0", "code_1"]
    np.testing.assert_allclose(pickle.loads(pickle.dumps(transformer)).transform(images[100:120]), codes, atol=1e-5)
    # same seed, same codes
    again = AutoencoderFeatures(code_size=16, epochs=2, batch_size=32).fit(images[:100]).transform(images[100:120])
    np.testing.assert_allclose(again, codes, atol=1e-4)
    with pytest.raises(ValueError, match="multiples of 8"):
        AutoencoderFeatures().fit(np.zeros((4, 20, 20), np.uint8))
    with pytest.raises(ValueError, match="48x48|size"):
        transformer.transform(np.zeros((2, 32, 32), np.uint8))


def test_bench_inference_script(small_csv, faces, tmp_path, monkeypatch):
    pytest.importorskip("tf2onnx")
    import importlib.util
    import json
    from pathlib import Path

    from hogfer.store.files import save_model

    images, labels = faces
    clf = KerasFERClassifier("xception", epochs=1, batch_size=32, model_params={"block_filters": (8,), "middle_blocks": 0})
    clf.fit(images[:64], labels[:64]).compile_onnx(images[:16], X_calibration=images[16:64], min_agreement=0.0)
    models = tmp_path / "models"
    save_model(clf, {"emotions": ["a"] * 7, "classes": "fer7", "kind": "deep"}, models, "xception")
    monkeypatch.setenv("HOGFER_MODELS", str(models))
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_inference.py"
    spec = importlib.util.spec_from_file_location("bench_inference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--models", "xception", "--data", str(small_csv), "--calls", "3", "--out", str(tmp_path)])
    runs = json.loads((tmp_path / "inference.json").read_text())["runs"]
    pairs = {(e, t) for e in ("keras", "onnx", "onnx-int8") for t in (False, True)} | {("onnx-int8", t) for t in ("flip", "shifts", "zoom")}
    assert {(r["engine"], r["tta"]) for r in runs} == pairs
    # every TTA set runs on the engine "auto" picks: here the 8-bit copy (7-bit weights run everywhere)
    assert {r["engine"] for r in runs if r["auto"]} == {"onnx-int8"} and "onnx-int8 (auto)" in (tmp_path / "inference.md").read_text()
    assert all(r["latency_ms_median"] > 0 and r["throughput_faces_per_s"] > 0 and 0 <= r["validation_accuracy"] <= 1 for r in runs)
    # the engines agree, so their accuracies do too
    acc = {(r["engine"], r["tta"]): r["validation_accuracy"] for r in runs}
    assert acc[("keras", True)] == acc[("onnx", True)] and acc[("keras", False)] == acc[("onnx", False)]
    assert "ms/face median" in (tmp_path / "inference.md").read_text()
    # the cost table: the network's MACs as counted, and a ceiling from the measured rate
    payload = json.loads((tmp_path / "inference.json").read_text())
    assert payload["network_macs"] == {"xception": count_macs(clf.model_)} and payload["matmul_macs_per_s"] > 0
    (row,) = module.cost_rows(payload["network_macs"], runs, payload["matmul_macs_per_s"])
    best_float = max(r["throughput_faces_per_s"] for r in runs if r["engine"] in ("keras", "onnx") and r["tta"] is False)
    assert row[0] == "xception" and row[3] == f"{best_float:,.0f}"
    assert row[2] == f"{payload['matmul_macs_per_s'] / payload['network_macs']['xception']:,.0f}"
    assert "float ceiling faces/s" in (tmp_path / "inference.md").read_text()


def test_wider_cnn_is_the_network_its_docstring_tabulates():
    model = build_wider_cnn(augment=False)
    assert model.count_params() == 832 + 51_264 + 102_464 + 295_040 + 903
    assert model.get_layer("pool3").output.shape[1:] == (6, 6, 64)
    assert 46e6 < count_macs(model) < 47e6


def test_training_precision_follows_the_cpu_flags(monkeypatch):
    from hogfer.deep import precision

    assert precision.training_policy("auto", flags={"avx2", "avx512f"}) == "float32"  # no native bf16
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert precision.training_policy("auto", flags={"avx512f", "avx512_bf16"}) == "mixed_bfloat16"
    assert precision.training_policy("auto", flags={"amx_bf16"}) == "mixed_bfloat16"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # TensorFlow's bf16 kernels without oneDNN are emulated
    assert precision.training_policy("auto", flags={"avx512_bf16"}) == "float32"
    assert precision.training_policy("float32", flags={"avx512_bf16"}) == "float32"
    assert precision.training_policy("mixed_bfloat16", flags=set()) == "mixed_bfloat16"
    with pytest.raises(ValueError, match="precision must be one of"):
        precision.training_policy("float16")
    monkeypatch.setattr(precision, "_cpu_flag_set", lambda: {"avx2"})
    assert precision.training_policy() == "float32"


def test_bf16_training_keeps_float32_where_it_matters_and_predicts_like_float32(tmp_path):
    # mixed bfloat16: convolutions in bf16, input scaling, augmentation and softmax in float32,
    # float32 weights; the fitted model_ is its float32 copy, which agrees with it
    import keras

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (160, 48, 48)).astype("uint8"), np.arange(160) % 7
    clf = KerasFERClassifier("wider-cnn", epochs=1, batch_size=32, precision="mixed_bfloat16", tta=False, checkpoint_dir=str(tmp_path)).fit(X, y)
    assert clf.precision_ == "mixed_bfloat16"
    trained = keras.models.load_model(tmp_path / "last.keras", compile=False)  # the network as it trained
    assert trained.get_layer("conv1").compute_dtype == "bfloat16"
    assert trained.get_layer("conv1").variable_dtype == "float32"
    for name in ("rescale", "predictions"):
        assert trained.get_layer(name).compute_dtype == "float32"
    assert {layer.compute_dtype for layer in clf.model_.layers} == {"float32"}
    faces = X[:64, ..., None].astype("float32")
    bf16 = np.asarray(trained(faces, training=False))
    fp32 = np.asarray(clf.model_(faces, training=False))
    assert bf16.dtype == np.float32
    np.testing.assert_allclose(bf16, fp32, atol=0.02)  # bfloat16 keeps 8 bits of mantissa
    assert np.mean(bf16.argmax(1) == fp32.argmax(1)) >= 0.9
    assert KerasFERClassifier("wider-cnn", epochs=1, precision="float32", tta=False).fit(X, y).precision_ == "float32"


def test_cosine_warm_up():
    from hogfer.deep.schedules import cosine_learning_rate

    rates = [cosine_learning_rate(e, 10, 1e-3, warmup_epochs=2) for e in range(10)]
    assert rates[:3] == pytest.approx([1e-3 / 3, 2e-3 / 3, 1e-3])
    assert all(a > b for a, b in zip(rates[2:], rates[3:]))
    with pytest.raises(ValueError, match="warmup_epochs"):
        KerasFERClassifier("wider-cnn", epochs=3, warmup_epochs=3).fit(np.zeros((14, 48, 48)), np.arange(14) % 7)


def test_odd_training_sets_train_on_several_threads_and_odd_batches_are_refused(faces):
    # TensorFlow's oneDNN kernels for separable convolutions with batch normalization
    # aborted the process on an odd-sized training batch with two threads.
    images, labels = faces
    small = {"block_filters": (8, 16), "middle_blocks": 0}
    clf = KerasFERClassifier("xception", epochs=1, batch_size=32, tta=False, n_jobs=2, model_params=small)
    clf.fit(images[:57], labels[:57], X_val=images[57:64], y_val=labels[57:64])
    assert clf.predict(images[:3]).shape == (3,)
    with pytest.raises(ValueError, match="batch_size must be an even integer"):
        KerasFERClassifier("simple-cnn", epochs=1, batch_size=33).fit(images[:64], labels[:64])


def test_keras_weights_stored_in_half_precision_halve_the_file_and_still_predict(tiny_network):
    _, blob = tiny_network
    clf = pickle.loads(blob)
    faces = np.random.default_rng(1).integers(0, 256, (8, 48, 48)).astype("uint8")
    full = clf.set_params(engine="keras").predict_proba(faces)
    clf.keras_weights_dtype_ = "float16"
    halved_blob = pickle.dumps(clf)
    assert len(halved_blob) < 0.7 * len(pickle.dumps(pickle.loads(blob)))
    halved = pickle.loads(halved_blob)
    assert {w.dtype for w in halved.model_.get_weights()} == {np.dtype("float32")}
    np.testing.assert_allclose(halved.predict_proba(faces), full, atol=5e-3)
