"""The scikit-learn contract on real 48x48 faces, where the generic checks cannot feed images.

The faces are drawn from scikit-image's astronaut (``drawn_faces``), so these
tests run without FER2013.

Covers what tests/test_common.py lists in expected_failed_checks.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hogfer import BagOfVisualWords, HOGFeatures, LandmarkFeatures, PixelFeatures, SlidingWindowHOG

TRANSFORMERS = [
    HOGFeatures(),
    HOGFeatures(orientations=8, pixels_per_cell=(6, 6), cells_per_block=(2, 2), block_norm="L1"),
    SlidingWindowHOG(),
    LandmarkFeatures(),
    PixelFeatures(pool=2),
    BagOfVisualWords(n_words=16, pyramid=(1, 2)),
]
IDS = [repr(t) for t in TRANSFORMERS]


@pytest.fixture(scope="module")
def X(drawn_faces):
    return drawn_faces


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_params_stored_untouched_and_cloneable(est):
    params = est.get_params()
    twin = clone(est)
    assert twin.get_params() == params
    twin.set_params(**params)
    assert type(twin)(**params).get_params() == params


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_fit_returns_self_and_does_not_change_params(est, X):
    est = clone(est)
    before = est.get_params()
    assert est.fit(X) is est
    assert est.get_params() == before
    assert est.n_features_in_ == 2304 and est.image_shape_ == (48, 48)


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_not_fitted_error(est, X):
    with pytest.raises(NotFittedError):
        clone(est).transform(X)


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_transform_contract(est, X):
    est = clone(est).fit(X)
    out = est.transform(X)
    names = est.get_feature_names_out()
    assert out.ndim == 2 and out.shape == (len(X), len(names)) and out.dtype.kind == "f"
    assert len(set(names)) == len(names) and np.isfinite(out).all()
    state = dict(est.__dict__)
    # flat rows, 3-D stacks, lists, read-only and Fortran-ordered arrays agree
    np.testing.assert_allclose(est.transform(X.reshape(len(X), -1)), out)
    np.testing.assert_allclose(est.transform(X.tolist()), out)
    readonly = X.copy()
    readonly.setflags(write=False)
    np.testing.assert_allclose(est.transform(readonly), out)
    np.testing.assert_allclose(est.transform(np.asfortranarray(X)), out)
    assert est.__dict__.keys() == state.keys()  # transform does not change the fitted state
    # sample order and subset invariance, one-sample input
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(est.transform(X[order]), out[order])
    np.testing.assert_allclose(est.transform(X[5:9]), out[5:9])
    np.testing.assert_allclose(est.transform(X[:1]), out[:1])
    # fitting again gives the same transform (idempotence); a transformer that learns nothing
    # but the image size gives it whatever it was fitted on
    learned = [k for k in state if k.endswith("_") and k not in ("image_shape_", "n_features_in_")]
    np.testing.assert_allclose(clone(est).fit(X if learned else X[:3]).transform(X), out)


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_pickle_round_trip(est, X):
    est = clone(est).fit(X)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(again.transform(X), est.transform(X))


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_float_inputs_match_uint8(est, X):
    est = clone(est).fit(X)
    np.testing.assert_allclose(est.transform(X.astype(np.float64)), est.transform(X), atol=1e-6)
    np.testing.assert_allclose(est.transform(X.astype(object)), est.transform(X), atol=1e-6)


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_pandas_output_and_pipeline(est, X):
    pd = pytest.importorskip("pandas")
    est = clone(est).set_output(transform="pandas").fit(X)
    frame = est.transform(X)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(est.get_feature_names_out())
    pipe = make_pipeline(clone(est), StandardScaler()).fit(X)
    assert pipe.transform(X).shape == frame.shape


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((0, 48, 48)), "0 sample"),
        (np.zeros((3, 2300)), "2300 features per row"),
        (np.zeros((3, 48, 48, 3)), "got shape"),
        (np.full((3, 48, 48), np.nan), "NaN"),
        (np.full((3, 48, 48), np.inf), "infinity"),
        (np.array([["a"] * 2304]), "could not convert|numbers|numeric"),
    ],
)
def test_bad_input_gets_clear_value_error(est, bad, message):
    with pytest.raises(ValueError, match=message):
        clone(est).fit(bad)


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
def test_transform_checks_image_size(est, X):
    est = clone(est).fit(X)
    with pytest.raises(ValueError, match="expecting 2304 features"):
        est.transform(np.zeros((2, 2500)))
    with pytest.raises(ValueError, match="fitted on 48x48"):
        est.transform(np.zeros((2, 50, 48)))


def test_invalid_parameters_are_reported_at_fit(X):
    with pytest.raises(ValueError, match="block_norm"):
        HOGFeatures(block_norm="L3").fit(X)
    with pytest.raises(ValueError, match="too small"):
        HOGFeatures(pixels_per_cell=(20, 20)).fit(X)
    with pytest.raises(ValueError, match="window_size"):
        SlidingWindowHOG(window_size=(60, 60)).fit(X)
    with pytest.raises(ValueError, match="orientations"):
        SlidingWindowHOG(orientations=0).fit(X)
