"""Settings shared by the named pipelines."""

from lightgbm import LGBMClassifier


def lgbm(*, n_jobs=None, random_state=0, **params):
    """hogfer's LightGBM classifier: 300 rounds of 31-leaf trees on 63-bin histograms,
    30% of the features and 80% of the rows per tree, deterministic for a given seed."""
    settings = {
        "n_estimators": 300,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "max_bin": 63,
        "colsample_bytree": 0.3,
        "subsample": 0.8,
        "subsample_freq": 1,
        "min_child_samples": 20,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
        **params,
    }
    return LGBMClassifier(n_jobs=n_jobs if n_jobs else 1, random_state=random_state, **settings)
