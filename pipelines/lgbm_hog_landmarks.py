"""lgbm-hog-landmarks: LightGBM on HOG and landmark geometry.

HOG of the face (9 bins, 8x8 cells, 3x3 blocks: 1,296 features) beside the
371 landmark-geometry features, into gradient-boosted trees.
"""

from lightgbm import LGBMClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from hogfer import HOGFeatures, LandmarkFeatures

NAME = "lgbm-hog-landmarks"
DESCRIPTION = "HOG (1296) + landmark geometry (371) -> LightGBM"
PARAM_GRID = [{"lgbm__num_leaves": [31]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            (
                "features",
                FeatureUnion([("hog", HOGFeatures(n_jobs=n_jobs)), ("landmarks", LandmarkFeatures(n_jobs=n_jobs))]),
            ),
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
                    n_jobs=n_jobs if n_jobs else 1,
                    random_state=random_state,
                    deterministic=True,
                    force_row_wise=True,
                    verbose=-1,
                ),
            ),
        ]
    )
