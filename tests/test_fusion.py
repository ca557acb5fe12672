"""Late fusion: a logistic regression on trained members' class scores, members checked by hash."""

import types

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

from hogfer.cli import cli
from hogfer.data.fer2013 import load_fer2013
from hogfer.exceptions import HogferError
from hogfer.fusion import LateFusion, member_scores
from hogfer.paths import cache_dir
from hogfer.store.files import load_model, save_model
from hogfer.training.fusion import train_fusion


def test_member_scores_are_log_probabilities_or_decision_values():
    X = np.random.default_rng(0).normal(size=(60, 4))
    y = np.arange(60) % 3
    proba_model = LogisticRegression().fit(X, y)
    scores = member_scores(proba_model, X)
    np.testing.assert_allclose(np.exp(scores).sum(axis=1), 1.0, atol=1e-5)
    from sklearn.svm import LinearSVC

    svm = LinearSVC().fit(X, y)
    np.testing.assert_array_equal(member_scores(svm, X), svm.decision_function(X))


@pytest.fixture(scope="module")
def small_members(small_csv):
    """svm-hog and lgbm-pixels trained on the small subset into the (test) user cache."""
    for name in ("svm-hog", "lgbm-pixels"):
        result = CliRunner().invoke(cli, ["train", name, "--data", str(small_csv), "--quiet"])
        assert result.exit_code == 0, result.output
    return load_fer2013(small_csv)


def _spec(members):
    return types.SimpleNamespace(NAME="fusion", DESCRIPTION="test fusion", C_GRID=(0.1, 1.0),
                                 build=lambda random_state=0, C=1.0: LateFusion(members, C=C))


def test_fusion_trains_on_validation_scores_and_refuses_changed_members(small_members, tmp_path):
    data = small_members
    model, meta = train_fusion("fusion", _spec(("svm-hog", "lgbm-pixels")), data)
    assert meta["kind"] == "fusion" and set(meta["members"]) == {"svm-hog", "lgbm-pixels"}
    assert meta["chosen_params"]["C"] in (0.1, 1.0) and len(meta["search"]) == 2
    assert meta["metrics"]["validation"]["n"] == len(data.select("PublicTest"))
    test = data.select("PrivateTest")
    proba = model.predict_proba(test.images)
    assert proba.shape == (len(test), 7) and np.allclose(proba.sum(axis=1), 1.0)
    assert meta["metrics"]["test"]["accuracy"] == pytest.approx(np.mean(model.predict(test.images) == test.labels))
    card = save_model(model, meta, tmp_path, "fusion")
    reloaded, _ = load_model(tmp_path / "fusion.json", allow_external=True)
    assert not reloaded.__dict__.get("_models")  # members are not inside the fusion's file
    np.testing.assert_allclose(reloaded.predict_proba(test.images), proba)
    assert card["size_bytes"] < 100_000
    from hogfer.bench.run import train_seconds

    members_seconds = sum(load_model(name)[1]["train_seconds"] for name in ("svm-hog", "lgbm-pixels"))
    assert train_seconds(card) == pytest.approx(card["fusion_seconds"] + members_seconds)
    # a member trained again is another model: one line naming it
    result = CliRunner().invoke(cli, ["train", "lgbm-pixels", "--data", str(data.source), "--seed", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    reloaded, _ = load_model(tmp_path / "fusion.json", allow_external=True)
    with pytest.raises(HogferError, match="member 'lgbm-pixels' is not the model the fusion was trained with"):
        reloaded.predict(test.images)
    (cache_dir("models") / "svm-hog.json").unlink()
    reloaded, _ = load_model(tmp_path / "fusion.json", allow_external=True)
    with pytest.raises(HogferError, match="svm-hog"):
        reloaded.predict(test.images)


def test_fusion_of_a_missing_member_is_one_line(small_members):
    with pytest.raises(HogferError, match="member 'svm-nope'"):
        train_fusion("fusion", _spec(("svm-nope",)), small_members)
