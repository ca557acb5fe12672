"""Learning-rate schedules of the deep recipe: cosine decay, and cosine cycles with restarts (snapshot ensembles)."""

import math

import numpy as np

__all__ = ["MIN_LEARNING_RATE", "cosine_learning_rate", "snapshot_epochs", "snapshot_learning_rate"]

MIN_LEARNING_RATE = 1e-6


def cosine_learning_rate(epoch, epochs, learning_rate):
    """The learning rate of (0-based) ``epoch``: cosine decay from ``learning_rate`` to 1e-6 over ``epochs``."""
    progress = min(epoch / max(epochs, 1), 1.0)
    return MIN_LEARNING_RATE + (learning_rate - MIN_LEARNING_RATE) * 0.5 * (1.0 + math.cos(math.pi * progress))



def snapshot_epochs(epochs, snapshots):
    """The (1-based) epochs that end a cycle: where the snapshots are taken."""
    bounds = np.linspace(0, epochs, snapshots + 1).round().astype(int)
    return [int(b) for b in bounds[1:]]


def snapshot_learning_rate(epoch, epochs, snapshots, learning_rate):
    """The learning rate of (0-based) ``epoch``: cosine decay to 1e-6 within each cycle, restarting at ``learning_rate``."""
    ends = snapshot_epochs(epochs, snapshots)
    start = 0
    for end in ends:
        if epoch < end:
            progress = (epoch - start) / max(end - start, 1)
            return MIN_LEARNING_RATE + (learning_rate - MIN_LEARNING_RATE) * 0.5 * (1.0 + math.cos(math.pi * progress))
        start = end
    return MIN_LEARNING_RATE
