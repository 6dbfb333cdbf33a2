"""A cache of trained models under ``data/models`` (ignored by git).

Models that take more than a few seconds to train are trained once and reloaded
as state dicts with ``weights_only=True`` (never pickled whole models). The file
name carries a hash of three things, so that nothing stale is ever loaded:

- the model's architecture (its ``repr`` and the shapes of its weights);
- the training settings (data size, epochs, seed, ...);
- the *code*: the methods of the model's classes and the training function,
  followed into every function and class of the course they call (in the
  notebook or in ``course_utils``) and the constants they read (numbers,
  strings, tuples; lists and dicts belong in the settings). Edit the ``VAE``
  class or its loss in notebook 06, run the cell again, and the cache trains the
  edited model instead of loading the old weights. Comments and line numbers do
  not count, nor do ``DISPLAY_NAMES`` (a progress bar, live plots); the
  notebook's copy and the package's copy of the same code hash the same.

- the *data*: every tensor, NumPy array or :class:`data.ImageSet` that the
  training function or the course code it calls reads (a global of the notebook,
  a variable of an enclosing function), by a CRC-32 of all its bytes
  (:func:`data_fingerprint`), so that a model trained on Fashion-MNIST is never
  loaded for other images of the same count; data reached otherwise is passed
  as ``data=``.

Each file carries its key and a checksum of its content (:mod:`cache_files`): a
renamed, damaged, old-format or unreadable file, or one that is no regular file,
is trained again, with one line saying so, and the weights are loaded into a
copy of the model first, so that a file that fits only in part never leaves
foreign weights behind. ``COURSE_NO_CACHE=1`` turns the cache off (the
benchmark measures cold runs with it).

What the training function returns is stored beside the weights when it is a
plain value (numbers, strings, lists, dicts, tensors) or an object with
``to_plain()`` and a class method ``from_plain()`` (:class:`training.History`).
"""

from __future__ import annotations

import copy
import dataclasses
import dis
import hashlib
import inspect
import json
import sys
import types
import weakref
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from course_utils.core import cache_files
from course_utils.core.config import as_device, env_setting
from course_utils.core.i18n import translate
from course_utils.core.memory import release
from course_utils.core.paths import data_dir

_PLAIN = (bool, int, float, str, type(None))
#: what only shows training (a progress bar, live plots) and never changes it: a
#: training function's variables of these names stay out of the key
DISPLAY_NAMES = frozenset({"progress", "callbacks", "verbose"})


# The code's fingerprint ----------------------------------------------------------


def _is_course_code(obj: Any) -> bool:
    """True for functions and classes written in a notebook or in course_utils."""
    module = getattr(obj, "__module__", None) or ""
    return module == "__main__" or module.split(".")[0] == "course_utils"


def _is_plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


