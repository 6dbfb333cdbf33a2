"""One converter from whatever a student or a model hands over (a number, a list,
a NumPy array, a torch tensor on any device, with or without gradients) to a
NumPy array. Every module that needs NumPy's view of a value uses it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from course_utils.core.errors import ShapeError


def to_numpy(value: Any, dtype: Any = np.float64, what: str = "the value"
             ) -> np.ndarray:
    """``value`` as a NumPy array of ``dtype`` (``None`` keeps the dtype), detached
    and on the CPU. A value that is not numeric raises one ShapeError naming
    ``what``."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if dtype is not None and value.is_floating_point():
            value = value.double() if dtype == np.float64 else value.float()
        value = value.numpy()
    try:
        return np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError):   # OverflowError: 10**400
        raise ShapeError(f"{what} should be a number or an array, got "
                         f"{type(value).__name__}.") from None
