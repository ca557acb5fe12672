"""ONNX export of hogfer's Keras networks and inference with onnxruntime.

The Keras network stays the source of truth: :func:`inference_network`
rebuilds it without the augmentation layers (they are inactive at inference
but their random ops have no ONNX equivalent), :func:`export_onnx` converts
that network with Keras' own exporter (``Model.export(format="onnx")``, which
uses ``tf2onnx`` under TensorFlow and ``torch.onnx`` under PyTorch) and checks
that onnxruntime gives the same probabilities, :func:`quantize_onnx` makes an
8-bit copy calibrated on real faces, and :class:`OnnxNetwork` runs either. On
a small CPU onnxruntime is much faster than Keras for a single face, and the
8-bit copy faster again; see ``benchmarks/inference.md``.

References
----------
.. [1] B. Jacob et al., "Quantization and Training of Neural Networks for
       Efficient Integer-Arithmetic-Only Inference", CVPR 2018.
.. [2] onnxruntime, "Quantize ONNX models",
       https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html
"""

import functools
import logging
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["inference_network", "export_onnx", "quantize_onnx", "int8_full_range_exact", "OnnxNetwork", "onnx_available"]

logger = logging.getLogger(__name__)


class QuantizationError(RuntimeError):
    """An 8-bit copy that predicts Keras' class too seldom on the check faces."""


def onnx_available(*, export=False):
    """Whether onnxruntime (and, with ``export=True``, an ONNX exporter) can be imported."""
    import importlib.util

    names = ["onnxruntime"] + (["onnx", "tf2onnx"] if export else [])
    return all(importlib.util.find_spec(n) is not None for n in names)


def inference_network(model, rebuild):
    """The network ``model`` without its augmentation layers, same weights.

    Parameters
    ----------
    model : keras.Model
        A trained hogfer network (with or without an ``"augment"`` block).
    rebuild : callable
        ``rebuild()`` returns the same architecture built with ``augment=False``.

    Returns
    -------
    keras.Model
        A model with the same layer names (less the augmentation) whose
        weights are copies of ``model``'s.
    """
    names = {layer.name for layer in model.layers}
    if "augment" not in names:
        return model
    network = rebuild()
    for layer in network.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return network


def export_onnx(network, sample_inputs, *, atol=1e-4):
    """Convert a Keras network to ONNX and check it against Keras.

    Parameters
    ----------
    network : keras.Model
        An inference network (see :func:`inference_network`).
    sample_inputs : ndarray or dict of ndarray
        A batch of real inputs; both runtimes must agree on it.
    atol : float, default=1e-4
        Largest absolute difference of probabilities allowed.

    Returns
    -------
    onnx_bytes : bytes
        The serialized ONNX model.
    max_abs_diff : float
        Largest difference between Keras' and onnxruntime's probabilities on
        ``sample_inputs``.

    Raises
    ------
    ImportError
        Without onnx, tf2onnx (TensorFlow backend) or onnxruntime.
    RuntimeError
        If the two runtimes disagree by more than ``atol``.
    """
    expected = np.asarray(network.predict(sample_inputs, verbose=0))
    with tempfile.TemporaryDirectory(prefix="hogfer-onnx-") as tmp:
        path = Path(tmp) / f"{network.name}.onnx"
        network.export(str(path), format="onnx", verbose=False)
        onnx_bytes = path.read_bytes()
    got = OnnxNetwork(onnx_bytes)(sample_inputs)
    diff = float(np.abs(got - expected).max())
    if not diff <= atol:
        raise RuntimeError(f"ONNX export of {network.name} differs from Keras by {diff:.2e} (> {atol:.0e}).")
    logger.info("%s: ONNX export %.1f MB, max |diff| vs Keras %.1e", network.name, len(onnx_bytes) / 1e6, diff)
    return onnx_bytes, diff


