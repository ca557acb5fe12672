"""Model builders, in the style of ``keras.applications``: each returns a named ``keras.Model``.

Every layer has a systematic name (``block2_sepconv1_bn``), repeated blocks
come from loops with a prefix, and arguments are checked before any layer is
built.
"""

import keras
from keras import layers

from hogfer.data.fer2013 import IMAGE_SIZE
from hogfer.deep.layers import RandomErasing

__all__ = ["augmentation", "build_simple_cnn", "build_xception", "build_hybrid", "build_autoencoder"]


def _check(input_shape, num_classes):
    if len(input_shape) != 3 or input_shape[0] < 16 or input_shape[1] < 16 or input_shape[2] not in (1, 3):
        raise ValueError(f"input_shape must be (height, width, 1 or 3) with sides >= 16; got {input_shape!r}.")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2; got {num_classes!r}.")


def augmentation(name="augment", *, flip=True, shift=0.1, rotation=10.0, zoom=0.1, erasing=0.5, seed=None):
    """On-model augmentation (active in training only): flip, shift, rotation, zoom, random erasing.

    Parameters
    ----------
    flip : bool
        Horizontal flips (faces are left-right symmetric enough for emotions).
    shift : float
        Largest translation, as a fraction of the image size.
    rotation : float
        Largest rotation in degrees.
    zoom : float
        Largest zoom in or out, as a fraction.
    erasing : float
        Probability of erasing one random rectangle (Zhong et al., 2020).
    """
    steps = []
    if flip:
        steps.append(layers.RandomFlip("horizontal", seed=seed, name=f"{name}_flip", dtype="float32"))
    if rotation:
        steps.append(layers.RandomRotation(rotation / 360.0, fill_mode="nearest", seed=seed, name=f"{name}_rotation", dtype="float32"))
    if zoom:
        steps.append(layers.RandomZoom((-zoom, zoom), fill_mode="nearest", seed=seed, name=f"{name}_zoom", dtype="float32"))
    if shift:
        steps.append(layers.RandomTranslation(shift, shift, fill_mode="nearest", seed=seed, name=f"{name}_shift", dtype="float32"))
    if erasing:
        steps.append(RandomErasing(probability=erasing, seed=seed, name=f"{name}_erasing", dtype="float32"))
    return keras.Sequential(steps, name=name)


def _stem(x, filters, l2, prefix="stem"):
    reg = keras.regularizers.L2(l2) if l2 else None
    for i, f in enumerate(filters, start=1):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False, kernel_regularizer=reg, name=f"{prefix}_conv{i}")(x)
        x = layers.BatchNormalization(name=f"{prefix}_conv{i}_bn")(x)
        x = layers.Activation("relu", name=f"{prefix}_conv{i}_act")(x)
    return x


def _xception_trunk(x, block_filters, middle_blocks, l2):
    """Depthwise-separable residual blocks (Chollet, 2017), each halving the resolution."""
    reg = keras.regularizers.L2(l2) if l2 else None
    x = _stem(x, (32, 64), l2)
    for b, f in enumerate(block_filters, start=1):
        p = f"block{b}"
        residual = layers.Conv2D(f, 1, strides=2, padding="same", use_bias=False, kernel_regularizer=reg, name=f"{p}_shortcut")(x)
        residual = layers.BatchNormalization(name=f"{p}_shortcut_bn")(residual)
        for i in (1, 2):
            if i == 2 or b > 1:
                x = layers.Activation("relu", name=f"{p}_sepconv{i}_act")(x)
            x = layers.SeparableConv2D(f, 3, padding="same", use_bias=False, depthwise_regularizer=reg, pointwise_regularizer=reg, name=f"{p}_sepconv{i}")(x)
            x = layers.BatchNormalization(name=f"{p}_sepconv{i}_bn")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{p}_pool")(x)
        x = layers.Add(name=f"{p}_add")([x, residual])
    f = block_filters[-1]
    for m in range(1, middle_blocks + 1):
        p = f"middle{m}"
        residual = x
        for i in (1, 2, 3):
            x = layers.Activation("relu", name=f"{p}_sepconv{i}_act")(x)
            x = layers.SeparableConv2D(f, 3, padding="same", use_bias=False, depthwise_regularizer=reg, pointwise_regularizer=reg, name=f"{p}_sepconv{i}")(x)
            x = layers.BatchNormalization(name=f"{p}_sepconv{i}_bn")(x)
        x = layers.Add(name=f"{p}_add")([x, residual])
    x = layers.Activation("relu", name="exit_act")(x)
    return layers.GlobalAveragePooling2D(name="avg_pool")(x)


