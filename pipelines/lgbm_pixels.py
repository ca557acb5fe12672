"""lgbm-pixels: LightGBM on the raw 48x48 image.

The image, averaged over 2x2 blocks to 24x24 = 576 grey levels (scaled to
0..1), goes straight into gradient-boosted trees: a baseline of what trees
make of pixels without any feature. (Block averaging makes training four
times faster than the 2,304 raw pixels for about the same validation accuracy
of trees, which split on single pixels either way.)
"""

from lightgbm import LGBMClassifier
from sklearn.pipeline import Pipeline

from hogfer import PixelFeatures

NAME = "lgbm-pixels"
DESCRIPTION = "pixels (24x24 block means) -> LightGBM"
PARAM_GRID = [{"lgbm__num_leaves": [31]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            ("pixels", PixelFeatures(pool=2)),
            (
                "lgbm",
                LGBMClassifier(
                    n_estimators=300,
                    max_bin=63,
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
