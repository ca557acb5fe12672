"""What a network costs to run: multiply-accumulates per image, and the CPU's rate.

A network's inference cost on a CPU is set, to first order, by its
multiply-accumulates (MACs): one MAC is one ``a * b + c``, two floating-point
operations. :func:`count_macs` counts them layer by layer from the Keras model
(the source of truth, whatever its engine), and :func:`matmul_rate` measures how
many float32 MACs a second this machine's cores do on the kind of work that uses
them best, a large matrix product. Their ratio bounds the throughput of any
float engine on that machine: a network of ``m`` MACs an image cannot run
faster than ``matmul_rate() / m`` images a second, whatever the runtime.

References
----------
.. [1] A. G. Howard et al., "MobileNets: Efficient Convolutional Neural
       Networks for Mobile Vision Applications", arXiv:1704.04861, 2017
       (section 3.1 counts the cost of depthwise-separable convolutions so).
.. [2] S. Williams, A. Waterman, D. Patterson, "Roofline: an insightful visual
       performance model for multicore architectures", Commun. ACM 52(4), 2009.
"""

import math
import time

import numpy as np

__all__ = ["count_macs", "matmul_rate"]


def _spatial(shape, data_format):
    """The spatial sizes of a ``(batch, ...)`` shape, channels first or last."""
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


def _channels(shape, data_format):
    return shape[1] if data_format == "channels_first" else shape[-1]


def _layer_macs(layer):
    """Multiply-accumulates of one call of ``layer`` on one sample (0 for layers without any)."""
    from keras import layers

    if isinstance(layer, layers.Dense):
        inputs = tuple(layer.input.shape)
        return math.prod(inputs[1:-1]) * inputs[-1] * layer.units
    transposed = (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose)
    if not isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Conv3D, layers.DepthwiseConv2D,
                              layers.SeparableConv2D) + transposed):
        return 0
    fmt = layer.data_format
    inputs, outputs = tuple(layer.input.shape), tuple(layer.output.shape)
    c_in, kernel = _channels(inputs, fmt), math.prod(layer.kernel_size)
    if isinstance(layer, layers.DepthwiseConv2D):
        return math.prod(_spatial(outputs, fmt)) * c_in * layer.depth_multiplier * kernel
    if isinstance(layer, layers.SeparableConv2D):
        depthwise_channels = c_in * layer.depth_multiplier
        positions = math.prod(_spatial(outputs, fmt))
        return positions * depthwise_channels * (kernel + layer.filters)
    if isinstance(layer, transposed):  # every input pixel scatters a kernel
        return math.prod(_spatial(inputs, fmt)) * c_in * kernel * layer.filters
    groups = getattr(layer, "groups", 1) or 1
    return math.prod(_spatial(outputs, fmt)) * (c_in // groups) * kernel * layer.filters


def count_macs(model, *, per_layer=False):
    """Multiply-accumulates of one forward pass of ``model`` on one sample.

    Counts the layers that hold nearly all of a CNN's arithmetic: dense,
    convolution (grouped and transposed too), depthwise and depthwise-separable
    convolution. Batch normalization (folded into the convolution before it by
    inference runtimes), activations, pooling, additions and the augmentation
    layers (inactive at inference) are not counted; nor is work outside the
    network, such as the hybrid's HOG and landmark features.

    Parameters
    ----------
    model : keras.Model
        A built model; nested models (a block built as its own ``keras.Model``)
        are counted through.
    per_layer : bool, default=False
        Also return each counted layer's share.

    Returns
    -------
    macs : int
        Multiply-accumulates per sample (one image, or one image and its
        features for a two-input model).
    layers : dict of str to int
        Only with ``per_layer=True``: MACs of each layer that has any, by
        layer name, in the model's order.

    Notes
    -----
    A convolution with ``f`` filters of ``k x k`` over ``c`` channels costs
    ``h * w * c * k * k * f`` MACs for an ``h x w`` output; its depthwise-
    separable form ``h * w * c * (k * k + f)`` [1]_.

    References
    ----------
    .. [1] A. G. Howard et al., "MobileNets", arXiv:1704.04861, 2017.

    Examples
    --------
    >>> from hogfer.deep import build_xception, count_macs
    >>> count_macs(build_xception()) > 10**8
    True
    """
    import keras

    counts = {}

    def visit(m):
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                visit(layer)
            else:
                macs = _layer_macs(layer)
                if macs:
                    counts[layer.name] = int(macs)

    if not isinstance(model, keras.Model):
        raise TypeError(f"count_macs needs a keras.Model; got {type(model).__name__}.")
    visit(model)
    total = sum(counts.values())
    return (total, counts) if per_layer else total


def matmul_rate(size=2048, seconds=2.0):
    """Float32 multiply-accumulates per second of a large matrix product on this machine.

    Times ``a @ b`` for two ``size x size`` float32 matrices with NumPy's BLAS on
    all the threads it is allowed, repeated for about ``seconds`` after a warm-up.
    A large product is close to the best a CPU's vector units do, so this is a
    practical ceiling (not the datasheet peak) for any float network on it.

    Parameters
    ----------
    size : int, default=2048
        Side of the square matrices.
    seconds : float, default=2.0
        How long to repeat the product.

    Returns
    -------
    float
        MACs per second (``size**3`` per product).
    """
    if size < 1 or not seconds > 0:
        raise ValueError(f"size must be >= 1 and seconds > 0; got {size!r} and {seconds!r}.")
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b
    products, start = 0, time.perf_counter()
    while True:
        a @ b
        products += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return products * size**3 / elapsed
