"""The figures that belong to one topic, kept out of the topic modules so that
the maths there has no plotting in it (the generic plots, image grids and loss
curves, are in :mod:`course_utils.core.plotting`):

- the chapter's diagrams: :func:`draw_encoder_decoder` (figure 7.1, notebook 01)
  and :func:`draw_autoencoder` (figure 7.3, notebooks 02 and 03);
- notebook 01: :func:`reconstruction_rows` and the slider :func:`pca_slider`;
- notebook 04: :func:`draw_jensen`, the Jensen view;
- notebook 05: :func:`draw_kl_view`, the Gaussian KL view;
- notebook 07: :func:`plot_snapshots` and :func:`plot_coverage`, the GAN's
  samples and covered modes during training.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_utils.core.errors import CourseError
from course_utils.core.plotting import image_grid
from course_utils.core.widgets import LiveView
from course_utils.topics.modes import mode_coverage
from course_utils.topics.pca import PCAFit, reconstruction_at

# The chapter's diagrams (figures 7.1 and 7.3) -----------------------------------


def _box(ax, x: float, y: float, w: float, h: float, text: str, color: str) -> None:
    ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color,
                               edgecolor="0.3", alpha=0.35, lw=1.5))
    ax.text(x, y, text, ha="center", va="center", fontsize="large")


def _arrow(ax, x0: float, x1: float, y: float = 0.0) -> None:
    ax.annotate("", xy=(x1, y), xytext=(x0, y),
                arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.5})


def draw_encoder_decoder(n: int = 784, m: int = 2, ax=None):
    """Figure 7.1: x in R^n, the encoder e, the code e(x) in R^m (m < n), the
    decoder d, and the reconstruction d(e(x)) in R^n. Returns the figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.4))
    boxes = [(0.0, 1.4, 1.6, f"$x \\in \\mathbb{{R}}^{{{n}}}$", "C0"),
             (2.2, 1.2, 1.0, "encoder\n$e$", "C1"),
             (4.4, 1.5, 0.6, f"$e(x) \\in \\mathbb{{R}}^{{{m}}}$", "C2"),
             (6.6, 1.2, 1.0, "decoder\n$d$", "C1"),
             (9.0, 1.9, 1.6, f"$d(e(x)) \\in \\mathbb{{R}}^{{{n}}}$", "C0")]
    for x, w, h, text, color in boxes:
        _box(ax, x, 0, w, h, text, color)
    for (x0, w0, *_), (x1, w1, *_) in zip(boxes, boxes[1:], strict=False):
        _arrow(ax, x0 + w0 / 2, x1 - w1 / 2)
    ax.text(4.4, -0.75, "the latent space", ha="center", fontsize="medium")
    ax.set_xlim(-0.8, 10.0)
    ax.set_ylim(-1.1, 1.0)
    ax.axis("off")
    ax.set_title("Figure 7.1: an encoder-decoder pair; information is lost when "
                 "$x \\neq d(e(x))$", fontsize="medium")
    return ax.figure


