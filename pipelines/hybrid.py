"""hybrid: Two inputs (:func:`hogfer.deep.build_hybrid`): the image through the Xception-style
trunk, and hogfer's HOG and landmark features (standardized) through a dense
branch with dropout, fused before the classifier.
"""

NAME = "hybrid"
DESCRIPTION = "Xception-style CNN + dense branch over HOG and landmarks"
SEED_ACCURACY = 0.458
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("hybrid", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
