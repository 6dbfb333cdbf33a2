"""The model cache keys on the code: an edited model or loss trains again, the
notebook's and the package's copy of the same code share one file, and what
training returned comes back (course_utils.core.cache)."""

from __future__ import annotations

import textwrap

import torch

from course_utils.core import cache
from course_utils.core.training import History
from course_utils.topics.vae import fashion_vae

MODEL = """
import torch
from torch import nn

SCALE = 2.0


def helper(x):
    return x * SCALE


class Tiny(nn.Module):
    def __init__(self, width=3):
        super().__init__()
        self.layer = nn.Linear(2, width)

    def forward(self, x):
        return helper(self.layer(x))


@torch.no_grad()
def train(model):
    return {"loss": float(model(torch.ones(1, 2)).sum())}
"""


class Counter:
    n = 0


def _define(source: str, module: str = "__main__") -> dict:
    """Run ``source`` as if it were notebook cells (module ``__main__``) or a
    generated module of the package."""
    namespace = {"__name__": module}
    exec(compile(textwrap.dedent(source), f"<cell {module}>", "exec"), namespace)
    return namespace


def _key(ns: dict) -> str:
    return cache.code_fingerprint(ns["Tiny"], ns["train"])


def test_same_code_same_key_wherever_it_is_defined():
    notebook = _define(MODEL)
    package = _define(MODEL, module="course_utils.topics.tiny")
    moved = _define("\n\n# a comment and blank lines move every line\n\n" + MODEL)
    assert _key(notebook) == _key(package) == _key(moved)


def test_a_notebook_variable_named_like_an_attribute_does_not_count():
    plain = _define(MODEL)
    busy = _define(MODEL + "\nlayer = 5\nsum = [1, 2]\n")  # self.layer, .sum()
    assert _key(plain) == _key(busy)


def test_an_edited_method_default_helper_or_constant_changes_the_key():
    base = _key(_define(MODEL))
    edits = [
        MODEL.replace("return helper(self.layer(x))", "return self.layer(x)"),
        MODEL.replace("def __init__(self, width=3)", "def __init__(self, width=4)"),
        MODEL.replace("return x * SCALE", "return x * SCALE + 1"),
        MODEL.replace("SCALE = 2.0", "SCALE = 3.0"),
        MODEL.replace('return {"loss"', 'model.eval()\n    return {"loss"'),
    ]
    keys = {_key(_define(source)) for source in edits}
    assert base not in keys and len(keys) == len(edits)


def test_an_edited_model_class_trains_again(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    calls = Counter()  # not a plain value: the key ignores it

    def run(source: str):
        ns = _define(source)

        def train(model):
            calls.n += 1
            return ns["train"](model)

        return cache.cached_training("tiny", ns["Tiny"](), train, {"n": 1},
                                     verbose=False)

    run(MODEL)
    run(MODEL)          # the same code: loaded
    assert calls.n == 1
    run(MODEL.replace("return helper(self.layer(x))", "return -helper(self.layer(x))"))
    assert calls.n == 2, "a changed forward() must not load the old weights"


def test_a_history_is_stored_and_restored(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    history = History(train={"loss": [2.0, 1.0]}, val={"loss": [2.5, 1.5]},
                      step_terms={"loss": [3.0, 2.0, 1.0]}, seconds=1.5)

    def train(model):
        return history

    cache.cached_training("hist", torch.nn.Linear(2, 1), train, {}, verbose=False)
    again = cache.cached_training("hist", torch.nn.Linear(2, 1), train, {},
                                  verbose=False)
    assert isinstance(again, History) and again is not history
    assert again == history
    assert History.from_plain(history.to_plain()) == history


def test_what_only_shows_training_does_not_change_the_key(monkeypatch, tmp_path):
    # notebook 06 trains its VAE with a live plot, notebook 07 loads the same
    # model with no callbacks and no progress bar: one key, one training
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    keys = []
    monkeypatch.setattr(cache, "_try_load", lambda path, *args, **kwargs: (
        keys.append(path.name), {"loaded": True})[1])
    images = torch.rand(8, 28, 28)

    def show(*args, **kwargs):  # a live plot's callback
        return None

    fashion_vae(images, seed=3, callbacks=(show,), progress=True)
    fashion_vae(images, seed=3, progress=False)
    fashion_vae(images, seed=4, progress=False)
    assert keys[0] == keys[1] != keys[2], keys