def draw_autoencoder(sizes=(784, 256, 64, 2, 64, 256, 784), ax=None):
    """Figure 7.3: a neural autoencoder as layers of the given widths, narrowing
    to the bottleneck (the smallest layer) and widening back. Returns the figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    widest = max(sizes)
    middle = int(np.argmin(sizes))
    for i, size in enumerate(sizes):
        height = 0.25 + 2.5 * np.sqrt(size / widest)
        color = "C2" if i == middle else ("C0" if i in (0, len(sizes) - 1) else "C1")
        ax.add_patch(plt.Rectangle((i - 0.2, -height / 2), 0.4, height,
                                   facecolor=color, edgecolor="0.3", alpha=0.4))
        ax.text(i, -height / 2 - 0.2, str(size), ha="center", va="top")
        if i:
            _arrow(ax, i - 0.8, i - 0.2)
    ax.text(middle, 1.6, "bottleneck: the code $z$", ha="center")
    ax.text((middle - 0.5) / 2, 1.6, "encoder ($\\lambda$)", ha="center")
    ax.text((middle + len(sizes) - 0.5) / 2, 1.6, "decoder ($\\theta$)", ha="center")
    ax.set_xlim(-0.6, len(sizes) - 0.4)
    ax.set_ylim(-2.0, 1.9)
    ax.axis("off")
    ax.set_title("Figure 7.3: an autoencoder (layer widths below each layer)",
                 fontsize="medium")
    return ax.figure


# Notebook 01: PCA reconstructions -----------------------------------------------


def draw_reconstruction_view(fig, images, x_hat, curve, m: int,
                             image_shape: tuple[int, int]) -> None:
    """Draw into ``fig``: originals (top row), reconstructions at m (middle row),
    and the error curve with m marked (bottom)."""
    k = len(images)
    grid = fig.add_gridspec(3, k, height_ratios=[1, 1, 1.6], hspace=0.35)
    for row, (what, label) in enumerate(((images, "original"),
                                         (x_hat, f"m = {m}"))):
        axes = [fig.add_subplot(grid[row, j]) for j in range(k)]
        image_grid(what, image_shape=image_shape, axes=axes)
        _label_row(axes[0], label)
    ax = fig.add_subplot(grid[2, :])
    ms = np.arange(len(curve))
    ax.plot(ms, curve, color="C0")
    ax.plot([m], [curve[m]], "o", color="C3", markersize=10)
    ax.annotate(f"m = {m}: error {curve[m]:.2f}", (m, curve[m]),
                xytext=(12, 12), textcoords="offset points", color="C3")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("latent size m (log scale)")
    ax.set_ylabel("reconstruction error")


def _label_row(ax, label: str) -> None:
    """A row label left of an image axis that image_grid switched off."""
    ax.axis("on")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_ylabel(label, rotation=0, ha="right", va="center")


def reconstruction_rows(pca: PCAFit, x, ms, image_shape: tuple[int, int]):
    """A figure: the images ``x`` (top row), then their PCA reconstructions for
    each latent size in ``ms``, one row each, labelled with m and the error of
    those images. Returns the figure (notebook 01)."""
    x = torch.as_tensor(x)
    rows = [("original", x)]
    for m in ms:
        x_hat, error = reconstruction_at(pca, x, m)
        rows.append((f"m = {m}\nerror {error:.1f}", x_hat.clamp(0, 1)))
    fig, axes = plt.subplots(len(rows), len(x), squeeze=False,
                             figsize=(1.1 * len(x) + 1.4, 1.15 * len(rows)))
    for row_axes, (label, images) in zip(axes, rows, strict=True):
        image_grid(images, image_shape=image_shape, axes=row_axes)
        _label_row(row_axes[0], label)
    fig.tight_layout()
    return fig


def pca_slider(pca: PCAFit, x, image_shape: tuple[int, int], m: int = 16,
               n_images: int = 8):
    """A slider for m: reconstructions of the first ``n_images`` rows of ``x`` and
    the error curve of all of ``x``, as a :class:`~course_utils.core.widgets.LiveView`.

    Returns ``(view, show)``: ``show(m)`` moves the slider to m, redraws and
    returns the error, so a test can set m and check the number without a browser.
    """
    x = torch.as_tensor(x)
    curve = pca.error_curve(x)
    shown = x[:n_images]

    def compute(m: int) -> dict:
        x_hat, _ = reconstruction_at(pca, shown, m)
        return {"m": m, "x_hat": x_hat.clamp(0, 1), "error": float(curve[m])}

    def draw(result: dict):
        fig = plt.figure(figsize=(1.3 * n_images, 5.2))
        draw_reconstruction_view(fig, shown, result["x_hat"], curve, result["m"],
                                 image_shape)
        return fig

    control = widgets.SelectionSlider(options=latent_sizes(pca.dim, m), value=m,
                                      description="latent m",
                                      continuous_update=False)
    view = LiveView(compute, {"m": control}, draw=draw,
                    describe=lambda r: f"m = {r['m']}: error {r['error']:.3f}")
    control.layout.width = SLIDER_WIDTH  # one control: the row's width is its own

    def show(m: int) -> float:
        if m not in control.options:  # any m may be asked for, not only the stops
            control.options = latent_sizes(pca.dim, m, *control.options)
        return view.set(m=m)["error"]

    return view, show


#: The stops of the latent-size slider before ``dim``: about four to a factor of
#: two, so that m < 50, where the error falls fastest, takes half of the track (an
#: even slider over 0..784 left it about 10 px).
_STOPS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64, 80, 100, 128,
          160, 200, 256, 320, 400, 512, 640)
#: A long track for the one slider of 01's view.
SLIDER_WIDTH = "44em"


def latent_sizes(dim: int, *also: int) -> list[int]:
    """The values of the latent-size slider: the stops below ``dim``, ``dim``
    itself, and the sizes in ``also``."""
    return sorted({s for s in _STOPS if s < dim} | {dim} | {int(a) for a in also})


# Notebooks 04 and 05: Jensen's gap and the Gaussian KL ---------------------------


def draw_jensen(result: dict, ax=None):
    """The concave log, the distribution of X beneath it, and the Jensen gap."""
    if ax is None:
        _, ax = plt.subplots()
    mean = result["mean"]
    right = mean * (1 + 3 * max(result["spread"], 0.15))
    if "x" in result:
        right = max(right, float(result["x"][-1]))
    grid = np.linspace(mean * 0.02, right, 400)
    ax.plot(grid, np.log(grid), color="C0", label="log x (concave)")
    dens_ax = ax.twinx()
    if "x" in result:
        dens_ax.fill_between(result["x"], result["density"], color="C1", alpha=0.3,
                             label="density of X")
    else:
        dens_ax.vlines(result["atoms"], 0, result["probs"], color="C1", lw=6,
                       alpha=0.5, label="P(X = x)")
        ax.plot(result["atoms"], np.log(result["atoms"]), "o", color="C1")
        if len(result["atoms"]) == 2:
            ax.plot(result["atoms"], np.log(result["atoms"]), "--", color="C1",
                    lw=1.2, label="chord")
    top = dens_ax.get_ylim()[1]
    dens_ax.set_ylim(0, top * 3)  # keep the density in the lower third
    dens_ax.set_yticks([])
    dens_ax.grid(False)
    ax.axvline(mean, color="gray", lw=1, ls=":")
    ax.plot([mean], [result["log_mean"]], "o", color="C0", ms=9,
            label="log E[X]")
    ax.plot([mean], [result["mean_log"]], "s", color="C3", ms=9,
            label="E[log X]")
    ax.annotate(f"gap {result['gap']:.3f}", xy=(mean, result["mean_log"]),
                xytext=(mean + 0.08 * right, 0.5 * (result["log_mean"]
                                                    + result["mean_log"]) - 0.2),
                arrowprops={"arrowstyle": "->", "color": "C3"}, color="C3")
    low = min(result["mean_log"], np.log(grid[0])) - 0.3
    ax.set_ylim(max(low, np.log(mean) - 3.5), np.log(right) + 0.3)
    ax.set_xlim(0, right)
    ax.set_xlabel("x")
    ax.set_ylabel("log x")
    ax.set_title(f"Jensen: log E[X] ≥ E[log X]  ({result['dist']})")
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = dens_ax.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, loc="upper left", fontsize="small")
    return ax.figure


def draw_kl_view(result: dict, axes=None):
    """Two panels: q and p, and the integrand q log(q/p) whose area is KL(q||p)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(plt.rcParams["figure.figsize"][0] * 1.7,
                                              plt.rcParams["figure.figsize"][1]))
    left, right = axes
    z = result["z"]
    left.plot(z, result["p"], color="C0", label="p = N(0, 1)")
    left.plot(z, result["q"], color="C1",
              label=f"q = N({result['mu']:.2f}, {result['sigma']:.2f}²)")
    left.fill_between(z, result["q"], color="C1", alpha=0.15)
    left.set_xlabel("z")
    left.set_ylabel("density")
    left.set_title("the two densities")
    left.legend(loc="upper left", fontsize="small")
    integrand = result["integrand"]
    right.plot(z, integrand, color="C3")
    right.fill_between(z, integrand, where=integrand >= 0, color="C3", alpha=0.3,
                       label="adds to KL")
    right.fill_between(z, integrand, where=integrand < 0, color="C5", alpha=0.4,
                       label="subtracts")
    right.axhline(0, color="gray", lw=1)
    right.set_xlabel("z")
    right.set_title(f"q log(q/p): area = KL(q‖p) = {result['kl']:.3f}")
    right.legend(loc="upper left", fontsize="small")
    left.figure.tight_layout()
    return left.figure


