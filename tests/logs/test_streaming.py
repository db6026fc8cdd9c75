"""Log tables written as the logs are read (issue 18, flat memory): the events view row by row,
the summaries counted per key, the files handed on one at a time from parallel workers. A
differential test holds every view and format to what the tables were when they were made
from a frame of every event held (the reference below is that code), on the samples, the
fixtures of every format, a rotated set and generated months of Postfix logs."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from logkit import FIXTURES, ROOT
from typer.testing import CliRunner

from tests.conftest import free_loopback
from tracecheck.cli import app
from tracecheck.domains import ConsumerDomains
from tracecheck.logs import read_log_files, stream_log_files
from tracecheck.logs.reading import FileTask, _FileRead
from tracecheck.logs.tables import (
    LogTableFormat,
    LogView,
    Totals,
    events_frame,
    summary_frames,
    write_view,
)
from tracecheck.model import Locator, LogEvent, LogRecipient
from tracecheck.parallel import LocalExecutor

runner = CliRunner()
IS_CONSUMER = ConsumerDomains.load_default(()).is_consumer
NAMES = ("postfix_dec_jan.log", "exim_mainlog", "sendmail_maillog", "MSGTRK20210201-1.LOG",
         "purview_audit.csv", "gmail_bigquery.json")


def _generated(folder: Path) -> list[str]:
    """Eight monthly rotated Postfix files from the log bench's generator (1 MiB)."""
    spec = importlib.util.spec_from_file_location("bench_logs", ROOT / "scripts" /
                                                  "bench_logs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_logs", module)
    spec.loader.exec_module(module)
    module.write_rotated(folder, 1)
    return sorted(str(p) for p in folder.iterdir())


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Log sets: the samples, a rotated set with one file of each other format, generated
    months of Postfix."""
    folder = tmp_path_factory.mktemp("logs")
    shutil.copytree(FIXTURES / "rotated", folder / "rotated")
    for name in NAMES:
        shutil.copy(FIXTURES / name, folder / name)
    mixed = [str(folder / "rotated" / n) for n in ("mail.log", "mail.log.1", "mail.log.2.gz")]
    return {
        "samples": sorted(str(p) for p in (ROOT / "samples" / "logs").iterdir()),
        "mixed": mixed + [str(folder / n) for n in NAMES],
        "generated": _generated(folder / "generated"),
    }


# --- the reference: the tables as they were made from one frame of every event -------------

def _reference(events: Sequence[LogEvent], view: LogView, fmt: LogTableFormat) -> str:
    frame = (events_frame(events) if view is LogView.EVENTS
             else _reference_summaries(events)[view.value])
    out = io.StringIO()
    if fmt is LogTableFormat.CSV:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        from tracecheck.reports.safe_text import spreadsheet_cell

        for col in frame.columns:
            if not (is_numeric_dtype(frame[col]) or is_bool_dtype(frame[col])):
                frame[col] = frame[col].map(spreadsheet_cell)
        frame.to_csv(out, index=False, lineterminator="\n")
    else:
        json.dump(json.loads(frame.to_json(orient="records", date_format="iso")), out,
                  indent=2, ensure_ascii=False)
        out.write("\n")
    return out.getvalue()


def _reference_summaries(events: Sequence[LogEvent]) -> dict[str, pd.DataFrame]:
    from tracecheck.logs.analysis import consumer_address, day_of

    rows = [{"locator": str(ev.locator), "sender": ev.sender.lower(), "day": day_of(ev.time),
             "month": day_of(ev.time)[:7],
             "domain": r.addr.rpartition("@")[2].lower() if "@" in r.addr else "",
             "consumer": consumer_address(IS_CONSUMER, r.addr),
             "delivered": r.status == "delivered"}
            for ev in events if ev.kind == "message" for r in ev.recipients]
    df = pd.DataFrame(rows, columns=["locator", "sender", "day", "month", "domain", "consumer",
                                     "delivered"])

    def agg(by: str) -> pd.DataFrame:
        if df.empty:
            return pd.DataFrame(columns=[by, "messages", "recipients", "consumer_messages",
                                         "consumer_recipients", "delivered_recipients"])
        consumer = df[df["consumer"]]
        out = pd.DataFrame({
            "messages": df.groupby(by)["locator"].nunique(),
            "recipients": df.groupby(by).size(),
            "consumer_messages": consumer.groupby(by)["locator"].nunique(),
            "consumer_recipients": consumer.groupby(by).size(),
            "delivered_recipients": df.groupby(by)["delivered"].sum(),
        }).fillna(0).astype("int64")
        return out.reset_index().rename(columns={"index": by}).sort_values(
            by, kind="stable", ignore_index=True)

    by_domain = agg("domain")
    if not by_domain.empty:
        by_domain.insert(1, "consumer_domain", [bool(d) and IS_CONSUMER(f"x@{d}")
                                                for d in by_domain["domain"]])
    return {"by_sender": agg("sender"), "by_domain": by_domain, "by_day": agg("day"),
            "by_month": agg("month")}


def _written(events: Any, view: LogView, fmt: LogTableFormat) -> str:
    out = io.StringIO()
    write_view(events, view, fmt, out, IS_CONSUMER)
    return out.getvalue()


@pytest.mark.parametrize("name", ["samples", "mixed", "generated"])
def test_streamed_tables_are_the_tables_of_every_event_held(
        sets: dict[str, list[str]], name: str) -> None:
    held = read_log_files(sets[name], year=2021).events
    assert held
    for view in LogView:
        for fmt in (LogTableFormat.CSV, LogTableFormat.JSON):
            stream = stream_log_files(sets[name], year=2021)
            got = _written(iter(stream), view, fmt)
            assert got == _reference(held, view, fmt), (name, view, fmt)
            assert sum(f.events for f in stream.result.files) == len(held)


def test_a_message_whose_duplicate_locator_counts_once() -> None:
    """Records of one JSON line share its locator: the summaries count them as one message,
    as the frame's distinct locators did."""
    rcpt = (LogRecipient("pat@gmail.com", "delivered"),)
    one = Locator(path="x.json", line=1)
    events = [LogEvent(log_format="gmail", source="x.json", locator=one, sender="a@org.uk",
                       recipients=rcpt, time="2021-03-01T10:00:00Z", message_id=f"<{i}@o>")
              for i in range(3)]
    for view in LogView:
        assert _written(events, view, LogTableFormat.JSON) == _reference(
            events, view, LogTableFormat.JSON)
    frame = summary_frames(events, IS_CONSUMER)["by_day"]
    assert frame["messages"].tolist() == [1] and frame["recipients"].tolist() == [3]


