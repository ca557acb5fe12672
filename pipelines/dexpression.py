"""dexpression: DeXpression (Burkert et al. 2015; :func:`hogfer.deep.build_dexpression`),
trained with hogfer's deep recipe (on-model augmentation, label smoothing, L2;
PublicTest chooses the epoch). Predictions average the views of :mod:`hogfer.tta`'s default set.
"""

NAME = "dexpression"
DESCRIPTION = "DeXpression CNN (parallel feature-extraction blocks), augmentation, TTA"
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("dexpression", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
