"""Running shards in parallel: a registry of executors (`local` process pool, `dask`).

`executor_for(workers=N)` or `executor_for(dask="tcp://host:8786" | "local")` returns an
`Executor` (`parallel.base`) for `api.scan`. Every backend yields the same results as a
one-worker run once the api has merged them (same findings, order and fingerprints).
"""

from __future__ import annotations

from collections.abc import Callable

from tracecheck.parallel.base import Executor
from tracecheck.parallel.dask_backend import DaskExecutor
from tracecheck.parallel.local import LocalExecutor, default_workers

BACKENDS: dict[str, Callable[..., Executor]] = {
    "local": LocalExecutor,
    "dask": DaskExecutor,
}
"""Executor factories by name: `local(workers=None, target_bytes=None)`,
`dask(address, target_bytes=None)`."""


def executor_for(
    workers: int | None = None, dask: str | None = None, target_bytes: int | None = None
) -> Executor:
    """The executor for the CLI's `--workers N` (default: all cores) or `--dask ADDRESS`."""
    if dask:
        return BACKENDS["dask"](dask, target_bytes=target_bytes)
    return BACKENDS["local"](workers=workers, target_bytes=target_bytes)


__all__ = ["BACKENDS", "DaskExecutor", "Executor", "LocalExecutor", "default_workers",
           "executor_for"]
