"""Figures hogfer writes: class distributions, confusion matrices, accuracy bars, histories.

Every function draws with matplotlib's non-interactive Agg backend and writes
its file atomically.
"""

import numpy as np

from ._io import atomic_path

__all__ = ["plot_class_distribution"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_class_distribution(counts, emotions, path, *, title="FER2013 class distribution"):
    """Write a grouped bar chart of faces per class and usage.

    Parameters
    ----------
    counts : dict of str to array-like of int
        ``{usage: counts per class}``, as :meth:`FERDataset.class_counts` returns.
    emotions : sequence of str
        Class names, index = label.
    path : str or path-like
        Output image (PNG, SVG or PDF by suffix).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    x = np.arange(len(emotions))
    width = 0.8 / max(len(counts), 1)
    for i, (usage, values) in enumerate(counts.items()):
        bars = ax.bar(x + (i - (len(counts) - 1) / 2) * width, values, width, label=usage)
        ax.bar_label(bars, fontsize=6, padding=1)
    ax.set_xticks(x, emotions)
    ax.set_ylabel("faces")
    ax.set_title(title)
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
