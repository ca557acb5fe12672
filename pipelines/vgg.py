"""vgg: A VGG-style network after Khaireddin & Chen 2021 (:func:`hogfer.deep.build_vgg`),
at half its width (32, 64, 128, 256 filters, a 256-unit dense layer: 1.3 M weights and
0.12 G multiply-adds a face instead of 5.2 M and 0.47 G), so that it trains on a CPU in
hours and ships; ``model_params={"widths": (64, 128, 256, 512), "dense": 512}`` builds the full one;
trained with hogfer's deep recipe (on-model augmentation, label smoothing, L2;
PublicTest chooses the epoch). Predictions average the views of :mod:`hogfer.tta`'s default set.
"""

NAME = "vgg"
DESCRIPTION = "VGG-style CNN (Khaireddin & Chen 2021) at half width, augmentation, TTA"
MODEL_PARAMS = {"widths": (32, 64, 128, 256), "dense": 256}
KIND = "deep"
PARAM_GRID = []


def build(*, n_jobs=None, random_state=0, **params):
    from hogfer.deep import KerasFERClassifier

    params.setdefault("model_params", dict(MODEL_PARAMS))
    return KerasFERClassifier("vgg", n_jobs=n_jobs, random_state=random_state, verbose=1, **params)
