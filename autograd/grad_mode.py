"""Per-thread switches: grad recording (``no_grad``/``enable_grad``) and anomaly mode.

Grad mode lives in a ``threading.local`` so that ``no_grad`` in one thread never
changes what another thread records (PyTorch behaves the same way).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    """Thread-local flags; class attributes are the defaults every new thread sees."""

    grad_enabled = True
    anomaly = False
    scope: tuple = ()  # the stack of Modules whose forward is running (for graph drawing)


STATE = _State()


def is_grad_enabled() -> bool:
    """Whether operations in this thread are recorded for backward."""
    return STATE.grad_enabled


class _GradModeContext:
    """Context manager and decorator that sets grad mode, restoring the old value on exit."""

    _mode: bool

    def __enter__(self) -> None:
        self._saved = STATE.grad_enabled
        STATE.grad_enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self._saved

    def __call__(self, fn: F) -> F:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            saved = STATE.grad_enabled
            STATE.grad_enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.grad_enabled = saved

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):
    """Disable recording: results of ops have no ``grad_fn`` and need no memory for backward."""

    _mode = False


class enable_grad(_GradModeContext):
    """Re-enable recording inside a ``no_grad`` block (or a function decorated by it)."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``, as ``torch.set_grad_enabled``."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