def test_an_unknown_time_is_an_empty_cell_not_nan() -> None:
    """The frame of every event wrote `nan` for a time-less event once another event had a
    time (pandas' string column); the streamed CSV writes an empty cell, as for the others."""
    times = ((1, "2021-03-01T10:00:00Z"), (2, None))
    events = [LogEvent(log_format="exchange", source="t.log", locator=Locator("t.log", line=n),
                       time=t, sender="a@org.uk", recipients=()) for n, t in times]
    rows = _written(events, LogView.EVENTS, LogTableFormat.CSV).splitlines()
    assert rows[2].split(",")[2] == "" and "nan" not in rows[2]


def test_a_summary_refuses_a_file_whose_events_come_apart() -> None:
    rcpt = (LogRecipient("pat@gmail.com", "delivered"),)

    def ev(src: str, line: int) -> LogEvent:
        return LogEvent(log_format="postfix", source=src, locator=Locator(src, line=line),
                        sender="a@org.uk", recipients=rcpt, time=None)

    totals = Totals(IS_CONSUMER)
    for e in (ev("a", 1), ev("b", 1)):
        totals.add(e)
    with pytest.raises(ValueError, match="come apart"):
        totals.add(ev("a", 2))


def test_parallel_results_are_taken_one_file_at_a_time(sets: dict[str, list[str]]) -> None:
    """The first file's events are handed on before the later files' results are asked for:
    a map that gives results one at a time is never drained ahead of the writer."""
    asked: list[str] = []

    def lazy_map(fn: Callable[[FileTask], _FileRead | None], tasks: Sequence[FileTask],
                 lost: Callable[[FileTask, BaseException], _FileRead | None]
                 ) -> Iterator[_FileRead | None]:
        for t in tasks:
            asked.append(t.path)
            yield fn(t)

    paths = sets["generated"]
    stream = stream_log_files(paths, year=2021, map_files=lazy_map)
    first = next(iter(stream))
    assert len(asked) == 1 and first.source == asked[0]
    with pytest.raises(RuntimeError):
        stream.result  # noqa: B018 - the rest is not known before every event is taken