def _image_input(input_shape, augment, seed):
    """The ``"image"`` input scaled to 0..1 and augmented, in float32 under any dtype policy."""
    image = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale", dtype="float32")(image)
    if augment:
        x = augmentation(seed=seed)(x)
    return image, x


def _predictions(x, num_classes):
    """The softmax classifier, in float32 under any dtype policy (:mod:`hogfer.deep.precision`)."""
    return layers.Dense(num_classes, activation="softmax", name="predictions", dtype="float32")(x)


def build_xception(
    input_shape=(IMAGE_SIZE, IMAGE_SIZE, 1),
    num_classes=7,
    *,
    block_filters=(64, 128, 256),
    middle_blocks=1,
    dropout=0.4,
    l2=1e-4,
    augment=True,
    seed=None,
    name="xception",
):
    """An Xception-style CNN sized for 48x48 grey faces.

    Two 3x3 convolutions, then one depthwise-separable residual block per entry
    of ``block_filters`` (each halving the resolution: 48 -> 24 -> 12 -> 6),
    ``middle_blocks`` residual blocks at the last width, global average
    pooling, dropout and a softmax classifier.

    Parameters
    ----------
    input_shape : (int, int, int), default=(48, 48, 1)
        Height, width, channels of grey-level (0..255) images.
    num_classes : int, default=7
    block_filters : tuple of int, default=(64, 128, 256)
    middle_blocks : int, default=1
    dropout : float, default=0.4
    l2 : float, default=1e-4
        L2 weight decay of every convolution.
    augment : bool, default=True
        Include the on-model augmentation (inactive at inference).
    seed : int, default=None
        Seed of the augmentation layers.
    name : str, default="xception"

    Returns
    -------
    keras.Model
        Input ``"image"``, output softmax probabilities.
    """
    _check(input_shape, num_classes)
    if not block_filters or any(f < 1 for f in block_filters):
        raise ValueError(f"block_filters must be positive integers; got {block_filters!r}.")
    image, x = _image_input(input_shape, augment, seed)
    x = _xception_trunk(x, tuple(block_filters), middle_blocks, l2)
    x = layers.Dropout(dropout, name="dropout")(x)
    out = _predictions(x, num_classes)
    return keras.Model(image, out, name=name)


def build_simple_cnn(input_shape=(IMAGE_SIZE, IMAGE_SIZE, 1), num_classes=7, *, dropout=0.5, l2=1e-4, augment=True, seed=None, name="simple_cnn"):
    """The seeds' "simple architecture": three conv-conv-pool stages and a dense layer.

    Every layer is followed by batch normalisation, the dense one included.
    """
    _check(input_shape, num_classes)
    reg = keras.regularizers.L2(l2) if l2 else None
    image, x = _image_input(input_shape, augment, seed)
    for b, f in enumerate((32, 64, 128), start=1):
        for i in (1, 2):
            x = layers.Conv2D(f, 3, padding="same", use_bias=False, kernel_regularizer=reg, name=f"block{b}_conv{i}")(x)
            x = layers.BatchNormalization(name=f"block{b}_conv{i}_bn")(x)
            x = layers.Activation("relu", name=f"block{b}_conv{i}_act")(x)
        x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    # normalised like the convolutions, so the first epochs do not sit on the majority class
    x = layers.Dense(256, use_bias=False, kernel_regularizer=reg, name="fc1")(x)
    x = layers.BatchNormalization(name="fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_act")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    out = _predictions(x, num_classes)
    return keras.Model(image, out, name=name)