# Notebook 07: the GAN's distribution during training -------------------------------


def plot_snapshots(history, real: torch.Tensor, centers: torch.Tensor,
                   std: float, title: str = "", steps: Sequence[int] | None = None,
                   axes=None, limit: float = 3.0):
    """One panel per snapshot of ``history`` (a GAN history: its ``snapshots`` map
    a step to the generator's samples): real data (grey), generated samples (colour),
    with the number of covered modes in each panel's title. Returns the figure.

    steps: which snapshots to show (default: all of them).
    """
    steps = sorted(history.snapshots if steps is None else steps)
    missing = [s for s in steps if s not in history.snapshots]
    if not steps or missing:
        raise CourseError("plot_snapshots: no snapshot at step(s) "
                          f"{missing or 'any'}; pass snapshot_steps to train_gan "
                          f"(this history has {sorted(history.snapshots)}).")
    if axes is None:
        # larger fonts (the presenting style) get larger panels, three per row
        grow = max(1.0, plt.rcParams["font.size"] / 11)
        ncols = len(steps) if grow == 1.0 else min(3, len(steps))
        nrows = -(-len(steps) // ncols)
        fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                                 figsize=(2.2 * grow * ncols, 2.7 * grow * nrows))
        axes = axes.ravel()
        for ax in axes[len(steps):]:
            ax.axis("off")
    else:
        axes = np.asarray(axes).ravel()
        fig = axes[0].figure
    real = real.cpu().numpy()
    for ax, step in zip(axes, steps, strict=False):
        fake = history.snapshots[step]
        cov = mode_coverage(fake, centers, std)
        ax.scatter(real[:, 0], real[:, 1], s=3, color="0.75", label="data")
        ax.scatter(fake[:, 0], fake[:, 1], s=3, color="C3", alpha=0.5,
                   label="generator")
        ax.set_title(f"step {step}\n{cov.covered}/{cov.total} modes",
                     fontsize="medium")
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("0.8")
    if title:
        fig.suptitle(title)
    return fig


def plot_coverage(histories: dict, centers: torch.Tensor, std: float,
                  ax=None, title: str = "Modes covered during training"):
    """Covered modes at every snapshot, one line per run (``{label: history}``)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    for label, history in histories.items():
        steps = sorted(history.snapshots)
        covered = [mode_coverage(history.snapshots[s], centers, std).covered
                   for s in steps]
        ax.plot(steps, covered, marker="o", markersize=3, label=label)
    ax.set_ylim(-0.3, len(centers) + 0.3)
    ax.set_xlabel("step")
    ax.set_ylabel(f"modes covered (of {len(centers)})")
    ax.set_title(title)
    ax.legend()
    return ax
