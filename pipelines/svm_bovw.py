"""svm-bovw: a linear SVM on a bag of visual words (dense SIFT, spatial pyramid).

RootSIFT descriptors on a 2-pixel grid of the 48x48 face at two patch sizes
(8 and 12 pixels) are assigned to a 1,000-word codebook learned by k-means on
Training; a spatial pyramid (the whole face, 2x2 and 4x4 cells) counts the
words in each cell, 21,000 values. Each cell's histogram is normalised and
square-rooted (the Hellinger map, under which a linear SVM compares histograms
as the Bhattacharyya kernel does) and kept sparse (a face uses a few percent
of the words in each cell) before a linear SVM (Ionescu, Popescu &
Grozea, "Local Learning to Improve Bag of Visual Words Model for Facial
Expression Recognition", ICML 2013 workshop, use this representation with a
histogram-intersection kernel).
"""

from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from hogfer import BagOfVisualWords

NAME = "svm-bovw"
DESCRIPTION = "dense SIFT bag of visual words (1,000 words, pyramid 1+2x2+4x4) -> Hellinger -> linear SVM"
PARAM_GRID = [{"svm__C": [0.3, 1.0]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            ("bovw", BagOfVisualWords(n_words=1000, normalize="hellinger", sparse_output=True, random_state=random_state, n_jobs=n_jobs)),
            ("svm", LinearSVC(C=1.0, dual=False, random_state=random_state)),
        ]
    )
