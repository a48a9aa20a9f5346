"""Array helpers shared by the update rules."""

from __future__ import annotations

import numpy as np

__all__ = ["lerp"]


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)``, rounded the way ``torch.lerp`` rounds.

    PyTorch's moving averages (Adam's ``exp_avg``, RMSprop's ``grad_avg``)
    use ``lerp_`` rather than ``beta * m + (1 - beta) * g``; its kernel
    switches formula at ``weight = 0.5`` so that ``weight = 1`` gives ``end``
    exactly. Copying that keeps our trajectories within rounding of PyTorch's.
    """
    diff = end - start
    if abs(weight) < 0.5:
        return start + weight * diff
    return end - diff * (1 - weight)
