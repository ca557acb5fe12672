"""inception: GoogLeNet-style Inception modules (:func:`hogfer.deep.build_inception`),
trained with hogfer's deep recipe (on-model augmentation, label smoothing, L2;
PublicTest chooses the epoch). Predictions average the views of :mod:`hogfer.tta`'s default set.
"""

NAME = "inception"
DESCRIPTION = "Inception-style CNN (GoogLeNet modules), augmentation, TTA"
SEED_ACCURACY = 0.595
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("inception", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