def build_hybrid(
    input_shape=(IMAGE_SIZE, IMAGE_SIZE, 1),
    n_features=1667,
    num_classes=7,
    *,
    block_filters=(64, 128, 256),
    middle_blocks=1,
    feature_units=256,
    feature_dropout=(0.2, 0.0),
    dropout=0.4,
    l2=1e-4,
    augment=True,
    seed=None,
    name="hybrid",
):
    """Image CNN plus a dense branch over handcrafted features, fused before the classifier.

    Inputs are named ``"image"`` (grey faces) and ``"features"`` (standardized
    HOG and landmark features of the same faces); ``fit`` takes a dict. The
    feature branch is a dense layer with dropout, so that the network cannot
    lean on the features alone (the seeds' hybrid fell below the image alone).

    Parameters
    ----------
    input_shape : (int, int, int), default=(48, 48, 1)
    n_features : int, default=1667
        Length of the feature vector (hogfer's HOG plus landmark features).
    num_classes : int, default=7
    block_filters, middle_blocks : see :func:`build_xception`
    feature_units : int, default=256
        Width of the feature branch's dense layer.
    feature_dropout : (float, float), default=(0.2, 0.0)
        Dropout rates on the features and on the branch's output (no layer
        for a rate of 0).
    dropout : float, default=0.4
        Dropout on the fused vector.
    l2, augment, seed, name : see :func:`build_xception`

    Returns
    -------
    keras.Model
    """
    _check(input_shape, num_classes)
    if not isinstance(n_features, int) or n_features < 1:
        raise ValueError(f"n_features must be a positive integer; got {n_features!r}.")
    if len(feature_dropout) != 2 or not all(0 <= r < 1 for r in feature_dropout):
        raise ValueError(f"feature_dropout must be two rates in [0, 1); got {feature_dropout!r}.")
    image, x = _image_input(input_shape, augment, seed)
    x = _xception_trunk(x, tuple(block_filters), middle_blocks, l2)
    features = keras.Input(shape=(n_features,), name="features")
    f = layers.Dropout(feature_dropout[0], name="features_input_dropout")(features)
    f = layers.Dense(feature_units, activation="relu", kernel_regularizer=keras.regularizers.L2(l2) if l2 else None, name="features_fc")(f)
    f = layers.BatchNormalization(name="features_fc_bn")(f)
    if feature_dropout[1]:
        f = layers.Dropout(feature_dropout[1], name="features_fc_dropout")(f)
    x = layers.Concatenate(name="fusion")([x, f])
    x = layers.Dropout(dropout, name="dropout")(x)
    out = _predictions(x, num_classes)
    return keras.Model({"image": image, "features": features}, out, name=name)


def build_autoencoder(input_shape=(IMAGE_SIZE, IMAGE_SIZE, 1), code_size=128, *, name="autoencoder"):
    """A small convolutional autoencoder; returns ``(autoencoder, encoder)``.

    The encoder maps a face to a ``code_size`` vector (the seeds' "auto-encoded
    image" features for LightGBM); the autoencoder reconstructs the face in 0..1.
    """
    _check(input_shape, 2)
    image = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(image)
    for b, f in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"encoder_conv{b}")(x)
    shape = x.shape[1:]
    x = layers.Flatten(name="encoder_flatten")(x)
    code = layers.Dense(code_size, name="code")(x)
    y = layers.Dense(int(shape[0] * shape[1] * shape[2]), activation="relu", name="decoder_fc")(code)
    y = layers.Reshape(tuple(shape), name="decoder_reshape")(y)
    for b, f in enumerate((64, 32, 16), start=1):
        y = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu", name=f"decoder_deconv{b}")(y)
    y = layers.Conv2D(input_shape[2], 3, padding="same", activation="sigmoid", name="reconstruction")(y)
    return keras.Model(image, y, name=name), keras.Model(image, code, name=f"{name}_encoder")
