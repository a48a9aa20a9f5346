"""``refused``: the shared check of the robustness tests that an error names the
problem and is raised at the user's misusing statement (not deep inside the library)."""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def refused(exc: type[BaseException], *patterns: str, at: str) -> Iterator[pytest.ExceptionInfo]:
    """Expect ``exc`` whose message matches every regex in ``patterns``, raised from the
    statement of the calling test file that contains ``at`` (the user's call)."""
    caller = os.path.abspath(inspect.stack()[2].filename)  # [0] here, [1] contextlib, [2] the test
    with pytest.raises(exc) as info:
        yield info
    msg = str(info.value)
    for p in patterns:
        assert re.search(p, msg), f"{p!r} not found in the message {msg!r}"
    ours = [e for e in info.traceback if os.path.abspath(str(e.path)) == caller]
    assert ours, f"the error was not raised through {caller}"
    line = str(ours[-1].statement)
    assert at in line, f"raised below {line!r}, not below the call {at!r}"
