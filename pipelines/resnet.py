"""resnet: ResNet-18 for 48x48 faces (:func:`hogfer.deep.build_resnet`, depth 18; ``resnet34`` is the architecture name for depth 34),
at half its width (32, 64, 128, 256 filters: 2.8 M weights and 0.08 G multiply-adds a
face instead of 11.2 M and 0.31 G), so that it trains on a CPU in hours and ships;
``model_params={"widths": (64, 128, 256, 512)}`` builds the full one;
trained with hogfer's deep recipe (on-model augmentation, label smoothing, L2;
PublicTest chooses the epoch). Predictions average the views of :mod:`hogfer.tta`'s default set.
"""

NAME = "resnet"
DESCRIPTION = "ResNet-18 at half width (basic residual blocks, 48x48 stem), augmentation, TTA"
MODEL_PARAMS = {"widths": (32, 64, 128, 256)}
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    params.setdefault("model_params", dict(MODEL_PARAMS))
    return KerasFERClassifier("resnet18", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
