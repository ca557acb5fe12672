"""resnet: ResNet-18 for 48x48 faces (:func:`hogfer.deep.build_resnet`, depth 18; ``resnet34`` is the architecture name for depth 34),
trained with hogfer's deep recipe (on-model augmentation, label smoothing, L2;
PublicTest chooses the epoch). Predictions average the views of :mod:`hogfer.tta`'s default set.
"""

NAME = "resnet"
DESCRIPTION = "ResNet-18 (basic residual blocks, 48x48 stem), augmentation, TTA"
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    return KerasFERClassifier("resnet18", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
