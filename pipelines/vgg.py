"""vgg: A VGG-style network after Khaireddin & Chen 2021 (:func:`hogfer.deep.build_vgg`),
trained with hogfer's deep recipe (on-model augmentation, label smoothing, L2;
PublicTest chooses the epoch). Predictions average the views of :mod:`hogfer.tta`'s default set.
"""

NAME = "vgg"
DESCRIPTION = "VGG-style CNN (Khaireddin & Chen 2021), augmentation, TTA"
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("vgg", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
