"""Keras 3 models for FER: builders, augmentation, and a scikit-learn classifier wrapper.

Model code uses Keras layers and ``keras.ops`` only (no backend calls), so the
same models train under TensorFlow, JAX or PyTorch (``KERAS_BACKEND``).
Keras is imported only when this subpackage is.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow 2.21's oneDNN kernels corrupt memory (glibc aborts: "munmap_chunk(): invalid
# pointer") when the Xception-style model trains on a batch of some sizes (25 of 57
# faces, say); with oneDNN off the same run is clean. Set TF_ENABLE_ONEDNN_OPTS=1 to override.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from hogfer.deep.classifier import KerasFERClassifier  # noqa: E402
from hogfer.deep.cost import count_macs, matmul_rate  # noqa: E402
from hogfer.deep.models import build_autoencoder, build_hybrid, build_simple_cnn, build_xception  # noqa: E402
from hogfer.deep.seed_networks import (  # noqa: E402
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
