"""Hypothesis profiles shared by the whole suite.

``ci`` (the default) is reproducible and quick: derandomized, so CI runs the same
examples every time, and a modest number of examples per property (50: the
property tests then take ~6 s, far inside the suite's three-minute budget on two
cores, while 25 mostly repeats tiny shapes).  ``thorough``
(``HYPOTHESIS_PROFILE=thorough pytest``) explores far more random cases locally.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
