"""simple-cnn: The seeds' "simple architecture" baseline (:func:`hogfer.deep.build_simple_cnn`), with the
same training recipe as the Xception-style model.
"""

NAME = "simple-cnn"
DESCRIPTION = "plain CNN (three conv-conv-pool stages), augmentation, TTA"
SEED_ACCURACY = 0.627
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("simple-cnn", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
