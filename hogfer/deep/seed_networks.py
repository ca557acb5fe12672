"""The other networks of the projects hogfer is built from, for 48x48 grey faces.

:func:`build_resnet` (He et al. 2016, depth 18 or 34), :func:`build_vgg` (the
VGG-style network of Khaireddin & Chen 2021, "Facial Emotion Recognition: State of
the Art Performance on FER2013"), :func:`build_wider_cnn` (three 5x5 convolutions
with 30% dropout), :func:`build_inception` (GoogLeNet-style modules, Szegedy et
al. 2015) and :func:`build_dexpression` (Burkert et al. 2015, "DeXpression: Deep
Convolutional Neural Network for Expression Recognition"). Each is a function that
returns a named ``keras.Model`` from input ``"image"`` (grey levels 0..255) to
softmax probabilities ``"predictions"``, with hogfer's on-model augmentation, like
:func:`hogfer.deep.models.build_xception`; Keras layers only, so any backend runs them.
"""

import keras
from keras import layers

from hogfer.data.fer2013 import IMAGE_SIZE
from hogfer.deep.models import _check, _image_input, _predictions

__all__ = ["build_network", "build_resnet", "build_vgg", "build_wider_cnn", "build_inception", "build_dexpression"]

_RESNET_BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}
_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


def _conv_bn(x, filters, kernel, name, *, strides=1, l2=1e-4, activation="relu"):
    reg = keras.regularizers.L2(l2) if l2 else None
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False, kernel_regularizer=reg, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation(activation, name=f"{name}_act")(x) if activation else x


def _head(x, num_classes, dropout, name, image):
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    out = _predictions(x, num_classes)
    return keras.Model(image, out, name=name)


def build_resnet(input_shape=_SHAPE, num_classes=7, *, depth=18, widths=(64, 128, 256, 512), stem_pool=True, dropout=0.2,
                 l2=1e-4, augment=True, seed=None, name=None):
    """A residual network of basic blocks (two 3x3 convolutions), depth 18 or 34.

    The stem suits 48x48 faces: one 3x3 convolution at full resolution, then
    (``stem_pool``) a 2x2 max pooling, instead of the 7x7 stride-2 convolution
    and 3x3 stride-2 pooling that suit 224x224 images. Four stages of
    ``widths`` filters follow, the last three halving the resolution
    (24 -> 12 -> 6 -> 3), with (2, 2, 2, 2) blocks for depth 18 and
    (3, 4, 6, 3) for depth 34; global average pooling, dropout, softmax.
    ResNet-18 so costs about 0.31 G multiply-adds a face, each stage about a
    quarter of it; without ``stem_pool`` (stages at 48 -> 24 -> 12 -> 6) 1.2 G.
    """
    _check(input_shape, num_classes)
    if depth not in _RESNET_BLOCKS:
        raise ValueError(f"depth must be one of {sorted(_RESNET_BLOCKS)}; got {depth!r}.")
    image, x = _image_input(input_shape, augment, seed)
    x = _conv_bn(x, widths[0], 3, "stem", l2=l2)
    if stem_pool:
        x = layers.MaxPooling2D(2, name="stem_pool")(x)
    for stage, (filters, blocks) in enumerate(zip(widths, _RESNET_BLOCKS[depth]), start=1):
        for block in range(1, blocks + 1):
            prefix = f"stage{stage}_block{block}"
            strides = 2 if stage > 1 and block == 1 else 1
            shortcut = x
            if strides != 1 or x.shape[-1] != filters:
                shortcut = _conv_bn(x, filters, 1, f"{prefix}_shortcut", strides=strides, l2=l2, activation=None)
            y = _conv_bn(x, filters, 3, f"{prefix}_1", strides=strides, l2=l2)
            y = _conv_bn(y, filters, 3, f"{prefix}_2", l2=l2, activation=None)
            x = layers.Activation("relu", name=f"{prefix}_out")(layers.Add(name=f"{prefix}_add")([shortcut, y]))
    return _head(x, num_classes, dropout, name or f"resnet{depth}", image)


def build_vgg(input_shape=_SHAPE, num_classes=7, *, widths=(64, 128, 256, 512), dense=512, dropout=0.5, l2=1e-4,
              augment=True, seed=None, name="vgg"):
    """A VGG-style network: four stages of two 3x3 convolutions and max pooling, two dense layers.

    After Khaireddin & Chen (2021), with global average pooling before the dense
    layers instead of flattening the last 3x3 map, which keeps the network a few
    million weights instead of tens.
    """
    _check(input_shape, num_classes)
    reg = keras.regularizers.L2(l2) if l2 else None
    image, x = _image_input(input_shape, augment, seed)
    for stage, filters in enumerate(widths, start=1):
        x = _conv_bn(x, filters, 3, f"stage{stage}_1", l2=l2)
        x = _conv_bn(x, filters, 3, f"stage{stage}_2", l2=l2)
        x = layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    for i in (1, 2):
        x = layers.Dense(dense, activation="relu", kernel_regularizer=reg, name=f"fc{i}")(x)
        x = layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
    out = _predictions(x, num_classes)
    return keras.Model(image, out, name=name)


