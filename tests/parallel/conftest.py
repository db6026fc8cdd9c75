"""Markers for the parallel tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dask: starts a 2-worker Dask LocalCluster on loopback")
