"""fusion: late fusion of the CNNs and the handcrafted-feature SVMs.

The class scores of xception and the hybrid (CNNs), svm-bovw (bag of visual
words), svm-landmarks-hog (landmark geometry and HOG) and lgbm-hog-landmarks
(trees on the same) are combined by a logistic regression fitted on their
scores of PublicTest (:mod:`hogfer.training.fusion` says why there), its
regularisation chosen by 5-fold cross-validation (Georgescu, Ionescu & Popescu,
"Local Learning with Deep and Handcrafted Features for Facial Expression
Recognition", IEEE Access 2019, fuse CNN and bag-of-visual-words features).
"""

NAME = "fusion"
DESCRIPTION = "logistic regression on the class scores of xception, hybrid, svm-bovw, svm-landmarks-hog, lgbm-hog-landmarks"
KIND = "fusion"
MEMBERS = ("xception", "hybrid", "svm-bovw", "svm-landmarks-hog", "lgbm-hog-landmarks")
C_GRID = (0.01, 0.1, 1.0)


def build(*, n_jobs=None, random_state=0, C=1.0):
    from hogfer.fusion import LateFusion

    return LateFusion(MEMBERS, C=C)
