"""lgbm-hog-landmarks: LightGBM on HOG and landmark geometry.

HOG of the face (9 bins, 8x8 cells, 3x3 blocks: 1,296 features) beside the
371 landmark-geometry features, into gradient-boosted trees.
"""

from sklearn.pipeline import FeatureUnion, Pipeline

from hogfer import HOGFeatures, LandmarkFeatures

from hogfer.pipelines._common import lgbm

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
            ("lgbm", lgbm(n_jobs=n_jobs, random_state=random_state)),
        ]
    )
