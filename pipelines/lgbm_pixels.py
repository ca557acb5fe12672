"""lgbm-pixels: LightGBM on the raw 48x48 image.

The image, averaged over 2x2 blocks to 24x24 = 576 grey levels (scaled to
0..1), goes straight into gradient-boosted trees: a baseline of what trees
make of pixels without any feature. (Block averaging quarters the number of
features, and with it roughly the training time, against the 2,304 raw pixels.)
"""

from sklearn.pipeline import Pipeline

from hogfer import PixelFeatures

from hogfer.pipelines._common import lgbm

NAME = "lgbm-pixels"
DESCRIPTION = "pixels (24x24 block means) -> LightGBM"
PARAM_GRID = [{"lgbm__num_leaves": [31]}]


def build(*, n_jobs=None, random_state=0):
    return Pipeline(
        [
            ("pixels", PixelFeatures(pool=2)),
            ("lgbm", lgbm(n_jobs=n_jobs, random_state=random_state)),
        ]
    )
