"""Reading a Parquet file back as plain rows (the JSON formats' values), with pandas and with
Dask, for the tests that hold Parquet output equal to the JSONL/JSON rows."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

TIME = "%Y-%m-%dT%H:%M:%SZ"


def plain(value: Any) -> Any:
    """A frame's cell as the JSON formats write it: timestamps as UTC strings, arrays as
    lists, numpy scalars as Python values, missing values as None."""
    if isinstance(value, pd.Timestamp):
        assert str(value.tz) == "UTC"
        return value.strftime(TIME)
    if hasattr(value, "tolist"):  # numpy arrays (list columns) and numpy scalars
        return plain(value.tolist())
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Every row of `frame` as a dict of plain values, in column order."""
    return [{c: plain(v) for c, v in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False, name=None)]


def pandas_rows(path: Path) -> list[dict[str, Any]]:
    """The file read by `pandas.read_parquet`."""
    return frame_rows(pd.read_parquet(path))


def dask_rows(path: Path) -> list[dict[str, Any]]:
    """The file read by `dask.dataframe.read_parquet` (computed in this process)."""
    import warnings

    import dask.dataframe as dd

    with warnings.catch_warnings():  # dask's own use of a pandas keyword pandas deprecates
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return frame_rows(dd.read_parquet(str(path)).compute(scheduler="sync"))
