"""xception: An Xception-style network sized for 48x48 faces (:func:`hogfer.deep.build_xception`),
trained from scratch with on-model augmentation, label smoothing and L2; early
stopping and learning-rate reduction watch PublicTest. Predictions average the
views of :mod:`hogfer.tta`'s default set.
"""

NAME = "xception"
DESCRIPTION = "Xception-style CNN: separable residual blocks, augmentation, TTA"
SEED_ACCURACY = 0.645
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("xception", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
