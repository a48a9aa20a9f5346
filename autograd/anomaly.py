"""``detect_anomaly``: find the op whose backward produced NaN or Inf."""

from __future__ import annotations

from typing import Any

from .grad_mode import STATE


class detect_anomaly:
    """Context manager, as ``torch.autograd.detect_anomaly``.

    Ops created inside it remember the file and line of the user's code that
    created them; a backward run inside it raises ``RuntimeError`` as soon as an
    op's backward returns NaN or Inf, naming that op and that place.
    It costs a stack walk per op, so use it for debugging only.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> detect_anomaly:
        self._saved = STATE.anomaly
        STATE.anomaly = self.check_nan
        return self

    def __exit__(self, *exc: Any) -> None:
        STATE.anomaly = self._saved
