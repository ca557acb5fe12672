"""svm-hog: an RBF SVM on the HOG of the whole face.

HOG (9 unsigned orientation bins, 6x6-pixel cells, 2x2-cell blocks, L2-Hys)
of the 48x48 face: 3,136 features, standardized, projected on their first 128
principal components, classified by an RBF-kernel SVM (``gamma="scale"``,
i.e. one over the mean squared norm of the projected features).

The exact SVM keeps most training faces as support vectors; hogfer ships a
compressed copy (``hogfer compress``), and ``hogfer train svm-hog`` makes the
exact one.
"""

from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hogfer import HOGFeatures

NAME = "svm-hog"
DESCRIPTION = "HOG (6px cells) -> PCA(128) -> RBF SVM"
SEED_ACCURACY = 0.328
PARAM_GRID = [{"svm__C": [3.0, 10.0]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            ("hog", HOGFeatures(pixels_per_cell=(6, 6), cells_per_block=(2, 2), n_jobs=n_jobs)),
            ("scale", StandardScaler()),
            ("pca", PCA(n_components=128, random_state=random_state)),
            ("svm", SVC(C=10.0, gamma="scale", cache_size=1000, random_state=random_state)),
        ]
    )
