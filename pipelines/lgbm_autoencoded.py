"""lgbm-autoencoded: LightGBM on the codes of a convolutional autoencoder.

The seeds' "LGBM on auto-encoded image" row: a small convolutional
autoencoder (:func:`hogfer.deep.build_autoencoder`, three strided
convolutions down to a 128-number code and back) learns to reconstruct the
Training faces without their labels; LightGBM then classifies the codes.
"""

from sklearn.pipeline import Pipeline

from hogfer.pipelines._common import lgbm

NAME = "lgbm-autoencoded"
DESCRIPTION = "convolutional autoencoder codes (128) -> LightGBM"
PARAM_GRID = [{"lgbm__num_leaves": [31]}]


def build(*, n_jobs=None, random_state=0):
    from hogfer import AutoencoderFeatures  # imports Keras: only when the pipeline is built

    return Pipeline(
        [
            ("autoencoder", AutoencoderFeatures(code_size=128, epochs=10, random_state=random_state)),
            ("lgbm", lgbm(n_jobs=n_jobs, random_state=random_state, colsample_bytree=0.8)),
        ]
    )
