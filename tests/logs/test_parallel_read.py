"""Log files read in parallel (issue 18): the same `LogRead` as the serial read, on local
worker processes and on a Dask LocalCluster; rotated sets still oldest first; a lost worker is
a `worker-lost` entry; the CLI gives the same bytes with any worker count."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from logkit import FIXTURES
from typer.testing import CliRunner

from tests.conftest import free_loopback
from tracecheck.cli import app
from tracecheck.logs.reading import FileTask, _FileRead, read_log_files
from tracecheck.model import SkipKind
from tracecheck.parallel import DaskExecutor, LocalExecutor

runner = CliRunner()
NAMES = ("postfix_dec_jan.log", "exim_mainlog", "sendmail_maillog", "MSGTRK20210201-1.LOG",
         "purview_audit.csv", "gmail_bigquery.json")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A rotated Postfix set (given newest first, to be put in order) and one file of each
    of five other formats."""
    folder = tmp_path_factory.mktemp("months")
    shutil.copytree(FIXTURES / "rotated", folder / "rotated")
    for name in NAMES:
        shutil.copy(FIXTURES / name, folder / name)
    rotated = [str(folder / "rotated" / n) for n in ("mail.log", "mail.log.1", "mail.log.2.gz")]
    return rotated + [str(folder / n) for n in NAMES]


def test_local_workers_read_the_same_as_serial(logs: list[str]) -> None:
    serial = read_log_files(logs, year=2020)
    assert serial.events and len(serial.files) == len(logs)
    parallel = read_log_files(logs, year=2020, map_files=LocalExecutor(workers=2).map)
    assert parallel == serial
    order = [f.path for f in serial.files if "rotated" in f.path]
    assert [Path(p).name for p in order] == ["mail.log.2.gz", "mail.log.1", "mail.log"]


def test_years_matched_from_the_export_are_the_same_in_parallel(logs: list[str]) -> None:
    """No --log-year: the mtime plan, and the re-reads it may cause, on workers too."""
    assert (read_log_files(logs, map_files=LocalExecutor(workers=2).map)
            == read_log_files(logs))


@pytest.mark.dask
@pytest.mark.timeout(120)
def test_a_dask_local_cluster_reads_the_same_as_serial(logs: list[str]) -> None:
    if not free_loopback():
        pytest.skip("no loopback networking")
    serial = read_log_files(logs, year=2020)
    assert read_log_files(logs, year=2020, map_files=DaskExecutor("local").map) == serial


def test_a_lost_worker_is_listed_not_silent(logs: list[str]) -> None:
    def dying_map(fn: object, items: list[FileTask], lost: object) -> list[_FileRead | None]:
        return [lost(t, RuntimeError("gone")) if i == 1 else fn(t)  # type: ignore[operator]
                for i, t in enumerate(items)]

    read = read_log_files(logs, year=2020, map_files=dying_map)
    (gap,) = [s for s in read.skipped if s.kind is SkipKind.WORKER_LOST]
    second = read.files[1]
    assert gap.locator.path == second.path and second.events == 0 and "rerun" in gap.reason
    assert gap.kind.incomplete


def test_the_cli_writes_the_same_bytes_with_any_worker_count(logs: list[str]) -> None:
    outs = []
    for workers in ("1", "2"):
        res = runner.invoke(app, ["logs", *logs, "--log-year", "2020", "-f", "json",
                                  "--workers", workers])
        assert res.exit_code == 0, res.output
        outs.append(res.stdout)
    assert outs[0] == outs[1] and json.loads(outs[0])["rows"]
