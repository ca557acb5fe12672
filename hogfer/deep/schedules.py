"""Learning-rate schedules of the deep recipe: cosine decay, and cosine cycles with restarts (snapshot ensembles)."""

import math

import numpy as np

__all__ = ["MIN_LEARNING_RATE", "cosine_learning_rate", "budget_end", "snapshot_epochs", "snapshot_learning_rate"]

MIN_LEARNING_RATE = 1e-6


def cosine_learning_rate(epoch, epochs, learning_rate, warmup_epochs=0):
    """The learning rate of (0-based) ``epoch``: cosine decay from ``learning_rate`` to 1e-6 over ``epochs``.

    With ``warmup_epochs``, the first ones rise linearly to ``learning_rate``
    (epoch ``i`` at ``(i + 1) / (warmup_epochs + 1)`` of it), and the decay takes the epochs after them.
    """
    if epoch < warmup_epochs:
        return learning_rate * (epoch + 1) / (warmup_epochs + 1)
    progress = min((epoch - warmup_epochs) / max(epochs - warmup_epochs, 1), 1.0)
    return MIN_LEARNING_RATE + (learning_rate - MIN_LEARNING_RATE) * 0.5 * (1.0 + math.cos(math.pi * progress))


def budget_end(end, done, seconds, time_limit):
    """The epoch a run planned to end at ``end`` ends at within ``time_limit`` seconds of training.

    ``done`` epochs have taken ``seconds`` (one entry per epoch, a resumed
    run's earlier parts included); the run keeps as many more as fit in what is
    left of ``time_limit`` at their mean time, never fewer than none and never
    past ``end``. Without a limit, or before any epoch is timed, ``end``.
    """
    if time_limit is None or not seconds:
        return end
    mean = sum(seconds) / len(seconds)
    fit = math.floor((time_limit - sum(seconds)) / mean) if mean > 0 else end
    return max(done, min(end, done + fit))


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
