"""wider-cnn: The seeds' wider three-convolution CNN (5x5 filters, 30% dropout; :func:`hogfer.deep.build_wider_cnn`),
trained with hogfer's deep recipe (on-model augmentation, label smoothing, L2;
PublicTest chooses the epoch). Predictions average the views of :mod:`hogfer.tta`'s default set.
"""

NAME = "wider-cnn"
DESCRIPTION = "wider CNN (three 5x5 convolutions, 30% dropout), augmentation, TTA"
SEED_ACCURACY = 0.636
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("wider-cnn", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
