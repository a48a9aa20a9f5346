"""``--profile N``: where the library spends its time on a workload (cProfile, own time)."""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable
from typing import Any


def profile_step(step: Callable[[], Any], calls: int, top: int) -> str:
    """Run ``step`` ``calls`` times under cProfile; the ``top`` functions by own time, as text."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(max(1, calls)):
        step()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    # Keep the table (from its header on), not pstats' preamble of file names.
    start = text.find("   ncalls")
    return text[start:].rstrip() if start >= 0 else text.rstrip()
