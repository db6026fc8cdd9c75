"""Makes `logkit` importable by the log tests and provides the consumer-domain check."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tracecheck.domains import ConsumerDomains

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def is_consumer() -> Callable[[str], bool]:
    """The shipped consumer-domain list's address check."""
    return ConsumerDomains.load_default().is_consumer
