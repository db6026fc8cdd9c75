"""`tracecheck logs --format parquet`: every view read back by pandas and Dask equals the JSON
rows of the same view (typed: UTC times, categories), masked the same, streamed in row groups,
the same bytes twice."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from logkit import FIXTURES, ROOT, read_all

from tests.parquet_kit import dask_rows, pandas_rows
from tracecheck.logs.tables import LogTableFormat, LogView, write_view
from tracecheck.model import LogEvent
from tracecheck.reports import parquet

Check = Callable[[str], bool]


def _events() -> list[LogEvent]:
    events: list[LogEvent] = []
    for name in ("postfix_dec_jan.log", "MSGTRK20210201-1.LOG", "purview_audit.csv",
                 "gmail_bigquery.json"):
        events.extend(read_all((FIXTURES / name).relative_to(ROOT), year=2020)[0])
    return events


def _parquet(events: list[LogEvent], view: LogView, is_consumer: Check, *,
             reveal: bool = False) -> bytes:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    write_view(events, view, LogTableFormat.PARQUET, out, is_consumer, reveal=reveal)
    out.flush()
    return raw.getvalue()


def _json(events: list[LogEvent], view: LogView, is_consumer: Check, *,
          reveal: bool = False) -> list[dict[str, object]]:
    out = io.StringIO()
    write_view(events, view, LogTableFormat.JSON, out, is_consumer, reveal=reveal)
    rows: list[dict[str, object]] = json.loads(out.getvalue())
    return rows


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("view", list(LogView))
def test_every_view_reads_back_as_its_json_rows(view: LogView, is_consumer: Check,
                                                tmp_path: Path) -> None:
    events = _events()
    path = tmp_path / f"{view.value}.parquet"
    path.write_bytes(_parquet(events, view, is_consumer))
    expected = _json(events, view, is_consumer)
    assert expected
    assert pandas_rows(path) == expected
    assert dask_rows(path) == expected
    meta = pq.read_schema(path).metadata
    assert meta[b"tracecheck.table"] == f"logs.{view.value}".encode()
    assert meta[b"tracecheck.schema_version"] == b"1"
    assert _parquet(events, view, is_consumer) == path.read_bytes()


def test_events_are_typed_masked_and_streamed(is_consumer: Check, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 4)
    events = _events()
    path = tmp_path / "events.parquet"
    path.write_bytes(_parquet(events, LogView.EVENTS, is_consumer))
    schema = pq.read_schema(path)
    assert schema.field("time").type == pa.timestamp("ms", tz="UTC")
    for name in ("log_format", "kind", "status", "source"):
        assert pa.types.is_dictionary(schema.field(name).type)
    rows = pandas_rows(path)
    assert pq.ParquetFile(path).num_row_groups == -(-len(rows) // 4) > 1
    assert "COVID" not in json.dumps(rows)
    revealed = tmp_path / "revealed.parquet"
    revealed.write_bytes(_parquet(events, LogView.EVENTS, is_consumer, reveal=True))
    assert pandas_rows(revealed) == _json(events, LogView.EVENTS, is_consumer, reveal=True)
    assert "subject" in pq.read_schema(revealed).names
