"""`--format parquet`: findings, and the tables of `tracecheck logs`, as typed Parquet files.

Owns the Parquet schema of a finding (`FINDINGS_SCHEMA`: UTC timestamps, list columns, and
dictionary columns for the categories), and the one Parquet writer (`write_rows`), which the
log tables use too: rows are turned into Arrow record batches of `ROW_GROUP_ROWS` rows as they
come, each written as one row group, so a large report is never held whole. The file's
metadata carries `tracecheck.schema_version`, the table it holds and the tool version. Bytes
are deterministic: the same rows give the same file (no write time is stored; `created_by`
names the pyarrow version).

Never builds a record: a finding's row is `records.finding_dict`, the builder of the JSON,
JSONL and CSV formats, so it is masked exactly as they are (`value` only with `reveal`); a log
event's row is `logs.tables.event_rows`. Text is stored as the JSON formats hold it (control
characters are data here, not written to a terminal or a spreadsheet).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from tracecheck import __version__
from tracecheck.model import ScanResult
from tracecheck.reports.base import SCHEMA_VERSION, Reporter
from tracecheck.reports.records import finding_dict

if TYPE_CHECKING:
    import pyarrow as pa

ROW_GROUP_ROWS = 10_000
"""Rows per row group (and per batch held in memory while writing)."""

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""How the other formats write a UTC time; parsed into a timestamp column."""


def _types() -> dict[str, pa.DataType]:
    import pyarrow as pa

    return {
        "string": pa.string(),
        "category": pa.dictionary(pa.int32(), pa.string()),
        "time": pa.timestamp("ms", tz="UTC"),  # Parquet has no whole-second unit
        "strings": pa.list_(pa.string()),
        "float": pa.float64(),
        "int": pa.int64(),
        "bool": pa.bool_(),
    }


FINDING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("message_id", "string"),
    ("source", "category"),
    ("locator", "string"),
    ("part", "string"),
    ("where", "string"),
    ("date", "time"),
    ("sender", "string"),
    ("recipients", "strings"),
    ("flow", "category"),
    ("consumer_addresses", "strings"),
    ("rule", "category"),
    ("category", "category"),
    ("severity", "category"),
    ("confidence", "float"),
    ("occurrences", "int"),
    ("test_data", "bool"),
    ("evidence", "string"),
    ("fingerprint", "string"),
    ("reasons", "strings"),
    ("custodian", "category"),
)
"""The findings file's columns, in the JSON key order, and their kinds (docs/output.md).
`value` (string) is added last with `--reveal`."""


def schema_of(columns: Iterable[tuple[str, str]]) -> pa.Schema:
    """An Arrow schema from (name, kind) pairs; every column may be null."""
    import pyarrow as pa

    types = _types()
    return pa.schema([pa.field(name, types[kind]) for name, kind in columns])


def findings_schema(*, reveal: bool = False) -> pa.Schema:
    """The schema of a findings file (with the `value` column only when `reveal`)."""
    return schema_of((*FINDING_COLUMNS, *((("value", "string"),) if reveal else ())))


def utc_time(text: str | None) -> datetime | None:
    """A UTC time as the other formats write it (`YYYY-MM-DDTHH:MM:SSZ`), or None. Any other
    form is a bug in what built the row (times are normalised where they are read)."""
    if not text:
        return None
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def write_rows(rows: Iterable[Mapping[str, Any]], schema: pa.Schema, out: BinaryIO, *,
               table: str, extra: Mapping[str, str] | None = None) -> int:
    """Write `rows` (dicts keyed by the schema's names) to `out` as Parquet, one row group per
    `ROW_GROUP_ROWS` rows, and return the number of rows. Timestamp columns take the other
    formats' UTC strings. The file metadata names `table` and the schema version."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {"tracecheck.schema_version": str(SCHEMA_VERSION), "tracecheck.table": table,
            "tracecheck.tool_version": __version__, **(extra or {})}
    schema = schema.with_metadata({k.encode(): v.encode() for k, v in meta.items()})
    times = {f.name for f in schema if pa.types.is_timestamp(f.type)}
    written = 0
    rows_iter = iter(rows)
    with pq.ParquetWriter(_Unclosed(out), schema, compression="zstd", use_dictionary=True,
                          write_statistics=True) as writer:
        while chunk := list(itertools.islice(rows_iter, ROW_GROUP_ROWS)):
            columns = {name: [r.get(name) for r in chunk] for name in schema.names}
            for name in times:
                columns[name] = [utc_time(v) for v in columns[name]]
            writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=schema))
            written += len(chunk)
    out.flush()
    return written


class _Unclosed:
    """`out` for pyarrow: its writer may close the sink it is given, but the output's owner
    (`output_file.open_output`) still has to sync and rename it."""

    closed = False

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, data: bytes) -> int:
        return self._out.write(data)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self.closed = True


class ParquetReporter(Reporter[ScanResult]):
    """Findings as a Parquet file: the JSONL rows, typed (docs/output.md)."""

    def write(self, result: ScanResult, out: TextIO, *, reveal: bool = False) -> None:
        """Write the findings to the byte stream under `out` (`out.buffer`)."""
        rows = (finding_dict(f, reveal=reveal) for f in result.findings)
        write_rows(rows, findings_schema(reveal=reveal), out.buffer, table="findings")
