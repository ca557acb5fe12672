"""fusion-local: the fusion's logistic regression with svm-bovw-local among its members.

The same late fusion as ``fusion`` (:mod:`hogfer.training.fusion`: fitted on the
members' scores of PublicTest, its regularisation chosen by 5-fold
cross-validation there), over the ten shipped single models and svm-bovw-local,
the bag of visual words with local learning (Georgescu, Ionescu & Popescu,
"Local Learning with Deep and Handcrafted Features for Facial Expression
Recognition", IEEE Access 2019, fuse CNNs with local learning on bag-of-visual-words
features). svm-bovw-local ships no model, so neither does this fusion.
"""

from . import fusion as _fusion

NAME = "fusion-local"
DESCRIPTION = "logistic regression on the class scores of the 10 shipped single models and svm-bovw-local"
KIND = "fusion"
MEMBERS = _fusion.MEMBERS + ("svm-bovw-local",)
C_GRID = _fusion.C_GRID
NOT_SHIPPED = "not shipped: its member svm-bovw-local ships no model"


def build(*, n_jobs=None, random_state=0, C=1.0):
    from hogfer.fusion import LateFusion

    return LateFusion(MEMBERS, C=C)
