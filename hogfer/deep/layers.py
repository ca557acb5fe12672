"""Custom Keras layers, written with ``keras.ops`` and ``keras.random`` only."""

import keras
from keras import ops

__all__ = ["RandomErasing"]


@keras.saving.register_keras_serializable(package="hogfer")
class RandomErasing(keras.layers.Layer):
    """Erase one random rectangle per image with probability ``probability`` (training only).

    The rectangle covers ``area`` (a range, as fractions of the image) with an
    aspect ratio in ``1/3..3``; it is filled with uniform noise in the
    image's range 0..1. Zhong et al., "Random Erasing Data Augmentation",
    AAAI 2020.
    """

    def __init__(self, probability=0.5, area=(0.02, 0.2), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.probability = probability
        self.area = tuple(area)
        self.seed = seed
        self._generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training or self.probability <= 0:
            return images
        shape = ops.shape(images)
        n, h, w = shape[0], shape[1], shape[2]
        hf, wf = ops.cast(h, "float32"), ops.cast(w, "float32")
        area = keras.random.uniform((n,), self.area[0], self.area[1], seed=self._generator) * hf * wf
        log_ratio = keras.random.uniform((n,), -1.0986, 1.0986, seed=self._generator)  # ln(1/3)..ln(3)
        ratio = ops.exp(log_ratio)
        eh = ops.minimum(ops.sqrt(area * ratio), hf)
        ew = ops.minimum(ops.sqrt(area / ratio), wf)
        top = keras.random.uniform((n,), 0.0, 1.0, seed=self._generator) * (hf - eh)
        left = keras.random.uniform((n,), 0.0, 1.0, seed=self._generator) * (wf - ew)
        rows = ops.reshape(ops.arange(h, dtype="float32"), (1, -1, 1, 1))
        cols = ops.reshape(ops.arange(w, dtype="float32"), (1, 1, -1, 1))
        top, left = ops.reshape(top, (-1, 1, 1, 1)), ops.reshape(left, (-1, 1, 1, 1))
        eh, ew = ops.reshape(eh, (-1, 1, 1, 1)), ops.reshape(ew, (-1, 1, 1, 1))
        inside = (rows >= top) & (rows < top + eh) & (cols >= left) & (cols < left + ew)
        apply = keras.random.uniform((n, 1, 1, 1), seed=self._generator) < self.probability
        noise = keras.random.uniform(ops.shape(images), seed=self._generator)
        return ops.where(inside & apply, ops.cast(noise, images.dtype), images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "probability": self.probability, "area": list(self.area), "seed": self.seed}
