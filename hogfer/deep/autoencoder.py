"""Codes of a convolutional autoencoder as features (the seeds' "LGBM on auto-encoded image")."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from hogfer._progress import progress_bar
from hogfer.features._base import ImageTransformer
from hogfer.deep._serialization import pack_network, unpack_network

__all__ = ["AutoencoderFeatures"]


class AutoencoderFeatures(ImageTransformer):
    """Compress each face to the code of a convolutional autoencoder.

    ``fit`` trains :func:`hogfer.deep.build_autoencoder` to reconstruct the
    training faces (unsupervised: labels are ignored); ``transform`` returns
    the encoder's code of each face. The codes are dense, low-dimensional
    features for trees or linear models.

    Parameters
    ----------
    code_size : int, default=128
        Length of the code (features per face).
    epochs : int, default=15
        Training epochs over the faces.
    batch_size : int, default=128
    random_state : int, default=0
        Seed of the weights' initialization and of the shuffling.

    Attributes
    ----------
    encoder_ : keras.Model
        The trained encoder (faces in 0..255 to codes).
    reconstruction_error_ : float
        Mean squared error (grey levels scaled to 0..1) of the last epoch.
    n_features_in_ : int
        Pixels per image.
    image_shape_ : (int, int)
        Image size seen in ``fit``.

    See Also
    --------
    hogfer.PixelFeatures : the raw pixels, for comparison.

    Examples
    --------
    >>> from hogfer import AutoencoderFeatures  # doctest: +SKIP
    >>> codes = AutoencoderFeatures(code_size=64, epochs=5).fit_transform(faces)  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "code_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, code_size=128, epochs=15, batch_size=128, random_state=0):
        self.code_size = code_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    def _check_image_shape(self, shape):
        if shape[0] < 16 or shape[1] < 16 or shape[0] % 8 or shape[1] % 8:
            raise ValueError(f"AutoencoderFeatures takes images whose sides are multiples of 8, >= 16; got {shape[0]}x{shape[1]}.")

    def fit(self, X, y=None):
        """Train the autoencoder on the faces ``X`` (``y`` is ignored).

        Returns
        -------
        self : object
        """
        import keras

        from hogfer.deep.models import build_autoencoder

        from hogfer.features._validation import as_image_stack

        super().fit(X)  # checks the parameters and the image size
        images = as_image_stack(X)
        seed = self.random_state if isinstance(self.random_state, Integral) else 0
        keras.utils.set_random_seed(int(seed))
        autoencoder, encoder = build_autoencoder((*self.image_shape_, 1), self.code_size)
        autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        x = images[..., None].astype("float32")
        with progress_bar(total=self.epochs, desc="autoencoder epochs", unit="epoch") as bar:
            callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: bar.update())
            history = autoencoder.fit(x, x / 255.0, epochs=self.epochs, batch_size=self.batch_size, shuffle=True, verbose=0, callbacks=[callback])
        self.encoder_ = encoder
        self.reconstruction_error_ = float(history.history["loss"][-1])
        return self

    def _transform_images(self, images):
        x = images[..., None].astype("float32")
        return np.asarray(self.encoder_.predict(x, batch_size=512, verbose=0), dtype=np.float32)

    def _feature_names(self):
        return [f"code_{i}" for i in range(self.code_size)]

    # The encoder travels as its architecture (JSON) and weights, as KerasFERClassifier's network does.
    def __getstate__(self):
        return pack_network(self.__dict__.copy(), "encoder_")

    def __setstate__(self, state):
        self.__dict__.update(unpack_network(state, "encoder_"))