def _plain_text(value: Any) -> str:
    """A repr that does not depend on hash order (sets) or on the process."""
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(_plain_text(v) for v in value)) + "}"
    if isinstance(value, (tuple, list)):
        return type(value).__name__ + "(" + ",".join(map(_plain_text, value)) + ")"
    if isinstance(value, dict):
        items = sorted((_plain_text(k), _plain_text(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    return repr(value)


def _code_text(code: types.CodeType, out: list[str]) -> None:
    """What a code object computes, without its file name and line numbers."""
    out += [code.co_qualname, code.co_code.hex(), repr(code.co_names),
            repr(code.co_varnames)]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_text(const, out)
        elif _is_plain(const):
            out.append(_plain_text(const))


def _names_used(code: types.CodeType) -> set[str]:
    """The global names a code object reads (not attribute names such as the
    ``seconds`` of ``history.seconds``, which a notebook may also use as a
    variable)."""
    names = {ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
    return names


def _is_constant(value: Any) -> bool:
    """Numbers, strings and tuples of them: values code can read but not change.
    (A list or dict a function uses may grow between two calls; what training
    depends on goes into ``settings``.)"""
    if isinstance(value, _PLAIN):
        return True
    return isinstance(value, (tuple, frozenset)) and all(map(_is_constant, value))


def _referenced(value: Any, out: list[str], seen: set[int], label: str) -> None:
    """Follow a value a function refers to: course code, a constant, or data."""
    if (inspect.isfunction(value) or inspect.isclass(value)) and _is_course_code(
            value):
        _walk(value, out, seen)
    elif _is_constant(value):
        out.append(f"{label}={_plain_text(value)}")
    elif (fingerprint := data_fingerprint(value)) is not None:
        out.append(f"{label}=data:{fingerprint}")


def _walk(obj: Any, out: list[str], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        for part in filter(None, (obj.fget, obj.fset)):
            _walk(part, out, seen)
        return
    if inspect.ismethod(obj):
        obj = obj.__func__
    if inspect.isclass(obj):
        for klass in obj.__mro__:
            if not _is_course_code(klass):
                continue
            out.append(f"class {klass.__qualname__}")
            for name, attr in sorted(vars(klass).items()):
                if inspect.isfunction(attr) or isinstance(
                        attr, (staticmethod, classmethod, property)):
                    _walk(attr, out, seen)
                elif not name.startswith("__") and _is_plain(attr):
                    out.append(f"{name}={_plain_text(attr)}")
        return
    if not inspect.isfunction(obj):
        return
    _code_text(obj.__code__, out)
    out.append(_plain_text(obj.__defaults__))
    out.append(_plain_text(obj.__kwdefaults__))
    for name in sorted(_names_used(obj.__code__) - DISPLAY_NAMES):
        if name in obj.__globals__:
            _referenced(obj.__globals__[name], out, seen, name)
    for name, cell in zip(obj.__code__.co_freevars, obj.__closure__ or (),
                          strict=False):
        try:
            if name not in DISPLAY_NAMES:
                _referenced(cell.cell_contents, out, seen, name)
        except ValueError:  # a cell not filled yet
            pass


def code_fingerprint(*objects: Any) -> str:
    """12 hex digits that change when the code of ``objects`` (functions, classes)
    or of any course function or class they use changes."""
    out: list[str] = []
    seen: set[int] = set()
    for obj in objects:
        _walk(obj, out, seen)
    return hashlib.sha256("\n".join(out).encode()).hexdigest()[:12]


def cache_key(model: torch.nn.Module, settings: dict,
              train: Callable | None = None, data: Any = None) -> str:
    """12 hex digits that change when the architecture, ``settings``, the code of
    the model's classes or the code of ``train``, the data that code reads, or
    ``data`` (tensors, arrays, image sets, or a tuple of them) change."""
    arch = repr(model) + repr([(k, tuple(v.shape)) for k, v in
                               model.state_dict().items()])
    classes = sorted({type(m) for m in model.modules()}, key=lambda c: c.__qualname__)
    code = code_fingerprint(*classes, *([train] if train is not None else []))
    text = (arch + code + json.dumps(settings, sort_keys=True, default=str)
            + str(data_fingerprint(data)))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# The data's fingerprint ----------------------------------------------------------

# tensors already fingerprinted: id -> (weak reference, where and which version,
# fingerprint)
_SEEN_TENSORS: dict[int, tuple] = {}
_SEEN_SIZE = 32


def _crc(kind: Any, shape: tuple, raw: np.ndarray) -> str:
    """CRC-32 of every byte of ``raw`` (uint8), with the dtype and shape: 0.09 s
    for the 60,000 training images as float32 (188 MB) on one busy core, half of
    SHA-256's time; any changed pixel changes it."""
    return f"{kind}{list(shape)}:{zlib.crc32(raw):08x}"


def _tensor_fingerprint(x: torch.Tensor) -> str:
    try:  # an inference-mode tensor has no version counter: not remembered
        place = (x.data_ptr(), x._version, tuple(x.shape), x.stride(), str(x.dtype),
                 str(x.device))
    except RuntimeError:
        place = None
    seen = _SEEN_TENSORS.get(id(x))
    if place is not None and seen is not None and seen[0]() is x and seen[1] == place:
        return seen[2]  # the same tensor, not changed in place since
    flat = x.detach().cpu().contiguous().reshape(-1)
    text = _crc(x.dtype, tuple(x.shape), flat.view(torch.uint8).numpy())
    if place is not None:
        while len(_SEEN_TENSORS) >= _SEEN_SIZE:
            _SEEN_TENSORS.pop(next(iter(_SEEN_TENSORS)))
        _SEEN_TENSORS[id(x)] = (weakref.ref(x), place, text)
    return text


def data_fingerprint(value: Any, depth: int = 0) -> str | None:
    """A fingerprint of the data in ``value``: a tensor, a numeric NumPy array, a
    dataclass of the course holding them (:class:`data.ImageSet`), or a tuple or
    list of these (three levels deep at most); None when ``value`` holds no data.
    A tensor is fingerprinted once until it changes in place."""
    if isinstance(value, torch.Tensor):
        try:
            return _tensor_fingerprint(value)
        except (RuntimeError, ValueError, TypeError):  # sparse, meta, lazy, ...
            return f"{type(value).__qualname__}:no bytes to read"
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            return None
        raw = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
        return _crc(value.dtype, value.shape, raw)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and (
            _is_course_code(type(value))):
        parts = [(field.name, getattr(value, field.name))
                 for field in dataclasses.fields(value)]
    elif isinstance(value, (tuple, list)):
        parts = list(enumerate(value))
    else:
        return None
    if depth >= 3:
        return None
    texts = [(name, data_fingerprint(part, depth + 1)) for name, part in parts]
    if all(text is None for _, text in texts):
        return None
    return "(" + ",".join(f"{name}={_part_text(text, part)}"
                          for (name, text), (_, part) in zip(texts, parts,
                                                             strict=True)) + ")"


def _part_text(fingerprint: str | None, part: Any) -> str:
    return fingerprint if fingerprint is not None else (
        _plain_text(part) if _is_plain(part) else type(part).__qualname__)


# Storing what training returned ---------------------------------------------------


def _to_stored(result: Any) -> Any:
    """What ``torch.load(weights_only=True)`` can read back."""
    if hasattr(result, "to_plain"):
        kind = type(result)
        return {"__class__": f"{kind.__module__}:{kind.__qualname__}",
                "state": result.to_plain()}
    return result


def _from_stored(value: Any) -> Any:
    if isinstance(value, dict) and "__class__" in value:
        module, _, qualname = value["__class__"].partition(":")
        kind: Any = sys.modules[module]  # a KeyError retrains: class not loaded
        for part in qualname.split("."):
            kind = getattr(kind, part)
        return kind.from_plain(value["state"])
    return value


def data_checksum(x: torch.Tensor) -> str:
    """A checksum of a training set for a cache key's settings: the CRC-32 of
    every byte with the shape and dtype (:func:`data_fingerprint`); any changed
    pixel changes it."""
    return data_fingerprint(x)


def cache_enabled() -> bool:
    """False when ``COURSE_NO_CACHE`` is set to a true flag."""
    return not env_setting("COURSE_NO_CACHE")


def cached_training(name: str, model: torch.nn.Module,
                    train: Callable[[torch.nn.Module], Any], settings: dict,
                    verbose: bool = True,
                    device: str | torch.device | None = None,
                    data: Any = None) -> Any:
    """Load ``model``'s trained weights from the cache, or train and save them.

    name: a file-name prefix, e.g. ``"vae-fashion"``.
    model: a freshly built model; its weights are replaced in place.
    train: ``train(model)`` trains it and returns what the notebook needs later
        (typically the :class:`training.History`), stored beside the weights.
    settings: everything that changes the result (data size, epochs, seed, ...).
    device: move ``model`` there first (:func:`config.as_device`); None leaves it
        where it is. Cached weights are read onto the CPU and copied into the
        model's parameters, so they land on the model's device either way.
    data: data the training uses that ``train`` does not read itself (the data
        it reads, and the course code it calls reads, count anyway).
    Returns what ``train`` returned (from the cache on a hit).
    """
    if device is not None:
        model.to(as_device(device, where="cached_training"))
    key = cache_key(model, settings, train, data)
    path = Path(data_dir()) / "models" / f"{name}-{key}.pt"
    if not cache_enabled():
        return _train(model, train)
    found = _try_load(path, model, verbose)
    if found is not _MISSING:
        return found

    def waiting():
        print(translate(f"Another kernel is training {path.name} right now; waiting "
                        "for it to finish, then loading its result."), flush=True)

    # a second kernel that wants this model waits for the first and loads its
    # result instead of training it again at the same time
    with cache_files.training_lock(path, on_wait=waiting):
        found = _try_load(path, model, verbose, report_damage=False)
        if found is not _MISSING:
            return found
        result = _train(model, train)
        _save(path, model, result)
    return result


_MISSING = object()


def _train(model: torch.nn.Module, train: Callable[[torch.nn.Module], Any]) -> Any:
    result = train(model)
    release()  # a training loop's freed temporaries go back to the system
    return result


def _try_load(path: Path, model: torch.nn.Module, verbose: bool,
              report_damage: bool = True) -> Any:
    """What :func:`_load` returns, or ``_MISSING`` when there is no usable file
    (a damaged one is reported when ``report_damage``)."""
    if not (path.exists() or path.is_symlink()):
        return _MISSING
    try:
        result = _load(path, model)
    except Exception as err:  # damaged, renamed, old format, not a file, ...
        reason = (str(err) if isinstance(err, cache_files.UnusableCacheFile)
                  else f"{type(err).__name__}")
        if report_damage:
            print(translate(f"Could not use the cached {path.name} ({reason}); "
                            "training again."))
        return _MISSING
    if verbose:
        print(translate(f"Loaded trained weights from the cache: {path.name}"))
    return result


def _load(path: Path, model: torch.nn.Module) -> Any:
    """Read ``path`` (:func:`cache_files.read`) into a copy of ``model`` first and
    into ``model`` only when every weight fitted: a failed load leaves ``model``
    as it was built. Returns the stored result."""
    saved = cache_files.read(path, path.stem)
    trial = copy.deepcopy(model)
    trial.load_state_dict(saved["state_dict"], strict=True)
    result = _from_stored(saved.get("result"))
    model.load_state_dict(trial.state_dict())
    return result


def _save(path: Path, model: torch.nn.Module, result: Any) -> None:
    """Write the weights and the result (:func:`cache_files.save_or_warn`)."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    cache_files.save_or_warn(path, state, _to_stored(result), stacklevel=4)
