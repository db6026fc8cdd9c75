"""Hypothesis profiles: a short slice in `make test`, a budgeted run in `make fuzz`, the full
counts in `make fuzz-deep` (nightly).

`HYPOTHESIS_PROFILE=fuzz` (set by `make fuzz`) runs every target here with 1,500 examples, so
that the whole of `make fuzz` fits its two-minute budget; `HYPOTHESIS_PROFILE=fuzz-deep` (set
by `make fuzz-deep`) runs 15,000 each. The differential tests of the fast paths take their
counts from `tests.mime_gen.EXAMPLES`, by the same profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("slice", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=1_500, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("fuzz-deep", max_examples=15_000, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "slice"))
