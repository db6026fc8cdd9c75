"""Hypothesis profiles: a short slice in `make test`, 100k+ cases in `make fuzz`.

`HYPOTHESIS_PROFILE=fuzz` (set by `make fuzz`) runs every target here with 15,000 examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("slice", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=15_000, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "slice"))
