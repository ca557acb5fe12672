"""fusion: late fusion of the CNNs and the handcrafted-feature models.

The class scores of every other single model hogfer ships (the CNNs xception and
hybrid, the SVMs on HOG, sliding-window HOG, landmarks, landmarks and HOG, and the
bag of visual words, and the three LightGBM models) are combined by a logistic
regression fitted on their scores of PublicTest (:mod:`hogfer.training.fusion`
says why there), its regularisation chosen by 5-fold cross-validation (Georgescu, Ionescu & Popescu,
"Local Learning with Deep and Handcrafted Features for Facial Expression
Recognition", IEEE Access 2019, fuse CNN and bag-of-visual-words features).
"""

NAME = "fusion"
DESCRIPTION = "logistic regression on the class scores of the 10 other single models"
KIND = "fusion"
MEMBERS = ("xception", "hybrid", "svm-hog", "svm-sliding-hog", "svm-landmarks", "svm-landmarks-hog", "svm-bovw",
           "lgbm-pixels", "lgbm-autoencoded", "lgbm-hog-landmarks")
C_GRID = (0.03, 0.1, 0.3, 1.0)


def build(*, n_jobs=None, random_state=0, C=1.0):
    from hogfer.fusion import LateFusion

    return LateFusion(MEMBERS, C=C)
