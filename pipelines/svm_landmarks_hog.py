"""svm-landmarks-hog: an RBF SVM on landmark geometry and HOG together.

The landmark geometry (371 features, standardized) sits beside the HOG of the
face (3,136 features, standardized and reduced to 128 principal components),
so that neither block drowns the other; an RBF SVM classifies the 499 values.
"""

from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hogfer import HOGFeatures, LandmarkFeatures

NAME = "svm-landmarks-hog"
DESCRIPTION = "landmark geometry (371) + HOG -> PCA(128) -> RBF SVM"
SEED_ACCURACY = 0.475
PARAM_GRID = [{"svm__C": [3.0, 10.0]}]
N_LANDMARK_FEATURES = 371


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("landmarks", LandmarkFeatures(n_jobs=n_jobs)),
                        ("hog", HOGFeatures(pixels_per_cell=(6, 6), cells_per_block=(2, 2), n_jobs=n_jobs)),
                    ]
                ),
            ),
            (
                "blocks",
                ColumnTransformer(
                    [
                        ("landmarks", StandardScaler(), slice(0, N_LANDMARK_FEATURES)),
                        (
                            "hog",
                            make_pipeline(StandardScaler(), PCA(n_components=128, random_state=random_state)),
                            slice(N_LANDMARK_FEATURES, None),
                        ),
                    ]
                ),
            ),
            ("scale", StandardScaler()),
            ("svm", SVC(C=10.0, gamma="scale", cache_size=1000, random_state=random_state)),
        ]
    )