def build_wider_cnn(input_shape=_SHAPE, num_classes=7, *, widths=(32, 64, 64), dense=128, dropout=0.3, l2=1e-4,
                    augment=True, seed=None, name="wider_cnn"):
    """The seeds' "wider" CNN: three 5x5 convolutions, each followed by max pooling, then a dense layer; 30% dropout.

    ========================  ============  ==========
    layer                     output        weights
    ========================  ============  ==========
    conv1: 5x5, 32, ReLU      48x48x32      832
    pool1: 2x2 max            24x24x32
    conv2: 5x5, 64, ReLU      24x24x64      51,264
    pool2: 2x2 max            12x12x64
    conv3: 5x5, 64, ReLU      12x12x64      102,464
    pool3: 2x2 max            6x6x64
    fc1: dense 128, ReLU      128           295,040
    dropout 30%
    predictions: softmax      7             903
    ========================  ============  ==========

    About 0.45 M weights and 46 M multiply-adds a face
    (:func:`hogfer.deep.count_macs`). As described, no batch normalization;
    ``l2`` weight decay on the convolutions and the dense layer.
    """
    _check(input_shape, num_classes)
    reg = keras.regularizers.L2(l2) if l2 else None
    image, x = _image_input(input_shape, augment, seed)
    for i, filters in enumerate(widths, start=1):
        x = layers.Conv2D(filters, 5, padding="same", activation="relu", kernel_regularizer=reg, name=f"conv{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense, activation="relu", kernel_regularizer=reg, name="fc1")(x)
    x = layers.Dropout(dropout, name="fc1_dropout")(x)
    out = _predictions(x, num_classes)
    return keras.Model(image, out, name=name)


def _inception_module(x, filters, name, l2):
    """Four parallel paths: 1x1; 1x1 then 3x3; 1x1 then two 3x3 (a 5x5's field); 3x3 max pooling then 1x1."""
    f1, f3r, f3, f5r, f5, fp = filters
    a = _conv_bn(x, f1, 1, f"{name}_1x1", l2=l2)
    b = _conv_bn(_conv_bn(x, f3r, 1, f"{name}_3x3_reduce", l2=l2), f3, 3, f"{name}_3x3", l2=l2)
    c = _conv_bn(x, f5r, 1, f"{name}_5x5_reduce", l2=l2)
    c = _conv_bn(_conv_bn(c, f5, 3, f"{name}_5x5a", l2=l2), f5, 3, f"{name}_5x5b", l2=l2)
    d = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    d = _conv_bn(d, fp, 1, f"{name}_pool_proj", l2=l2)
    return layers.Concatenate(name=f"{name}_concat")([a, b, c, d])


def build_inception(input_shape=_SHAPE, num_classes=7, *, stem=64, dropout=0.4, l2=1e-4, augment=True, seed=None, name="inception"):
    """A GoogLeNet-style network: a 3x3 stem, then inception modules at 24x24, 12x12 and 6x6."""
    _check(input_shape, num_classes)
    image, x = _image_input(input_shape, augment, seed)
    x = _conv_bn(x, stem, 3, "stem", l2=l2)
    stages = {
        "a": [(32, 48, 64, 8, 16, 16), (64, 64, 96, 16, 48, 32)],
        "b": [(96, 48, 104, 8, 24, 32), (80, 56, 112, 12, 32, 32)],
        "c": [(128, 80, 160, 16, 64, 64)],
    }
    for stage, modules in stages.items():
        x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{stage}_reduce")(x)
        for i, filters in enumerate(modules, start=1):
            x = _inception_module(x, filters, f"inception_{stage}{i}", l2)
    return _head(x, num_classes, dropout, name, image)


def build_dexpression(input_shape=_SHAPE, num_classes=7, *, dropout=0.4, l2=1e-4, augment=True, seed=None, name="dexpression"):
    """DeXpression (Burkert et al. 2015): a 7x7 stem and two FeatEx blocks.

    A FeatEx block runs a 1x1 then 3x3 convolution beside a 3x3 max pooling then
    1x1 convolution and concatenates them. Batch normalisation stands in for the
    paper's local response normalisation; the stem has stride 1 (48x48 faces, not 224x224).
    """
    _check(input_shape, num_classes)
    image, x = _image_input(input_shape, augment, seed)
    x = _conv_bn(x, 64, 7, "stem", l2=l2)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for block in (1, 2):
        a = _conv_bn(_conv_bn(x, 96, 1, f"featex{block}_reduce", l2=l2), 208, 3, f"featex{block}_3x3", l2=l2)
        b = layers.MaxPooling2D(3, strides=1, padding="same", name=f"featex{block}_pool")(x)
        b = _conv_bn(b, 64, 1, f"featex{block}_pool_proj", l2=l2)
        x = layers.Concatenate(name=f"featex{block}_concat")([a, b])
        x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"featex{block}_out_pool")(x)
    return _head(x, num_classes, dropout, name, image)


def build_network(architecture, input_shape=_SHAPE, **params):
    """The image-only network named ``architecture``: ``"xception"``, ``"simple-cnn"``, ``"resnet18"``,
    ``"resnet34"``, ``"vgg"``, ``"wider-cnn"``, ``"inception"`` or ``"dexpression"``; ``params`` go to its builder."""
    from hogfer.deep.models import build_simple_cnn, build_xception

    builders = {"xception": build_xception, "simple-cnn": build_simple_cnn, "vgg": build_vgg, "wider-cnn": build_wider_cnn,
                "inception": build_inception, "dexpression": build_dexpression}
    if architecture in ("resnet18", "resnet34"):
        return build_resnet(input_shape, depth=int(architecture[len("resnet"):]), **params)
    if architecture not in builders:
        raise ValueError(f"unknown architecture {architecture!r}; known: {', '.join(sorted([*builders, 'resnet18', 'resnet34']))}.")
    return builders[architecture](input_shape, **params)
