"""One training loop for the whole course: :func:`fit`.

The model and its loss are written in the notebook where they are taught; this
loop is plumbing: mini-batches drawn with an explicit generator, an optimiser
step, a progress bar, an optional live loss plot, and a :class:`History` of every
loss term that the notebooks plot. Used from notebook 02 on.

The loss function receives ``(model, batch)`` and returns either a scalar tensor
or a dict of scalar tensors with the key ``"loss"`` (the one minimised) plus any
other terms worth recording, e.g. ``{"loss": ..., "recon": ..., "kl": ...}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from course_utils.core.config import as_device, make_generator
from course_utils.core.errors import ShapeError
from course_utils.core.memory import release

Batch = torch.Tensor | tuple[torch.Tensor, ...]
LossFn = Callable[[torch.nn.Module, Batch], torch.Tensor | dict[str, torch.Tensor]]
EpochCallback = Callable[["History"], None]


@dataclass
class History:
    """Loss terms recorded by :func:`fit`.

    ``train[name]``: the mean of term ``name`` over each epoch's batches;
    ``val[name]``: the same on the validation data after each epoch (if given);
    ``step_terms[name]``: every term at every optimiser step (for curves finer
    than one point an epoch); ``steps``: the minimised loss at every step, that
    is ``step_terms["loss"]``; ``seconds``: wall time.
    """

    train: dict[str, list[float]] = field(default_factory=dict)
    val: dict[str, list[float]] = field(default_factory=dict)
    step_terms: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def steps(self) -> list[float]:
        return self.step_terms.get("loss", [])

    @property
    def epochs(self) -> int:
        return len(self.train.get("loss", []))

    def last(self, name: str = "loss", split: str = "train") -> float:
        """The last recorded value of a term."""
        return getattr(self, split)[name][-1]

    def to_plain(self) -> dict:
        """Plain lists and numbers, for ``torch.save`` and ``weights_only`` loads
        (the model cache stores a History beside the weights)."""
        return {"train": self.train, "val": self.val, "step_terms": self.step_terms,
                "seconds": self.seconds}

    @classmethod
    def from_plain(cls, state: dict) -> History:
        """The History that :meth:`to_plain` described."""
        return cls(train=state["train"], val=state["val"],
                   step_terms=state["step_terms"], seconds=state["seconds"])


def _as_tuple(data: Batch) -> tuple[torch.Tensor, ...]:
    tensors = data if isinstance(data, (tuple, list)) else (data,)
    if not tensors or not all(isinstance(t, torch.Tensor) for t in tensors):
        raise ShapeError("fit: `data` must be a tensor or a tuple of tensors "
                         "(for example `x` or `(x, y)`).")
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ShapeError("fit: the tensors in `data` must have the same length, got "
                         f"{[len(t) for t in tensors]}.")
    return tuple(tensors)


def _terms(out) -> dict[str, torch.Tensor]:
    if isinstance(out, dict):
        if "loss" not in out:
            raise ValueError("the loss function returned a dict without 'loss'")
        return out
    return {"loss": out}


@torch.no_grad()
def evaluate(model: torch.nn.Module, loss_fn: LossFn, data: Batch,
             batch_size: int = 1024, device: torch.device | str | None = None
             ) -> dict[str, float]:
    """Mean of each loss term over ``data`` (weighted by batch size), no gradients.

    device: where the batches go (checked by :func:`config.as_device`); default:
    where the model's parameters are. The results are Python floats.
    """
    tensors = _as_tuple(data)
    device = (as_device(device, where="evaluate") if device is not None
              else next(model.parameters()).device)
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {}
    n = len(tensors[0])
    for start in range(0, n, batch_size):
        batch = tuple(t[start:start + batch_size].to(device) for t in tensors)
        terms = _terms(loss_fn(model, batch if len(batch) > 1 else batch[0]))
        for k, v in terms.items():
            totals[k] = totals.get(k, 0.0) + float(v) * len(batch[0])
    model.train(was_training)
    return {k: v / n for k, v in totals.items()}


def adam(params, lr: float = 1e-3, **options) -> torch.optim.Optimizer:
    """``torch.optim.Adam`` with its fused kernel where this torch and device have
    it (one pass over all parameters per step instead of a dozen small operations
    per tensor: for the course's small networks the optimiser was a fifth of the
    time of a step), else the plain one. The arithmetic is Adam's either way.

    options: passed on (``betas``, ``weight_decay``, ...).
    """
    params = list(params)
    devices = {p.device.type for p in params if isinstance(p, torch.Tensor)}
    if devices <= {"cpu", "cuda"}:
        try:
            return torch.optim.Adam(params, lr=lr, fused=True, **options)
        except (RuntimeError, TypeError, ValueError):
            pass  # an older torch, or a setting the fused kernel lacks
    return torch.optim.Adam(params, lr=lr, **options)


def fit(model: torch.nn.Module, loss_fn: LossFn, data: Batch, *, epochs: int,
        batch_size: int = 128, optimizer: torch.optim.Optimizer | None = None,
        lr: float = 1e-3, scheduler=None, val_data: Batch | None = None,
        seed: int = 0, device: torch.device | str | None = None,
        progress: bool = True, callbacks: Sequence[EpochCallback] = (),
        history: History | None = None) -> History:
    """Train ``model`` by mini-batch gradient descent on ``loss_fn``; return History.

    model: the network; its parameters are optimised (moved to ``device``).
    loss_fn: ``loss_fn(model, batch)`` -> scalar tensor or dict with ``"loss"``.
    data: a tensor or a tuple of tensors (e.g. ``(x, y)``), first axis = examples.
    epochs: passes over the data.
    batch_size: examples per step; the last, smaller batch is kept.
    optimizer: any torch optimiser; default Adam (:func:`adam`) with learning rate
        ``lr``.
    scheduler: a learning-rate scheduler stepped after every optimiser step.
    val_data: evaluated after each epoch without gradients.
    seed: seeds the shuffling generator, so the batches do not depend on what ran
        before. The generator lives on the CPU and the order is moved to
        ``device``, so a seed gives the same batches on every device.
    device: e.g. ``cfg.device``; the model and the data are moved there
        (:func:`config.as_device`: a GPU that is absent means the CPU, a name such
        as ``"meta"`` is refused). Default: where the model's parameters are.
    progress: show a progress bar over epochs.
    callbacks: each is called as ``callback(history)`` after every epoch, e.g.
        :class:`plotting.LiveLossPlot` to redraw the loss curves as they grow.
    history: continue recording into an existing History (training in stages).
    """
    tensors = _as_tuple(data)
    device = (as_device(device, where="fit") if device is not None
              else next(model.parameters()).device)
    model.to(device)
    tensors = tuple(t.to(device) for t in tensors)
    optimizer = optimizer or adam(model.parameters(), lr=lr)
    gen = make_generator(seed)
    history = history or History()
    n = len(tensors[0])
    bar = _progress(epochs) if progress else None
    start_time = time.perf_counter()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen).to(device)
        sums: dict[str, float] = {}
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            batch = tuple(t[idx] for t in tensors)
            terms = _terms(loss_fn(model, batch if len(batch) > 1 else batch[0]))
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            for k, v in terms.items():
                value = float(v.detach())
                history.step_terms.setdefault(k, []).append(value)
                sums[k] = sums.get(k, 0.0) + value * len(idx)
        for k, v in sums.items():
            history.train.setdefault(k, []).append(v / n)
        if val_data is not None:
            for k, v in evaluate(model, loss_fn, val_data, device=device).items():
                history.val.setdefault(k, []).append(v)
            model.train()
        if bar is not None:
            shown = {f"train {k}": history.train[k][-1] for k in history.train}
            if history.val:
                shown["val loss"] = history.val["loss"][-1]
            bar.set_postfix({k: f"{v:.4g}" for k, v in shown.items()})
            bar.update(1)
        for callback in callbacks:
            callback(history)
    if bar is not None:
        bar.close()
    model.eval()
    history.seconds += time.perf_counter() - start_time
    release()  # the training's freed temporaries go back to the system
    return history


#: A progress bar appears once its loop has run this long (shorter loops show none).
PROGRESS_AFTER_S = 2.0


def progress_bar(total: int, desc: str):
    """A progress bar over ``total`` steps (``bar.update(1)`` after each, then
    ``bar.close()``): a widget in Jupyter, text elsewhere (tqdm). It shows only
    once the loop has run :data:`PROGRESS_AFTER_S` seconds, so quick loops stay
    quiet and every loop that makes a student wait says how far it is."""
    from tqdm import notebook  # the widget bar (imports ipywidgets): lazily
    from tqdm.auto import tqdm  # tqdm.auto picks a widget bar in Jupyter: lazily

    if issubclass(tqdm, notebook.tqdm_notebook):
        tqdm = _line_bar(notebook.tqdm_notebook)
    # miniters=1: the bar is redrawn only from the training loop's own thread
    # (tqdm's monitor thread redraws bars whose miniters it raised above 1)
    return tqdm(total=total, desc=desc, leave=True, delay=PROGRESS_AFTER_S,
                miniters=1)


def _line_bar(widget_bar: type) -> type:
    """tqdm's widget bar, replaced by its last line of text when it closes: a
    saved notebook then shows "epochs: 100%|...| 4/4 [00:12<00:00]" where a
    reopened one showed "Error displaying widget: model not found" (the widget's
    state is not saved with the notebook)."""
    from IPython.display import display  # only inside a kernel: lazily

    class LineBar(widget_bar):
        def display(self, msg=None, pos=None, close=False, bar_style=None,
                    check_delay=True):
            if check_delay and self.delay > 0 and not self.displayed:
                # the widget's view as a raw bundle: ipywidgets 7 (Colab's)
                # displays itself and would drop the display id
                view = {"version_major": 2, "version_minor": 0,
                        "model_id": self.container.model_id}
                self._handle = display(
                    {"application/vnd.jupyter.widget-view+json": view,
                     "text/plain": repr(self.container)}, raw=True, display_id=True)
                self.displayed = True
            return super().display(msg, pos, close, bar_style, check_delay=False)

        def close(self):
            super().close()
            handle = getattr(self, "_handle", None)
            if handle is not None:
                self._handle = None
                handle.update({"text/plain": self.format_meter(**self.format_dict)},
                              raw=True)

    return LineBar


def _progress(total: int):
    return progress_bar(total, "epochs")


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one torch thread, then restore the count. For networks
    of a few thousand weights, where a second thread costs more in hand-over
    than it saves (notebook 09's ring: 6.7 s against 7.8 s on two cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
