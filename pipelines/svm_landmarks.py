"""svm-landmarks: an RBF SVM on the geometry of dlib's 68 landmarks.

:class:`hogfer.LandmarkFeatures`: 136 pose-normalized coordinates, 231
pairwise distances, both eyes' aspect ratios, the mouth's, and whether dlib's
detector found the face (371 features), standardized, classified by an
RBF-kernel SVM.
"""

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hogfer import LandmarkFeatures

NAME = "svm-landmarks"
DESCRIPTION = "dlib landmark geometry (371) -> RBF SVM"
SEED_ACCURACY = 0.464
PARAM_GRID = [{"svm__C": [1.0, 3.0]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            ("landmarks", LandmarkFeatures(n_jobs=n_jobs)),
            ("scale", StandardScaler()),
            ("svm", SVC(C=3.0, gamma="scale", cache_size=1000, random_state=random_state)),
        ]
    )
