"""The default floating dtype (NumPy's float64 unless changed), as ``torch.set_default_dtype``."""

from __future__ import annotations

import numpy as np

_DEFAULT = [np.dtype(np.float64)]


def set_default_dtype(dtype: object) -> None:
    """Set the dtype of new float tensors built from Python data and of new layers' parameters."""
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"default dtype must be float32 or float64, got {dt}")
    _DEFAULT[0] = dt


def get_default_dtype() -> np.dtype:
    """The current default float dtype."""
    return _DEFAULT[0]
