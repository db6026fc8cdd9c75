"""`--format parquet` (findings): the JSONL rows, typed, read back the same by pandas and Dask;
masked as every other format; deterministic bytes; written in row groups, 0600."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.conftest import eml
from tests.parquet_kit import dask_rows, pandas_rows
from tests.reports.golden import golden_result, render_bytes, render_scan
from tracecheck.cli import app
from tracecheck.reports import parquet
from tracecheck.reports.base import ReportFormat


def _written(tmp_path: Path, *, reveal: bool = False, name: str = "f.parquet") -> Path:
    path = tmp_path / name
    path.write_bytes(render_bytes(golden_result(), ReportFormat.PARQUET, reveal=reveal))
    return path


def _jsonl(*, reveal: bool = False) -> list[dict[str, object]]:
    text = render_scan(golden_result(), ReportFormat.JSONL, reveal=reveal)
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("reveal", [False, True])
def test_pandas_and_dask_read_back_the_jsonl_rows(tmp_path: Path, reveal: bool) -> None:
    path = _written(tmp_path, reveal=reveal)
    expected = _jsonl(reveal=reveal)
    assert pandas_rows(path) == expected
    assert dask_rows(path) == expected
    assert ("value" in expected[0]) is reveal


def test_columns_are_typed() -> None:
    data = render_bytes(golden_result(), ReportFormat.PARQUET)
    table = pq.read_table(pa.BufferReader(data))
    schema = table.schema
    assert schema.field("date").type == pa.timestamp("ms", tz="UTC")
    for name in ("recipients", "consumer_addresses", "reasons"):
        assert schema.field(name).type == pa.list_(pa.string())
    for name in ("flow", "rule", "category", "severity", "source"):
        assert pa.types.is_dictionary(schema.field(name).type)
    assert schema.field("confidence").type == pa.float64()
    assert schema.field("occurrences").type == pa.int64()
    assert schema.field("test_data").type == pa.bool_()
    meta = schema.metadata
    assert meta[b"tracecheck.schema_version"] == b"1"
    assert meta[b"tracecheck.table"] == b"findings"
    undated = table.to_pylist()[5]
    assert undated["date"] is None and undated["where"] == "subject"


def test_masked_unless_reveal() -> None:
    masked = pq.read_table(pa.BufferReader(
        render_bytes(golden_result(), ReportFormat.PARQUET))).to_pylist()
    values = {f.value for f in golden_result().findings}
    cells = json.dumps(masked, default=str)
    assert not any(v in cells for v in values)
    assert "value" not in masked[0]


def test_the_same_result_gives_the_same_bytes() -> None:
    assert (render_bytes(golden_result(), ReportFormat.PARQUET)
            == render_bytes(golden_result(), ReportFormat.PARQUET))


def test_rows_are_streamed_in_row_groups(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 3)
    path = _written(tmp_path)
    assert pq.ParquetFile(path).num_row_groups == 3  # 7 findings: 3 + 3 + 1
    assert pandas_rows(path) == _jsonl()


def test_no_findings_is_a_file_with_the_schema_and_no_rows(tmp_path: Path) -> None:
    import dataclasses

    empty = dataclasses.replace(golden_result(), findings=())
    path = tmp_path / "none.parquet"
    path.write_bytes(render_bytes(empty, ReportFormat.PARQUET))
    table = pq.read_table(path)
    assert table.num_rows == 0 and table.schema.names == [c for c, _ in
                                                           parquet.FINDING_COLUMNS]


def test_the_cli_writes_it_0600_and_twice_the_same(tmp_path: Path) -> None:
    box = tmp_path / "box"
    box.mkdir()
    for i in range(3):
        (box / f"m{i}.eml").write_bytes(eml(
            to="sam.j@gmail.com", body="NHS number 943 476 5919, PCR came back positive"
        ).replace(b"<m1@", f"<m{i}@".encode()))
    runner = CliRunner()
    outs = []
    for name in ("a.parquet", "b.parquet"):
        res = runner.invoke(app, ["scan", str(box), "-f", "parquet", "-o",
                                  str(tmp_path / name), "--workers", "1"])
        assert res.exit_code == 1, res.output
        outs.append(tmp_path / name)
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert outs[0].read_bytes() == outs[1].read_bytes()
    res = runner.invoke(app, ["scan", str(box), "-f", "jsonl", "--workers", "1"])
    assert pandas_rows(outs[0]) == [json.loads(x) for x in res.output.splitlines()]
