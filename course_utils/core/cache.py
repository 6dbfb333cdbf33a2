"""A cache of trained models under ``data/models`` (ignored by git).

Models that take more than a few seconds to train are trained once and reloaded
as state dicts with ``weights_only=True`` (never pickled whole models). The file
name carries a hash of the model's architecture and of the training settings, so
a changed architecture, data size or recipe trains anew instead of loading stale
weights; a corrupt or unreadable file is retrained too. ``COURSE_NO_CACHE=1``
turns the cache off (the benchmark measures cold runs with it).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from course_utils.core.config import as_device, data_dir, env_setting


def _history_to_plain(result: Any) -> Any:
    """Turn a training History (or anything with __dict__ of plain values) into
    a dict that ``torch.load(weights_only=True)`` can read back."""
    from course_utils.core.training import History

    if isinstance(result, History):
        return {"__history__": True, "train": result.train, "val": result.val,
                "step_terms": result.step_terms, "seconds": result.seconds}
    return result


def _plain_to_history(value: Any) -> Any:
    from course_utils.core.training import History

    if isinstance(value, dict) and value.get("__history__"):
        # files saved before step_terms existed hold the loss alone, as "steps"
        step_terms = value.get("step_terms") or {"loss": value.get("steps", [])}
        return History(train=value["train"], val=value["val"], step_terms=step_terms,
                       seconds=value["seconds"])
    return value


def cache_key(model: torch.nn.Module, settings: dict) -> str:
    """12 hex digits that change when the architecture or ``settings`` change."""
    arch = repr(model) + repr([(k, tuple(v.shape)) for k, v in
                               model.state_dict().items()])
    text = arch + json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cache_enabled() -> bool:
    """False when ``COURSE_NO_CACHE`` is set to a true flag."""
    return not env_setting("COURSE_NO_CACHE")


def cached_training(name: str, model: torch.nn.Module,
                    train: Callable[[torch.nn.Module], Any], settings: dict,
                    verbose: bool = True,
                    device: str | torch.device | None = None) -> Any:
    """Load ``model``'s trained weights from the cache, or train and save them.

    name: a file-name prefix, e.g. ``"vae-fashion"``.
    model: a freshly built model; its weights are replaced in place.
    train: ``train(model)`` trains it and returns what the notebook needs later
        (typically the :class:`training.History`), stored beside the weights.
    settings: everything that changes the result (data size, epochs, seed, ...).
    device: move ``model`` there first (:func:`config.as_device`); None leaves it
        where it is. Cached weights are read onto the CPU and copied into the
        model's parameters, so they land on the model's device either way.
    Returns what ``train`` returned (from the cache on a hit).
    """
    if device is not None:
        model.to(as_device(device, where="cached_training"))
    path = Path(data_dir()) / "models" / f"{name}-{cache_key(model, settings)}.pt"
    if cache_enabled() and path.exists():
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(saved["state_dict"])
            if verbose:
                print(f"Loaded trained weights from the cache: {path.name}")
            return _plain_to_history(saved.get("result"))
        except Exception as err:  # corrupt file, changed layout, old format
            if verbose:
                print(f"Could not use the cached {path.name} ({type(err).__name__}); "
                      "training again.")
    result = train(model)
    if cache_enabled():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        torch.save({"state_dict": state, "result": _history_to_plain(result)}, tmp)
        os.replace(tmp, path)  # atomic: an interrupted save leaves no corrupt file
    return result
