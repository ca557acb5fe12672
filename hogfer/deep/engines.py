"""What runs a trained :class:`~hogfer.deep.KerasFERClassifier`'s network: Keras or its ONNX copies.

:func:`compile_onnx` attaches the float and the 8-bit ONNX copies, each
checked against Keras; :func:`choose_network` picks, for the classifier's
``engine``, what predicts (onnxruntime on a copy, or Keras) and the batch size
it runs best at.
"""

import logging

import numpy as np

__all__ = ["compile_onnx", "choose_network", "int8_copy_exact_here"]

logger = logging.getLogger(__name__)


def compile_onnx(clf, X_check, *, X_calibration=None, keep_float=True, min_agreement=0.97):
    """:meth:`KerasFERClassifier.compile_onnx <hogfer.deep.KerasFERClassifier.compile_onnx>` (see there); returns ``clf``."""
    from hogfer.deep.onnx import OnnxNetwork, QuantizationError, export_onnx, int8_full_range_exact, quantize_onnx

    if not keep_float and X_calibration is None:
        raise ValueError("keep_float=False needs X_calibration (the 8-bit copy is then the only one).")
    images, features = clf._predict_inputs(X_check)
    check_inputs = clf._inputs(images, features)
    onnx_bytes, diff = export_onnx(clf.inference_network(), check_inputs)
    int8_bytes = agreement = int8_diff = reduce_range = float_stem = None
    if X_calibration is not None:
        calibration_inputs = clf._inputs(*clf._predict_inputs(X_calibration))
        expected = OnnxNetwork(onnx_bytes)(check_inputs)

        def checked_copy(reduce_range, float_stem=False):
            copy = quantize_onnx(onnx_bytes, calibration_inputs, reduce_range=reduce_range, float_stem=float_stem)
            got = OnnxNetwork(copy)(check_inputs)
            agree = float(np.mean(got.argmax(axis=1) == expected.argmax(axis=1)))
            return copy, agree, float(np.abs(got - expected).max()), reduce_range, float_stem

        # 7-bit weights: the same integers on every CPU. Full 8-bit weights only where
        # this CPU computes them exactly, and then they run only on such CPUs (_network).
        # Last, 7-bit weights with the first convolution kept in float.
        int8_bytes, agreement, int8_diff, reduce_range, float_stem = checked_copy(True)
        if agreement < min_agreement and int8_full_range_exact():
            full = checked_copy(False)
            if full[1] > agreement:
                int8_bytes, agreement, int8_diff, reduce_range, float_stem = full
        if agreement < min_agreement:
            stem = checked_copy(True, float_stem=True)
            if stem[1] > agreement:
                int8_bytes, agreement, int8_diff, reduce_range, float_stem = stem
        if agreement < min_agreement:
            raise QuantizationError(
                f"the 8-bit copy predicts Keras' class on {agreement:.1%} of the check faces (< {min_agreement:.0%})."
            )
    clf.onnx_model_ = onnx_bytes if keep_float else None
    clf.onnx_max_abs_diff_ = diff
    clf.onnx_int8_model_ = int8_bytes
    clf.onnx_int8_agreement_ = agreement
    clf.onnx_int8_max_abs_diff_ = int8_diff
    clf.onnx_int8_reduce_range_ = reduce_range
    clf.onnx_int8_float_stem_ = float_stem
    clf.__dict__.pop("_onnx_session", None)
    return clf


def choose_network(clf):
    """What runs the network, and how many images it takes best per call.

    onnxruntime runs fastest on small batches here (its activations stay in
    cache: see benchmarks/inference.md); Keras' ``predict`` batches itself.
    """
    from hogfer.deep.parameters import ENGINES

    if clf.engine not in ENGINES:  # set_params after fit is not validated
        raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}; got {clf.engine!r}.")
    copies = {"onnx-int8": getattr(clf, "onnx_int8_model_", None), "onnx": getattr(clf, "onnx_model_", None)}
    wanted = {"auto": ["onnx-int8", "onnx"], "onnx": ["onnx"], "onnx-int8": ["onnx-int8"], "keras": []}[clf.engine]
    saturating = "onnx-int8" in wanted and copies["onnx-int8"] is not None and not int8_copy_exact_here(clf)
    if saturating and clf.engine == "auto":  # a full-range copy off a VNNI CPU: the float copy, or Keras
        wanted = ["onnx"]
    which = next((w for w in wanted if copies[w] is not None), None)
    if saturating and clf.engine not in clf.__dict__.setdefault("_warned_int8", set()):
        clf._warned_int8.add(clf.engine)  # once per engine: auto's notice does not silence onnx-int8's warning
        logger.log(  # auto's fallback is by design; running the copy anyway is worth a warning
            logging.INFO if clf.engine == "auto" else logging.WARNING,
            "this model's 8-bit copy has full 8-bit weights, which this CPU (x86 without VNNI) can saturate; %s",
            f"predicting with {'its float ONNX copy' if which else 'Keras'} instead" if clf.engine == "auto"
            else "its predictions may differ from the checked ones (engine='auto' avoids it)",
        )
    if which is not None:
        from hogfer.deep.onnx import OnnxNetwork, onnx_available

        if onnx_available():
            cached = clf.__dict__.get("_onnx_session")
            if cached is None or cached[0] != which:
                clf._onnx_session = cached = (which, OnnxNetwork(copies[which]))
            return cached[1], 32
    if clf.engine != "auto" and clf.engine != "keras":
        raise RuntimeError(
            f"engine={clf.engine!r} needs onnxruntime and a model with that ONNX copy (compile_onnx)."
        )
    import keras

    model = clf.model_

    def run(inputs):
        n = len(inputs["image"] if isinstance(inputs, dict) else inputs)
        if n <= 64:  # predict() costs tens of milliseconds per call; a direct call does not
            return keras.ops.convert_to_numpy(model(inputs, training=False))
        return model.predict(inputs, batch_size=256, verbose=0)

    return run, 1024


def int8_copy_exact_here(clf):
    """Whether this CPU computes the 8-bit copy as the CPU that checked it did.

    Copies with 7-bit weights do on every CPU; those with full 8-bit weights
    (and those saved before the choice was recorded) only where
    :func:`~hogfer.deep.onnx.int8_full_range_exact` holds.
    """
    from hogfer.deep.onnx import int8_full_range_exact

    return bool(getattr(clf, "onnx_int8_reduce_range_", None)) or int8_full_range_exact()
