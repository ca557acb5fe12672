"""svm-sliding-hog: an RBF SVM on sliding-window HOG.

:class:`hogfer.SlidingWindowHOG` with its defaults: nine 24x24 windows, 12
pixels apart, each with its own HOG (9 bins, 6x6 cells, 2x2 blocks), 2,916
features, standardized, reduced to 128 principal components, classified by an
RBF SVM.
"""

from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hogfer import SlidingWindowHOG

NAME = "svm-sliding-hog"
DESCRIPTION = "sliding-window HOG (9 windows) -> PCA(128) -> RBF SVM"
SEED_ACCURACY = 0.246
PARAM_GRID = [{"svm__C": [3.0, 10.0]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            ("sliding_hog", SlidingWindowHOG(n_jobs=n_jobs)),
            ("scale", StandardScaler()),
            ("pca", PCA(n_components=128, random_state=random_state)),
            ("svm", SVC(C=10.0, gamma="scale", cache_size=1000, random_state=random_state)),
        ]
    )