def test_local_workers_stream_the_same_events_in_order(sets: dict[str, list[str]]) -> None:
    paths = sets["mixed"]
    serial = read_log_files(paths, year=2020)
    stream = stream_log_files(paths, year=2020, map_files=LocalExecutor(workers=2).map)
    assert tuple(stream) == serial.events
    assert stream.result.files == serial.files and stream.result.skipped == serial.skipped


@pytest.mark.parametrize("view", [v.value for v in LogView])
@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_cli_bytes_are_the_same_serial_parallel_and_held(
        sets: dict[str, list[str]], tmp_path: Path, view: str, fmt: str) -> None:
    """`tracecheck logs` (read as written) with one and two workers, and the held table of
    `api.read_log_table` written through `api.write_log_table`: the same bytes."""
    from tracecheck import api

    folder = Path(sets["generated"][0]).parent
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.{fmt}"
        res = runner.invoke(app, ["logs", str(folder), "--view", view, "--format", fmt,
                                  "--log-year", "2021", "--workers", workers,
                                  "--output", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    options = api.ScanOptions(log_year=2021, workers=1)
    table = api.read_log_table([str(folder)], options)
    held = tmp_path / f"held.{fmt}"
    with open(held, "w", encoding="utf-8", newline="") as fh:
        api.write_log_table(table, options, api.LogView(view), api.LogTableFormat(fmt), fh)
    assert outs[0] == outs[1] == held.read_bytes()
    assert len(outs[0]) > 200


@pytest.mark.parametrize("executor", ["local", pytest.param("dask", marks=pytest.mark.dask)])
def test_summaries_are_counted_on_the_workers(sets: dict[str, list[str]],
                                              executor: str) -> None:
    """With `count`, each worker counts its file and sends back its counts, not its events:
    nothing of the events crosses to the parent, and the totals are those of counting every
    event in the parent (per view, key and count)."""
    paths = sets["generated"]
    is_consumer = ConsumerDomains.load_default().is_consumer
    want = summary_frames(read_log_files(paths, year=2021).events, is_consumer)
    if executor == "dask":
        if not free_loopback():
            pytest.skip("no loopback networking")
        from tracecheck.parallel import DaskExecutor

        ex: Any = DaskExecutor("local")
    else:
        ex = LocalExecutor(workers=2)
    sent: list[int] = []

    def spy(fn: Callable[[FileTask], _FileRead | None], tasks: Sequence[FileTask],
            lost: Callable[[FileTask, BaseException], _FileRead | None]
            ) -> Iterator[_FileRead | None]:
        for got in ex.map(fn, tasks, lost):
            sent.append(-1 if got is None else len(got.events))
            yield got

    stream = stream_log_files(paths, year=2021, map_files=spy, count=is_consumer)
    assert list(stream) == [] and len(sent) == len(paths) > 1 and set(sent) == {0}
    assert stream.totals is not None
    got = summary_frames((), is_consumer, stream.totals)
    assert sum(f.events for f in stream.result.files) > 1000
    for view, frame in want.items():
        pd.testing.assert_frame_equal(got[view], frame)
        assert frame["messages"].sum() > 100
