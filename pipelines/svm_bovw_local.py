"""svm-bovw-local: local learning on svm-bovw's bag of visual words.

The features are svm-bovw's (dense RootSIFT at two patch sizes, a 1,000-word
codebook, a 1+2x2+4x4 spatial pyramid, the Hellinger map), kept sparse. For
each face, a linear SVM is fitted on its nearest training faces under the
cosine distance of those histograms (:class:`hogfer.classifiers.LocalLearningClassifier`),
as Ionescu, Popescu & Grozea ("Local Learning to Improve Bag of Visual Words
Model for Facial Expression Recognition", ICML 2013 workshop) do with a
histogram-intersection kernel.

The model is its training set (28,709 sparse histograms, hundreds of MB), so no
copy ships with hogfer: ``hogfer train svm-bovw-local`` makes one in the user cache.
"""

from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from hogfer import BagOfVisualWords
from hogfer.classifiers import LocalLearningClassifier

NAME = "svm-bovw-local"
DESCRIPTION = "svm-bovw's bag of visual words -> a linear SVM on each face's nearest training faces (local learning)"
NOT_SHIPPED = "not shipped: the model is its training set, hundreds of MB"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0):
    bovw = BagOfVisualWords(n_words=1000, normalize="hellinger", sparse_output=True, random_state=random_state, n_jobs=n_jobs)
    local = LocalLearningClassifier(LinearSVC(C=1.0), n_neighbors=300, metric="cosine", n_jobs=n_jobs)
    return Pipeline([("bovw", bovw), ("local", local)])
