"""Keras networks inside scikit-learn estimators' state: architecture (JSON) and weights.

skops stores plain data without pickle, so an estimator's Keras model travels as
``<name>_json_`` and ``<name>_weights_`` (no optimizer state) and is rebuilt on load.
"""

import numpy as np


def pack_network(state, attr):
    """Replace the Keras model ``state[attr]`` (e.g. ``"model_"``) by its JSON and weights, in place.

    Where ``state["keras_weights_dtype_"]`` is ``"float16"``, float32 weights are
    stored in half precision (half the size; :func:`unpack_network` widens them again).
    """
    model = state.pop(attr, None)
    if model is not None:
        stem = attr.rstrip("_")
        half = state.get("keras_weights_dtype_") == "float16"
        state[f"{stem}_json_"] = model.to_json()
        state[f"{stem}_weights_"] = [_halved(np.asarray(w)) if half else np.asarray(w) for w in model.get_weights()]
    return state


def _halved(weight):
    return weight.astype(np.float16) if weight.dtype == np.float32 else weight


def unpack_network(state, attr):
    """Inverse of :func:`pack_network`: rebuild ``state[attr]`` from its JSON and weights, in place."""
    stem = attr.rstrip("_")
    config = state.pop(f"{stem}_json_", None)
    weights = state.pop(f"{stem}_weights_", None)
    if config is not None:
        import keras

        from hogfer.deep.layers import RandomErasing  # noqa: F401  (importing it registers the custom layer)

        model = keras.models.model_from_json(config)
        arrays = [np.asarray(w) for w in weights]
        model.set_weights([w.astype(np.float32) if w.dtype == np.float16 else w for w in arrays])
        state[attr] = model
    return state


# Parameters and attributes added after some models were saved, with the values that
# reproduce those models: the engine, the schedule and init_from, distillation,
# snapshot ensembles, the optimizer, the time limit; the 8-bit copy (and its 7-bit weights, whose
# absence means full 8-bit ones; its first convolution in float).
_OLD_PARAMETERS = {"engine": "auto", "lr_schedule": "plateau", "init_from": None, "distill_from": None,
                   "distill_weight": 0.5, "snapshots": None, "optimizer": "adam", "time_limit": None,
                   "precision": "float32", "warmup_epochs": 0}
_OLD_FITTED = {"precision_": "float32", "onnx_int8_model_": None, "onnx_int8_agreement_": None, "onnx_int8_reduce_range_": None,
               "onnx_int8_float_stem_": False}


def fill_old_state(state):
    """Give the state of a model saved by an older hogfer the parameters it lacks, in place."""
    for key, value in _OLD_PARAMETERS.items():
        state.setdefault(key, value)
    if "model_" in state or "model_json_" in state:
        for key, value in _OLD_FITTED.items():
            state.setdefault(key, value)
    return state
