"""Keras networks inside scikit-learn estimators' state: architecture (JSON) and weights.

skops stores plain data without pickle, so an estimator's Keras model travels as
``<name>_json_`` and ``<name>_weights_`` (no optimizer state) and is rebuilt on load.
"""

import numpy as np


def pack_network(state, attr):
    """Replace the Keras model ``state[attr]`` (e.g. ``"model_"``) by its JSON and weights, in place."""
    model = state.pop(attr, None)
    if model is not None:
        stem = attr.rstrip("_")
        state[f"{stem}_json_"] = model.to_json()
        state[f"{stem}_weights_"] = [np.asarray(w) for w in model.get_weights()]
    return state


def unpack_network(state, attr):
    """Inverse of :func:`pack_network`: rebuild ``state[attr]`` from its JSON and weights, in place."""
    stem = attr.rstrip("_")
    config = state.pop(f"{stem}_json_", None)
    weights = state.pop(f"{stem}_weights_", None)
    if config is not None:
        import keras

        from hogfer.deep.layers import RandomErasing  # noqa: F401  (importing it registers the custom layer)

        model = keras.models.model_from_json(config)
        model.set_weights([np.asarray(w) for w in weights])
        state[attr] = model
    return state
