"""tracecheck: find UK health data sent to or from consumer mailboxes in mail exports and logs."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