def quantize_onnx(onnx_bytes, calibration_inputs, *, reduce_range=True, float_stem=False, batch_size=32):
    """An 8-bit copy of an ONNX network, calibrated on real inputs.

    Static quantization [1]_ [2]_ in QDQ form: weights as signed integers with
    one scale per output channel, activations as unsigned 8-bit integers whose
    ranges are the minimum and maximum seen on ``calibration_inputs``.
    onnxruntime then runs convolutions and matrix products in integer
    arithmetic (VNNI instructions where the CPU has them).

    On x86 CPUs without VNNI (AVX2, or AVX-512 without VNNI), onnxruntime
    multiplies unsigned 8-bit activations by signed 8-bit weights with an
    instruction that adds pairs of products into 16 bits and saturates: with
    full 8-bit weights the sum can overflow, so the same copy predicts
    differently there than on the CPU that checked it [2]_. With
    ``reduce_range=True`` (the default) weights keep 7 bits, the sums always
    fit, and the copy computes the same integers on every CPU.

    Parameters
    ----------
    onnx_bytes : bytes
        A float network written by :func:`export_onnx`.
    calibration_inputs : ndarray or dict of ndarray
        Inputs as the network takes them, a few hundred faces drawn from the
        training data (not from the data the copy will be scored on).
    reduce_range : bool, default=True
        7-bit weights, exact on every CPU; False gives 8-bit weights, which
        are exact only where :func:`int8_full_range_exact` holds.
    float_stem : bool, default=False
        Keep the network's first convolution (on the raw pixels) in float: the
        layer most sensitive to 8 bits, and one of its cheapest.
    batch_size : int, default=32
        Faces per calibration call.

    Returns
    -------
    bytes
        The serialized 8-bit network (about a third of the float one's size).

    Raises
    ------
    ImportError
        Without ``onnx`` (the ``export`` extra); running the copy needs only onnxruntime.
    """
    import onnx  # onnxruntime.quantization needs it too: a clear ImportError here
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    feeds = OnnxNetwork(onnx_bytes).feeds(calibration_inputs)
    n = len(next(iter(feeds.values())))
    if n < 1:
        raise ValueError("quantize_onnx needs at least one calibration input.")

    class _Batches(CalibrationDataReader):
        def __init__(self):
            self._batches = iter([{k: v[i : i + batch_size] for k, v in feeds.items()} for i in range(0, n, batch_size)])

        def get_next(self):
            return next(self._batches, None)

    with tempfile.TemporaryDirectory(prefix="hogfer-int8-") as tmp:
        source, prepared, target = (Path(tmp) / f for f in ("float.onnx", "prepared.onnx", "int8.onnx"))
        source.write_bytes(onnx_bytes)
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        first_conv = None
        if float_stem:
            first_conv = next((node.name for node in onnx.load(str(prepared)).graph.node if node.op_type == "Conv"), None)
        quantize_static(
            str(prepared),
            str(target),
            _Batches(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            reduce_range=reduce_range,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=[first_conv] if first_conv else [],
        )
        return target.read_bytes()


@functools.cache
def int8_full_range_exact():
    """Whether this CPU runs 8-bit copies with full 8-bit weights without saturation.

    True off x86 (ARM's dot-product kernels do not saturate) and on x86 CPUs
    with VNNI or AMX; False on other x86 CPUs, and where the CPU's features
    cannot be read (outside Linux), to be safe. See :func:`quantize_onnx`.
    """
    from hogfer._env import _cpu_flags

    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return True
    flags = _cpu_flags() or []
    return any(flag in flags for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))


class OnnxNetwork:
    """An ONNX network run by onnxruntime on the CPU.

    Parameters
    ----------
    onnx_bytes : bytes
        A model written by :func:`export_onnx`.
    n_threads : int, default=None
        Intra-op threads; default: onnxruntime's choice (one per core), or
        ``$HOGFER_ONNX_THREADS``.
    """

    def __init__(self, onnx_bytes, n_threads=None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        n_threads = n_threads or int(os.environ.get("HOGFER_ONNX_THREADS", "0") or 0)
        if n_threads:
            options.intra_op_num_threads = n_threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]

    def feeds(self, inputs):
        """``inputs`` (an array, or a dict keyed by the Keras input names) keyed by the ONNX input names."""
        if not isinstance(inputs, dict):
            return {self.input_names[0]: np.asarray(inputs, dtype="float32")}
        # Exporters may rename inputs ("image" -> "image_1"); match by prefix.
        feeds = {}
        for name in self.input_names:
            key = next((k for k in inputs if name == k or name.startswith(k)), None)
            if key is None:
                raise ValueError(f"no input for ONNX input {name!r}; got {sorted(inputs)}.")
            feeds[name] = np.asarray(inputs[key], dtype="float32")
        return feeds

    def __call__(self, inputs):
        """Probabilities for ``inputs`` (an array, or a dict keyed by the Keras input names)."""
        return self.session.run(None, self.feeds(inputs))[0]
