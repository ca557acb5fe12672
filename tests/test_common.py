"""scikit-learn's estimator checks over every estimator hogfer exports."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from hogfer import HOGFeatures, LandmarkFeatures, PixelFeatures, SlidingWindowHOG

ESTIMATORS = [
    HOGFeatures(pixels_per_cell=(2, 2), cells_per_block=(1, 1)),
    SlidingWindowHOG(window_size=(2, 2), window_step=(1, 1), pixels_per_cell=(1, 1), cells_per_block=(1, 1)),
    LandmarkFeatures(upscale=16),
    PixelFeatures(),
]


# These checks fit on rows of 1 to 20 random features (or one sample of them).
# Such rows are no square grey image, so hogfer's transformers reject them with
# a ValueError, by design. tests/test_contract.py covers the same ground
# (pickling, cloning, idempotence, dtypes, NaN, order and subset invariance, ...)
# on real 48x48 faces.
_NOT_AN_IMAGE = "fits on rows of 1-20 features, which are no square image; covered in tests/test_contract.py"
_ROW_CHECKS = [
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
]


def expected_failed_checks(estimator):
    failed = dict.fromkeys(_ROW_CHECKS, _NOT_AN_IMAGE)
    if isinstance(estimator, (HOGFeatures, SlidingWindowHOG)):
        failed["check_fit2d_1feature"] = "a 1x1 image is smaller than one HOG cell; the error says so"
    return failed


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
