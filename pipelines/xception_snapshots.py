"""xception-snapshots: A snapshot ensemble of the Xception-style network
(:func:`hogfer.deep.build_xception`; Huang et al. 2017, "Snapshot Ensembles:
Train 1, Get M for Free"): the epochs split into cosine cycles with warm
restarts, the weights at the end of each cycle kept, and their class
probabilities averaged as one model (:mod:`hogfer.deep.snapshots`). By default
60 epochs in 5 cycles from scratch; ``hogfer train xception-snapshots
--init-from xception --epochs 6 --snapshots 3`` starts the cycles from a
trained network instead. Predictions average the views of :mod:`hogfer.tta`'s
default set.
"""

NAME = "xception-snapshots"
DESCRIPTION = "snapshot ensemble of the Xception-style CNN (cosine cycles with restarts), TTA"
SEED_ACCURACY = 0.659
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    params = {"epochs": 60, "snapshots": 5, **params}
    return KerasFERClassifier("xception", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
