"""The plots a person looks at after a run, for all three trainers: predicted vs true, loss curves and
score histograms (scorer, emotion), score shifts (robustness), loss and test figures (detector),
confusion matrices (emotion)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from facepack import spec  # noqa: E402


def scatter(pred: np.ndarray, true: np.ndarray, subgroups: list[str], path: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    groups = np.asarray(subgroups)
    for group in sorted(set(subgroups)):
        m = groups == group
        ax.scatter(true[m], pred[m], s=6, alpha=0.5, label=group)
    ax.plot([1, 5], [1, 5], "k--", lw=1)
    ax.set(xlim=(1, 5), ylim=(1, 5), xlabel="true rating (mean of 60 raters)", ylabel="predicted rating (expected)",
           title=title)
    ax.legend(markerscale=3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def losses(history: dict, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    offset = 0
    for stage, h in history.items():
        epochs = np.arange(1, len(h["loss"]) + 1) + offset
        ax.plot(epochs, h["loss"], label=f"{stage} train")
        ax.plot(epochs, h["val_loss"], "--", label=f"{stage} validation")
        offset += len(h["loss"])
    ax.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def histograms(pred: np.ndarray, true: np.ndarray, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(1, 5, 41)
    ax.hist(true, bins=bins, alpha=0.6, label="true")
    ax.hist(pred, bins=bins, alpha=0.6, label="predicted (expected)")
    ax.set(xlabel="rating", ylabel="test images", title="score distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def robustness(conditions: dict, path: Path, title: str) -> None:
    """Mean and 95th-percentile score shift per photo change, with Pearson beside each bar."""
    names = list(conditions)
    mean = [conditions[n]["shift_mean"] for n in names]
    p95 = [conditions[n]["shift_p95"] for n in names]
    y = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(names) + 1.4))
    ax.barh(y + 0.2, p95, height=0.4, color="#f4a582", label="95th percentile")
    ax.barh(y - 0.2, mean, height=0.4, color="#2166ac", label="mean")
    for i, n in enumerate(names):
        ax.text(max(p95[i], mean[i]) + 0.2, y[i], f"PC {conditions[n]['pc']:.3f}", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set(xlabel="score shift from the unchanged photo (points, 0-100)", title=title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def detector_losses(histories: dict, path: Path) -> None:
    """Training and validation loss of each net of a detector run, one panel per net."""
    fig, axes = plt.subplots(1, len(histories), figsize=(4 * len(histories), 3.4), squeeze=False)
    for ax, (net, h) in zip(axes[0], histories.items(), strict=True):
        epochs = np.arange(1, len(h["loss"]) + 1)
        ax.plot(epochs, h["loss"], label="train")
        ax.plot(epochs, h["val_loss"], "--", label="validation")
        ax.set(xlabel="epoch", ylabel="masked loss", title=net.upper())
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def detector_comparison(trained: dict, package: dict, path: Path, title: str) -> None:
    """IoU of matched faces and landmark error (cumulative), trained detector vs the package's."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    bins = np.linspace(0.5, 1, 26)
    for scores, name in ((trained, "trained"), (package, "mtcnn package")):
        left.hist(scores["ious"], bins=bins, alpha=0.6, label=f"{name} (recall {scores['recall']:.3f})")
        errors = np.sort(scores["landmark_errors"])
        if len(errors):
            right.plot(errors, np.arange(1, len(errors) + 1) / len(errors), label=name)
    left.set(xlabel="IoU with the true box", ylabel="faces", title="matched faces")
    right.set(xlabel="landmark error / distance between the eyes", ylabel="share of faces", title="landmarks",
              xlim=(0, 0.15))
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def confusions(splits: dict[str, dict], path: Path) -> None:
    """An emotion run's confusion matrices, one panel per split: each row (true class) coloured by its
    share, cells labelled with counts."""
    fig, axes = plt.subplots(1, len(splits), figsize=(5.2 * len(splits), 5), squeeze=False)
    for ax, (name, figures) in zip(axes[0], splits.items(), strict=True):
        counts = np.array(figures["confusion"])
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (row, col), n in np.ndenumerate(counts):
            ax.text(col, row, str(n), ha="center", va="center", fontsize=7,
                    color="white" if shares[row, col] > 0.5 else "black")
        ticks = range(len(spec.EMOTION_LABELS))
        ax.set_xticks(ticks, spec.EMOTION_LABELS, rotation=45, ha="right")
        ax.set_yticks(ticks, spec.EMOTION_LABELS)
        ax.set(xlabel="predicted", ylabel="true",
               title=f"{name}: accuracy {figures['accuracy']:.3f} (n={figures['n']})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
