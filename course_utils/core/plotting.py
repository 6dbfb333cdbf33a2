"""Plotting helpers shared by the notebooks: image grids, latent scatter plots
coloured by class, loss curves, and the live loss plot that ``fit`` calls after
every epoch. The figures that teach one idea are drawn in
the notebook that teaches it; what several notebooks draw the same way lives here.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from course_utils.core.arrays import to_numpy
from course_utils.core.config import is_fast
from course_utils.core.errors import ShapeError


def _as_images(images, image_shape: tuple[int, int] | None) -> np.ndarray:
    """(N, H, W), (N, 1, H, W) or (N, H*W) -> (N, H, W)."""
    arr = to_numpy(images, what="image_grid's images")
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 2:
        side = image_shape or (int(round(arr.shape[1] ** 0.5)),) * 2
        if side[0] * side[1] != arr.shape[1]:
            raise ShapeError(
                f"image_grid: cannot make {side[0]}x{side[1]} images from vectors of "
                f"length {arr.shape[1]}; pass image_shape=(H, W).")
        arr = arr.reshape(len(arr), *side)
    if arr.ndim != 3:
        raise ShapeError(
            "image_grid: `images` should have shape (N, H, W), (N, 1, H, W) or "
            f"(N, H*W), got {arr.shape}.")
    return arr


def image_grid(images, ncols: int = 10, titles: Sequence[str] | None = None,
               suptitle: str | None = None, image_shape: tuple[int, int] | None = None,
               scale: float = 1.0, axes=None, vmin: float = 0.0, vmax: float = 1.0,
               tiled: bool = False):
    """Show images in a grid (dark ink on white, values in [0, 1]): the course's
    one way to draw images.

    images: (N, H, W), (N, 1, H, W) or flat (N, H*W) vectors.
    ncols: images per row.
    titles: one short title per image (e.g. class names or errors).
    image_shape: (H, W) for flat vectors that are not square.
    scale: size of each image in inches.
    axes: draw into these axes (a flat sequence of at least N) instead of a new
        figure; with ``tiled``, one axes.
    tiled: draw the grid as one picture, images edge to edge, in one axes (fast
        for large grids such as a 15 x 15 manifold; no titles).
    Returns the figure.
    """
    arr = _as_images(images, image_shape)
    n = len(arr)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    if tiled:
        return _tiled(arr, ncols, nrows, suptitle, scale, axes, vmin, vmax)
    if axes is None:
        fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols,
                                                        scale * nrows + 0.4),
                                 squeeze=False)
        axes = axes.ravel()
    else:
        axes = np.asarray(axes).ravel()
        fig = axes[0].figure
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            ax.imshow(arr[i], cmap="gray_r", vmin=vmin, vmax=vmax,
                      interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize="small", fontweight="normal")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _tiled(arr: np.ndarray, ncols: int, nrows: int, title: str | None,
           scale: float, ax, vmin: float, vmax: float):
    """image_grid's one-picture form: the images edge to edge in one axes."""
    height, width = arr.shape[1:]
    canvas = np.full((nrows * height, ncols * width), vmin, dtype=float)
    for i, image in enumerate(arr):
        r, c = divmod(i, ncols)
        canvas[r * height:(r + 1) * height, c * width:(c + 1) * width] = image
    if ax is None:
        fig, ax = plt.subplots(figsize=(scale * ncols, scale * nrows + 0.4))
    else:
        fig = ax.figure
    ax.imshow(canvas, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def latent_scatter(z, labels=None, classes: Sequence[str] | None = None, ax=None,
                   title: str = "Latent space", s: float = 6, alpha: float = 0.6,
                   legend: bool = True):
    """Scatter 2-D codes ``z`` (N, 2), coloured by class label.

    labels: integer class per point (None: one colour).
    classes: names for the legend.
    Returns the axes.
    """
    z = to_numpy(z, what="latent_scatter's z")
    if z.ndim != 2 or z.shape[1] != 2:
        raise ShapeError(f"latent_scatter: `z` should have shape (N, 2), got {z.shape}."
                         " Project higher-dimensional codes to 2-D first.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5.5))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha)
    else:
        labels = to_numpy(labels, dtype=None).astype(int)
        cmap = plt.get_cmap("tab10")
        for k in np.unique(labels):
            name = classes[k] if classes is not None else str(k)
            mask = labels == k
            ax.scatter(z[mask, 0], z[mask, 1], s=s, alpha=alpha, color=cmap(k % 10),
                       label=name)
        if legend:
            ax.legend(markerscale=3, fontsize="small", loc="center left",
                      bbox_to_anchor=(1.0, 0.5))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    return ax


def plot_history(history, terms: Sequence[str] | None = None, ax=None,
                 logy: bool = False, title: str = "Training"):
    """Loss curves from a :class:`training.History`, one panel per term unless
    ``ax`` is given (then all terms share it). Solid: train; dashed: validation."""
    terms = list(terms or history.train.keys())
    if ax is None:
        fig, axes = plt.subplots(1, len(terms), figsize=(4.2 * len(terms), 3.4),
                                 squeeze=False)
        axes = list(axes.ravel())
    else:
        axes = [ax] * len(terms)
        fig = ax.figure
    for i, (term, a) in enumerate(zip(terms, axes, strict=True)):
        color = f"C{i}"
        epochs = np.arange(1, len(history.train[term]) + 1)
        a.plot(epochs, history.train[term], color=color, label=f"{term} (train)")
        if term in history.val:
            a.plot(epochs, history.val[term], color=color, ls="--",
                   label=f"{term} (validation)")
        a.set_xlabel("epoch")
        if logy:
            a.set_yscale("log")
        a.legend(fontsize="small")
        if ax is None:
            a.set_title(term)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (not in a terminal IPython or a script)."""
    try:
        from IPython import get_ipython  # IPython: present wherever Jupyter is
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class LiveLossPlot:
    """Redraws the loss curves in one output area after each epoch: pass it to
    ``fit(..., callbacks=[LiveLossPlot()])``. It draws only in a notebook and
    outside fast mode (the tests' runs need no pictures)."""

    def __init__(self, title: str = "Training (live)"):
        self.title = title
        self._handle = None
        self.active = _in_notebook() and not is_fast()

    def __call__(self, history) -> None:
        if not self.active:
            return
        from IPython.display import display  # IPython: only in a notebook

        fig = plot_history(history, title=self.title)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)
