"""Keras 3 models for FER: builders, augmentation, and a scikit-learn classifier wrapper.

Model code uses Keras layers and ``keras.ops`` only (no backend calls), so the
same models train under TensorFlow, JAX or PyTorch (``KERAS_BACKEND``).
Keras is imported only when this subpackage is; importing it sets no
environment variable (:mod:`hogfer.deep.precision` sets the number format and threads
of a training run).
"""

from hogfer.deep.classifier import KerasFERClassifier
from hogfer.deep.cost import count_macs, matmul_rate
from hogfer.deep.models import build_autoencoder, build_hybrid, build_simple_cnn, build_xception
from hogfer.deep.seed_networks import (
    build_dexpression,
    build_inception,
    build_network,
    build_resnet,
    build_vgg,
    build_wider_cnn,
)

__all__ = ["build_xception", "build_hybrid", "build_simple_cnn", "build_autoencoder", "build_resnet", "build_vgg",
           "build_wider_cnn", "build_inception", "build_dexpression", "build_network", "KerasFERClassifier",
           "count_macs", "matmul_rate"]
