"""ONNX export of hogfer's Keras networks and inference with onnxruntime.

The Keras network stays the source of truth: :func:`inference_network`
rebuilds it without the augmentation layers (they are inactive at inference
but their random ops have no ONNX equivalent), :func:`export_onnx` converts
that network with Keras' own exporter (``Model.export(format="onnx")``, which
uses ``tf2onnx`` under TensorFlow and ``torch.onnx`` under PyTorch) and checks
that onnxruntime gives the same probabilities, and :class:`OnnxNetwork` runs
the result. On a small CPU onnxruntime is much faster than Keras for a single
face, which is what the live app asks for; see ``benchmarks/inference.md``.
"""

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["inference_network", "export_onnx", "OnnxNetwork", "onnx_available"]

logger = logging.getLogger(__name__)


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

    def __call__(self, inputs):
        """Probabilities for ``inputs`` (an array, or a dict keyed by the Keras input names)."""
        if not isinstance(inputs, dict):
            feeds = {self.input_names[0]: np.asarray(inputs, dtype="float32")}
        else:
            # Exporters may rename inputs ("image" -> "image_1"); match by prefix, then by order.
            feeds = {}
            for name in self.input_names:
                key = next((k for k in inputs if name == k or name.startswith(k)), None)
                if key is None:
                    raise ValueError(f"no input for ONNX input {name!r}; got {sorted(inputs)}.")
                feeds[name] = np.asarray(inputs[key], dtype="float32")
        return self.session.run(None, feeds)[0]
