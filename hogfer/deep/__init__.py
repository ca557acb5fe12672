"""Keras 3 models for FER: builders, augmentation, and a scikit-learn classifier wrapper.

Model code uses Keras layers and ``keras.ops`` only (no backend calls), so the
same models train under TensorFlow, JAX or PyTorch (``KERAS_BACKEND``).
Keras is imported only when this subpackage is.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .classifier import KerasFERClassifier  # noqa: E402
from .models import build_autoencoder, build_hybrid, build_simple_cnn, build_xception  # noqa: E402

__all__ = ["build_xception", "build_hybrid", "build_simple_cnn", "build_autoencoder", "KerasFERClassifier"]
