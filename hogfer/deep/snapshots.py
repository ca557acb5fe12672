"""Snapshot ensembles: one training run, several models, their predictions averaged.

With ``KerasFERClassifier(snapshots=M)`` the ``epochs`` are split into ``M``
cycles of cosine-annealed learning rate, each restarting from
``learning_rate`` (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent
with Warm Restarts", ICLR 2017). At the end of each cycle the network sits in
a different local minimum; its weights are kept (a *snapshot*), and the
trained model averages the snapshots' class probabilities (Huang et al.,
"Snapshot Ensembles: Train 1, Get M for Free", ICLR 2017), as one Keras
model: the members share the input and an ``Average`` layer named
``"predictions"`` joins them, so the ONNX copies and every engine run it like
any other network.
"""

import numpy as np

from hogfer.deep.schedules import snapshot_epochs, snapshot_learning_rate  # noqa: F401  (public here too)

__all__ = ["snapshot_learning_rate", "snapshot_epochs", "SnapshotLog", "snapshot_ensemble"]

_FILE = "snapshots.npz"


def _callback_base():
    import keras

    return keras.callbacks.Callback


class SnapshotLog(_callback_base()):
    """Keep the network's weights at the end of each cycle, in memory and in the checkpoint folder.

    Parameters
    ----------
    ends : list of int
        The (1-based) epochs whose weights are kept.
    checkpoint : pathlib.Path or None
        Folder of the run's checkpoint; a resumed run reads the snapshots
        taken before it from there.
    """

    def __init__(self, ends, checkpoint=None):
        super().__init__()
        self.ends, self.checkpoint, self.weights = list(ends), checkpoint, []
        if checkpoint is not None and (checkpoint / _FILE).exists():
            with np.load(checkpoint / _FILE) as stored:
                n_snapshots, n_arrays = (int(v) for v in stored["shape"])
                self.weights = [[stored[f"s{i}_{j}"] for j in range(n_arrays)] for i in range(n_snapshots)]

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 not in self.ends or len(self.weights) > self.ends.index(epoch + 1):
            return
        self.weights.append([np.array(w) for w in self.model.get_weights()])
        if self.checkpoint is not None:
            import os

            self.checkpoint.mkdir(parents=True, exist_ok=True)
            arrays = {f"s{i}_{j}": w for i, ws in enumerate(self.weights) for j, w in enumerate(ws)}
            tmp = self.checkpoint / "snapshots.tmp.npz"
            np.savez(tmp, shape=np.array([len(self.weights), len(self.weights[0])]), **arrays)
            os.replace(tmp, self.checkpoint / _FILE)


def snapshot_ensemble(weights, rebuild, name):
    """One Keras model that averages the class probabilities of networks with the given ``weights``.

    Parameters
    ----------
    weights : list of list of ndarray
        Each snapshot's weights, as ``model.get_weights()`` of the training network.
    rebuild : callable
        ``rebuild(augment)`` returns the architecture, with or without its
        augmentation layers.
    name : str
        The ensemble model's name.

    Returns
    -------
    keras.Model
        The network's inputs (``"image"``, and the hybrid's ``"features"``),
        output ``"predictions"`` (the mean of the members'), members ``snapshot1``, ...
    """
    import keras

    from hogfer.deep.onnx import inference_network

    trained = rebuild(True)
    members = []
    for k, snapshot in enumerate(weights, start=1):
        trained.set_weights(snapshot)
        network = inference_network(trained, lambda: rebuild(False))
        if network is trained:  # no augmentation block: copy, so that members do not share weights
            network = rebuild(False)
            network.set_weights(snapshot)
        inputs = network.inputs if len(network.inputs) > 1 else network.inputs[0]
        members.append(keras.Model(inputs, network.outputs[0], name=f"snapshot{k}"))
    inputs = [keras.Input(shape=t.shape[1:], name=t.name) for t in members[0].inputs]  # the image (and the hybrid's features)
    out = keras.layers.Average(name="predictions")([member(inputs if len(inputs) > 1 else inputs[0]) for member in members])
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], out, name=name)
