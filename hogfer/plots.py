"""Figures hogfer writes: class distributions, confusion matrices, accuracy bars, histories.

Every function draws with matplotlib's non-interactive Agg backend and writes
its file atomically.
"""

import numpy as np

from hogfer._io import atomic_path

__all__ = ["plot_class_distribution", "plot_confusion_grid", "plot_accuracy_bars", "plot_history", "plot_explanations", "plot_timeline"]


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


def plot_confusion_grid(rows, emotions, path):
    """Write a grid of row-normalized confusion matrices, one per benchmark row."""
    from hogfer.metrics import confusion_normalized

    plt = _pyplot()
    n = len(rows)
    cols = min(4, n)
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 3.2 * nrows), squeeze=False, constrained_layout=True)
    short = [e[:3] for e in emotions]
    for ax, row in zip(axes.flat, rows):
        m = confusion_normalized(row["confusion_matrix"])
        ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
        for i in range(len(emotions)):
            for j in range(len(emotions)):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6, color="white" if m[i, j] > 0.5 else "black")
        ax.set_xticks(range(len(emotions)), short, fontsize=7)
        ax.set_yticks(range(len(emotions)), short, fontsize=7)
        ax.set_title(f"{row['pipeline']} ({100 * row['accuracy']:.1f}%)", fontsize=9)
        ax.set_xlabel("predicted", fontsize=7)
        ax.set_ylabel("true", fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def plot_accuracy_bars(rows, path):
    """Write a bar chart of PrivateTest accuracy per pipeline, with the seeds' figures beside."""
    plt = _pyplot()
    names = [r["pipeline"] for r in rows]
    acc = [100 * r["accuracy"] for r in rows]
    seeds = [100 * r["seed_accuracy"] if r.get("seed_accuracy") is not None else np.nan for r in rows]
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2), constrained_layout=True)
    bars = ax.barh(y, acc, 0.4, label="hogfer")
    ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    ax.barh(y + 0.4, seeds, 0.4, label="seeds' reported", color="lightgray")
    ax.set_yticks(y + 0.2, names)
    ax.invert_yaxis()
    ax.set_xlabel("PrivateTest accuracy (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / max(len(rows), 1)), ncol=2, fontsize=8, frameon=False)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def plot_history(history, path, *, title="training"):
    """Write loss and accuracy per epoch, training and validation, side by side."""
    plt = _pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5), constrained_layout=True)
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        for prefix, style in (("", "-"), ("val_", "--")):
            if history.get(prefix + key):
                ax.plot(epochs, history[prefix + key], style, label=("validation " if prefix else "training ") + key)
        ax.set_xlabel("epoch")
        ax.set_title(f"{title}: {key}")
        ax.legend(fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def plot_explanations(items, emotions, path):
    """Write one row per face: the aligned face, its Grad-CAM overlay, and the probabilities.

    ``items`` holds dicts with ``face`` (48x48), ``heatmap`` (48x48, 0..1),
    ``probabilities`` and ``class_index``.
    """
    plt = _pyplot()
    n = len(items)
    fig, axes = plt.subplots(n, 3, figsize=(8, 2.8 * n), squeeze=False, constrained_layout=True)
    for (ax_face, ax_cam, ax_bar), item in zip(axes, items):
        ax_face.imshow(item["face"], cmap="gray", vmin=0, vmax=255)
        ax_face.set_title("aligned face", fontsize=9)
        ax_cam.imshow(item["face"], cmap="gray", vmin=0, vmax=255)
        ax_cam.imshow(item["heatmap"], cmap="jet", alpha=0.45, vmin=0, vmax=1)
        ax_cam.set_title(f"Grad-CAM: {emotions[item['class_index']]}", fontsize=9)
        for ax in (ax_face, ax_cam):
            ax.axis("off")
        y = np.arange(len(emotions))
        ax_bar.barh(y, item["probabilities"], color=["tab:orange" if i == item["class_index"] else "tab:blue" for i in y])
        ax_bar.set_yticks(y, emotions, fontsize=8)
        ax_bar.invert_yaxis()
        ax_bar.set_xlim(0, 1)
        ax_bar.set_title("probability", fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def plot_timeline(rows, emotions, path, *, max_faces=4):
    """Write each face's emotion probabilities over time, with its blinks and winks marked.

    Parameters
    ----------
    rows : list of dict
        :func:`hogfer.apps.analyze.analyze_video`'s rows (or ``analyze_images``':
        the x axis is then the image's index).
    emotions : sequence of str
        The probability columns (``p_<emotion>``) to draw.
    path : str or path-like
        Output image (PNG, SVG or PDF by suffix).
    max_faces : int, default=4
        Faces drawn, those seen in the most rows first.
    """
    plt = _pyplot()
    ids = sorted({r["face_id"] for r in rows}, key=lambda i: -sum(r["face_id"] == i for r in rows))[:max_faces]
    fig, axes = plt.subplots(max(len(ids), 1), 1, figsize=(10, 2.4 * max(len(ids), 1) + 0.6), sharex=True, squeeze=False,
                             constrained_layout=True)
    timed = bool(rows) and rows[0]["time_s"] != ""
    colors = dict(zip(emotions, plt.get_cmap("tab10").colors))
    for ax, face_id in zip(axes[:, 0], ids):
        own = [r for r in rows if r["face_id"] == face_id]
        x = np.array([r["time_s"] if timed else r["frame"] for r in own], dtype=float)
        for e in emotions:
            ax.plot(x, [r[f"p_{e}"] for r in own], lw=1.2, color=colors[e], label=e)
        for r, t in zip(own, x):
            for event in filter(None, r["event"].split(";")):
                ax.axvline(t, color="black" if event == "blink" else "grey", ls="-" if event == "blink" else "--", lw=0.8)
                ax.text(t, 1.02, event.replace("_", " "), fontsize=6, rotation=90, va="bottom", ha="center")
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"face {face_id}")
    if not ids:
        axes[0, 0].text(0.5, 0.5, "no face found", ha="center", va="center", transform=axes[0, 0].transAxes)
    if emotions and ids:
        axes[0, 0].legend(fontsize=7, ncol=min(len(emotions), 7), loc="lower left", bbox_to_anchor=(0, 1.12))
    axes[-1, 0].set_xlabel("seconds" if timed else "image")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
