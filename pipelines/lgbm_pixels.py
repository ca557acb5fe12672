"""lgbm-pixels: LightGBM on the raw 48x48 image.

The 2,304 grey levels (scaled to 0..1) go straight into gradient-boosted
trees: a baseline of what trees make of pixels without any feature.
"""

from lightgbm import LGBMClassifier
from sklearn.pipeline import Pipeline

from hogfer import PixelFeatures

NAME = "lgbm-pixels"
DESCRIPTION = "raw pixels (2304) -> LightGBM"
PARAM_GRID = [{"lgbm__num_leaves": [31, 63]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            ("pixels", PixelFeatures()),
            (
                "lgbm",
                LGBMClassifier(
                    n_estimators=300,
                    learning_rate=0.1,
                    num_leaves=31,
                    colsample_bytree=0.3,
                    subsample=0.8,
                    subsample_freq=1,
                    min_child_samples=20,
                    n_jobs=n_jobs if n_jobs else 1,
                    random_state=random_state,
                    deterministic=True,
                    force_row_wise=True,
                    verbose=-1,
                ),
            ),
        ]
    )
