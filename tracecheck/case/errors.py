"""The case layer's one exception base. Never raised for bad mail: only for an unusable case."""

from __future__ import annotations

from tracecheck.errors import TracecheckError


class CaseStoreError(TracecheckError):
    """A case directory or database that cannot be used (newer schema, not a case, bad call)."""
