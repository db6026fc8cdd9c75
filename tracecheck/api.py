"""The library front door: a scan, a scan into a case, and what commands ask of them.

Owns a run from paths to a `ScanResult`: discovering inputs, the scan config, running shards
through an executor (`parallel`), resuming from a case's saved shards, merging (`merge`), and
the mail-server logs beside the mail. It never prints and never picks exit codes' wording (the
CLI does); findings, flows and quoted-reply rules belong to `findings`, `triage`/`domains` and
`quotes`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from tracecheck import __version__
from tracecheck.baseline import DEFAULT_BASELINE
from tracecheck.case.review import Decision, DecisionRecord, ReviewRow
from tracecheck.case.review import Status as ReviewStatus
from tracecheck.case.review import StatusFilter as ReviewFilter
from tracecheck.config import ScanSettings, load_scan_settings
from tracecheck.diff import Change, DiffFormat, FindingsDiff
from tracecheck.domains import ConsumerDomains
from tracecheck.errors import InputError, UsageError
from tracecheck.findings import failing as _failing
from tracecheck.findings import fingerprint
from tracecheck.isolation import strict as strict_mode
from tracecheck.isolation import where_raised
from tracecheck.logs.tables import LogTableFormat, LogView
from tracecheck.merge import Joiner, Merger, file_key
from tracecheck.model import (
    CustodianFrom,
    ExtractLimits,
    Finding,
    Locator,
    LogEvent,
    LogFinding,
    LogSummary,
    LogYear,
    MessageRef,
    Note,
    RunOptions,
    ScanResult,
    Severity,
    ShardResult,
    SkipKind,
    Skipped,
    SourceSummary,
)
from tracecheck.output_file import check_output, open_output
from tracecheck.parallel.base import Executor
from tracecheck.reports.base import IcoFormat, ReportFormat, reporter_for
from tracecheck.reports.safe_text import visible
from tracecheck.rules.pack import Pack, load_packs
from tracecheck.scanner import ScanConfig
from tracecheck.shipped_rules import default_pack_paths
from tracecheck.sources.files import InputFile, discover
from tracecheck.worklists.formats import WorklistFormat
from tracecheck.worklists.rows import Worklist

if TYPE_CHECKING:
    from tracecheck.baseline import Baseline
    from tracecheck.case import CaseStore
    from tracecheck.case.containment import ContainmentRecord
    from tracecheck.case.manifest import AuditEntry, ReportSnapshot
    from tracecheck.custodians import Custodians
    from tracecheck.logs.analysis import IsConsumer
    from tracecheck.logs.join import ExportIndex
    from tracecheck.logs.reading import LogRead, LogStream
    from tracecheck.persons.link import Person
    from tracecheck.persons.mentions import Mention
    from tracecheck.reports.ico.config import IcoConfig
    from tracecheck.reread import Reread
    from tracecheck.worklists.rows import Containment


@dataclass(frozen=True)
class ScanOptions:
    """User-facing scan options (the CLI maps flags onto these)."""

    rules: tuple[str, ...] = ()
    """Rule pack paths; empty means the shipped packs."""
    org_domains: tuple[str, ...] = ()
    extra_consumer: tuple[str, ...] = ()
    all_messages: bool = False
    """False (default): triage on headers and scan the content of messages that involve a
    consumer address only; True: scan every message (findings on every flow)."""
    min_confidence: float | None = None
    regex_timeout: float = 5.0
    disabled: tuple[str, ...] = ()
    limits: ExtractLimits = field(default_factory=ExtractLimits)
    log_year: int | None = None
    log_tz: str = "Europe/London"
    case_reference: str | None = None
    """A case-reference pattern (e.g. Test and Trace case ids) used as health context."""
    allow_addresses: tuple[str, ...] = ()
    """Addresses never treated as consumer mailboxes."""
    follow_symlinks: bool = False
    """Follow symlinks that point outside a folder given (default: listed as
    `outside-root`, not followed)."""
    workers: int | None = 1
    """Worker processes: 1 scans in this process, None uses every core."""
    dask: str | None = None
    """A Dask scheduler address, or `local` for a LocalCluster (overrides `workers`)."""
    custodian_from: CustodianFrom = CustodianFrom.PATH
    """Where each message's custodian is read (`tracecheck.custodians`)."""
    custodian_pattern: str | None = None
    """The regex `path` attribution uses (None: `custodians.DEFAULT_PATH_PATTERN`)."""

    def __post_init__(self) -> None:
        # Every way in (flags, config file, library callers) is checked here, once: a value
        # that is not a domain name would silently match nothing.
        for name, what in (("org_domains", "organisation domain"),
                           ("extra_consumer", "consumer domain")):
            given = getattr(self, name)
            object.__setattr__(self, name, tuple(domain_name(d, what) for d in given))

    @classmethod
    def from_settings(cls, settings: ScanSettings, **overrides: object) -> ScanOptions:
        """Options from a config `[scan]` table; explicit overrides (CLI flags) win when set."""
        base = cls(
            rules=settings.rules,
            org_domains=settings.org_domains,
            extra_consumer=settings.consumer_domains,
            min_confidence=settings.min_confidence,
            disabled=settings.disable,
            case_reference=settings.case_reference,
            allow_addresses=settings.allow_addresses,
            custodian_from=CustodianFrom(settings.custodian_from or CustodianFrom.PATH),
            custodian_pattern=settings.custodian_pattern,
        )
        given = {k: v for k, v in overrides.items() if v not in (None, (), [])}
        if "rules" in given:
            given["rules"] = tuple(base.rules) + tuple(given["rules"])  # type: ignore[arg-type]
        for key in ("org_domains", "extra_consumer", "disabled", "allow_addresses"):
            if key in given:
                given[key] = tuple(dict.fromkeys((*getattr(base, key),
                                                  *given[key])))  # type: ignore[misc]
        return dataclasses.replace(base, **given)  # type: ignore[arg-type]


_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def domain_name(text: str, what: str = "domain") -> str:
    """`text` as a domain name the way addresses are compared (lower case, IDNA/punycode, no
    trailing dot), or a `UsageError` naming it when it is not one (`not a domain`,
    `tracecall`, `a@tracecall.co.uk`)."""
    name = text.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        name = ""
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL.fullmatch(x) for x in labels):
        raise UsageError(f"{what} {text!r} is not a domain name (give it as example.org)")
    return name


class Checkpoint(Protocol):
    """Where shard results are saved and found again (the case store implements it)."""

    def load_shard(self, key: str, size: int, mtime_ns: int) -> ShardResult | None:
        """A saved result for this shard, if the file is unchanged."""
        ...

    def save_shard(self, shard: ShardResult, size: int, mtime_ns: int) -> None:
        """Persist one finished shard."""
        ...


class ProgressSink(Protocol):
    """Told how many bytes a scan will read, then how many it has read so far."""

    def set_total(self, total: int) -> None:
        """Bytes to process."""
        ...

    def advance(self, n: int) -> None:
        """`n` more bytes processed."""
        ...


def resolve_packs(rules: Iterable[str]) -> tuple[Pack, ...]:
    """Load the named packs, or the shipped ones when none are named."""
    defaults = [str(p) for p in default_pack_paths()]
    paths = [str(p) for p in rules] or defaults
    packs = load_packs(paths)
    if rules and any(p.extends_default for p in packs):
        packs = load_packs([*defaults, *(p for p in paths if p not in defaults)])
    return packs


def executor_for(opts: ScanOptions) -> Executor:
    """The executor the options ask for: a Dask cluster, a pool of `workers` processes
    (None: every core), or this process (1; mbox files over 64 MiB still go in byte ranges,
    so a large file's results are never held whole)."""
    from tracecheck.parallel import executor_for as backend
    from tracecheck.sources.shards import DEFAULT_TARGET

    if opts.dask:
        return backend(dask=opts.dask)
    if opts.workers == 1:
        return backend(workers=1, target_bytes=DEFAULT_TARGET)
    return backend(workers=opts.workers)


def scan(
    paths: Sequence[str],
    options: ScanOptions | None = None,
    *,
    progress: ProgressSink | None = None,
    checkpoint: Checkpoint | None = None,
    executor: Executor | None = None,
) -> ScanResult:
    """Scan mailbox exports (and log files) under `paths`.

    `checkpoint` saves each finished file and hands back files an earlier (interrupted) run
    saved; `executor` overrides the one the options ask for."""
    with _collect_less_often():
        return _scan(paths, options or ScanOptions(), progress, checkpoint, executor)


@contextlib.contextmanager
def _collect_less_often() -> Iterator[None]:
    """A scan allocates millions of short-lived objects (message trees, text units) and
    keeps few: while it runs, the young generation is collected less often and what is
    loaded by then (modules, rule packs) is left out of full collections. About 5% of the
    CPU of a content scan; worker processes forked meanwhile inherit both."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _scan(paths: Sequence[str], opts: ScanOptions, progress: ProgressSink | None,
          checkpoint: Checkpoint | None, executor: Executor | None) -> ScanResult:
    if not paths:
        raise UsageError("give at least one file or folder to scan")
    from tracecheck.content.extract import load_extractors

    load_extractors()  # a package missing from the install stops the run here, exit 2
    packs = resolve_packs(opts.rules)
    extra = tuple(sorted({*opts.extra_consumer, *(d for p in packs
                                                  for d in p.extra_consumer_domains)}))
    consumer = ConsumerDomains.load_default(extra).with_allowed(
        a.lower() for a in opts.allow_addresses)
    mail_inputs, log_inputs, top_skips = _discovered(paths,
                                                     follow_symlinks=opts.follow_symlinks)
    if not mail_inputs and not log_inputs:
        raise nothing_to_scan(paths, top_skips, "holds no mailbox, message or log file it can read")
    if progress is not None:
        progress.set_total(sum(i.size for i in mail_inputs))
    cfg = ScanConfig(
        pack_paths=tuple(p.path for p in packs),
        extra_consumer=extra,
        all_messages=opts.all_messages,
        min_confidence=opts.min_confidence,
        regex_timeout=opts.regex_timeout,
        disabled=opts.disabled,
        limits=opts.limits,
        case_reference=opts.case_reference,
        allow_addresses=tuple(a.lower() for a in opts.allow_addresses),
        # Every message's reference is needed only to correlate logs or to fill a case.
        keep_all_refs=bool(log_inputs) or checkpoint is not None,
    )
    merger = Merger(consumer, custodians_of(opts).of)
    todo: list[InputFile] = []
    stats: dict[str, tuple[int, int]] = {}
    for inp in mail_inputs:
        try:
            st = os.stat(inp.path)
            stats[inp.path] = (st.st_size, st.st_mtime_ns)
        except OSError:
            stats[inp.path] = (0, 0)
        saved = checkpoint.load_shard(inp.path, *stats[inp.path]) if checkpoint else None
        if saved is None:
            todo.append(inp)
            continue
        # saved by an earlier run, whose discovery order may differ: this run's order
        merger.add(dataclasses.replace(saved, order=(inp.order, 0)))
        if progress is not None:
            progress.advance(inp.size)
    run = executor if executor is not None else executor_for(opts)
    plan = run.plan(todo)
    results = run.run(plan, cfg, progress.advance if progress is not None else None)
    if checkpoint is None:
        for shard in results:  # each range packed as it arrives: flat parent memory
            merger.add(shard)
            del shard
    else:  # the case saves whole files: join each file's ranges as they complete
        joiner = Joiner(Counter((s.input.order, s.input.path) for s in plan))
        for shard in results:
            for joined in joiner.add(shard):
                checkpoint.save_shard(joined, *stats.get(file_key(joined)[1], (0, 0)))
                merger.add(joined)
    top_skips.extend(_changed_during_scan(stats))
    merged = merger.result(org_domains=opts.org_domains)

    logs = _read_logs(log_inputs, opts, export=merged.refs)
    everything_skipped = (*top_skips, *merged.skipped, *logs.skipped)
    if not merged.scanned and not logs.events and not any(
            s.kind.incomplete for s in everything_skipped):
        raise nothing_to_scan(paths, everything_skipped, "held nothing that could be read")
    sources = list(merged.sources)
    for inp, n_events, n_skips in logs.sources:
        sources.append(SourceSummary(path=inp.path, type=f"log:{inp.log_format}",
                                     bytes=inp.size, sha256=_file_sha256(inp.path),
                                     messages=n_events, skipped=n_skips))
    log_summary = None
    log_findings: tuple[LogFinding, ...] = ()
    if logs.sources:
        log_summary, log_findings = _log_analysis(logs, consumer, packs)
    return ScanResult(
        tool_version=__version__,
        packs=tuple(p.ref for p in packs),
        sources=tuple(sources),
        messages_found=merged.found,
        messages_scanned=merged.scanned,
        skipped=tuple(top_skips) + merged.skipped + logs.skipped,
        findings=merged.findings,
        org=merged.org,
        flow_counts=merged.flow_counts,
        notes=merged.notes + logs.notes,
        log_events=logs.events,
        log_findings=log_findings,
        log_summary=log_summary,
        refs=merged.refs,
        options=RunOptions(
            all_messages=opts.all_messages,
            min_confidence=opts.min_confidence if opts.min_confidence is not None
            else min((p.min_confidence for p in packs), default=0.5),
            regex_timeout=opts.regex_timeout,
            limits=opts.limits,
            follow_symlinks=opts.follow_symlinks),
    )


def custodians_of(opts: ScanOptions) -> Custodians:
    """The custodian attribution rule the options ask for (a pattern that does not compile
    is a `UsageError`)."""
    from tracecheck.custodians import DEFAULT_PATH_PATTERN, Custodians

    return Custodians(opts.custodian_from, opts.custodian_pattern or DEFAULT_PATH_PATTERN)


def options_manifest(opts: ScanOptions) -> dict[str, object]:
    """The options that change what a scan finds, as plain data (for run manifests and the
    case store's shard-reuse check)."""
    return {
        "all_messages": opts.all_messages,
        "min_confidence": opts.min_confidence,
        "regex_timeout": opts.regex_timeout,
        "disabled": list(opts.disabled),
        "extra_consumer": list(opts.extra_consumer),
        "case_reference": opts.case_reference,
        "allow_addresses": list(opts.allow_addresses),
        "limits": opts.limits.as_dict(),
    }


def read_log_events(
    paths: Sequence[str], options: ScanOptions | None = None
) -> tuple[list[LogEvent], list[Skipped]]:
    """Only the log files under `paths`: their events, and skips (malformed lines, files
    that are not logs). Mail containers under `paths` are listed as skipped here."""
    opts = options or ScanOptions()
    _, inputs, skips = _discovered(paths, logs_only=True, follow_symlinks=opts.follow_symlinks)
    logs = _read_logs(inputs, opts)
    return list(logs.events), skips + list(logs.skipped)


def nothing_to_scan(paths: Sequence[str], skipped: Sequence[Skipped], what: str) -> InputError:
    """The error of a scan that found nothing it could read: never "no findings". It names
    the paths, counts what was skipped by kind, and shows the first skip."""
    where = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    message = f"nothing to scan: {where} {what}"
    if skipped:
        kinds = Counter(s.kind.value for s in skipped)
        first = skipped[0]
        message += (f" ({len(skipped)} skipped: "
                    + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
                    + f"; first: {first.locator}: {first.reason})")
    return InputError(message)


def _discovered(paths: Sequence[str], *, logs_only: bool = False,
                follow_symlinks: bool = False
                ) -> tuple[list[InputFile], list[InputFile], list[Skipped]]:
    """What `discover` finds under `paths`: (mail containers, log files, skips), in
    discovery order. `logs_only`: mail containers are listed as skipped instead."""
    mail: list[InputFile] = []
    logs: list[InputFile] = []
    skips: list[Skipped] = []
    for item in discover(list(paths), follow_symlinks=follow_symlinks):
        if isinstance(item, Skipped):
            skips.append(item)
        elif item.kind == "log":
            logs.append(item)
        elif logs_only:
            skips.append(Skipped(locator=Locator(path=item.path), kind=SkipKind.UNSUPPORTED,
                                 reason=f"not a log file ({item.kind}); use `tracecheck scan`"))
        else:
            mail.append(item)
    return mail, logs, skips


def _changed_during_scan(before: dict[str, tuple[int, int]]) -> list[Skipped]:
    """Sources whose size or modification time changed while they were being scanned."""
    out = []
    for path, (size, mtime) in before.items():
        try:
            st = os.stat(path)
            now = (st.st_size, st.st_mtime_ns)
        except OSError:
            now = (-1, -1)
        if now != (size, mtime):
            out.append(Skipped(locator=Locator(path=path), part="*", kind=SkipKind.CHANGED,
                               reason="file changed while it was being scanned; rescan it from "
                                      "a stable copy"))
    return out


@dataclass(frozen=True)
class _Logs:
    """The log files of a scan as read (`logs.read_log_files`), with their inputs."""

    events: tuple[LogEvent, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[Note, ...] = ()
    """Per file with year-less stamps, the year and what it rests on; gaps in rotated sets."""
    sources: tuple[tuple[InputFile, int, int], ...] = ()
    """(input, events, skips) per file, in reading order."""
    years: tuple[LogYear, ...] = ()
    export: ExportIndex | None = None
    """The export's messages by Message-ID and queue id, built once for both uses."""
    malformed: int = 0
    """Malformed lines in every file (past the first few of a file, `skipped` counts them in
    one entry)."""


def _read_logs(inputs: Sequence[InputFile], opts: ScanOptions,
               export: Sequence[MessageRef] = ()) -> _Logs:
    """Read log files into events, skips, notes and per-file counts, through the logs
    package's one reading path (`logs.read_log_files`: rotation order, the year of year-less
    stamps from the `export`'s matched messages before the mtime, damage as skips)."""
    if not inputs:
        return _Logs()
    stream, index = _log_stream(inputs, opts, export)
    events = tuple(stream)
    return _logs_read(stream.result, events, inputs, index)


def _log_stream(inputs: Sequence[InputFile], opts: ScanOptions,
                export: Sequence[MessageRef] = (), count: IsConsumer | None = None
                ) -> tuple[LogStream, ExportIndex]:
    """The log files as they are read (`logs.stream_log_files`; `count`: only summary
    totals are wanted), and the export's index."""
    from tracecheck.logs import stream_log_files
    from tracecheck.logs.join import ExportIndex

    by_path = {i.path: i for i in inputs}
    index = ExportIndex(export)
    # Several files are read on the executor's workers (one file each), as mail is.
    parallel = len(by_path) > 1 and (opts.dask or opts.workers != 1)
    stream = stream_log_files(
        list(by_path), formats={p: i.log_format for p, i in by_path.items()},
        year=opts.log_year, tz=opts.log_tz, export=index,
        map_files=executor_for(opts).map if parallel else None, count=count)
    return stream, index


def _logs_read(read: LogRead, events: tuple[LogEvent, ...], inputs: Sequence[InputFile],
               index: ExportIndex) -> _Logs:
    by_path = {i.path: i for i in inputs}
    counted = tuple((by_path[c.path], c.events, c.skips) for c in read.files)
    return _Logs(events, read.skipped, read.notes, counted, read.years, index,
                 malformed=sum(c.malformed for c in read.files))


def _file_sha256(path: str) -> str:
    from tracecheck.sources.files import open_evidence

    h = hashlib.sha256()
    try:
        with open_evidence(path) as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def _log_analysis(
    logs: _Logs,
    consumer: ConsumerDomains,
    packs: Sequence[Pack],
) -> tuple[LogSummary, tuple[LogFinding, ...]]:
    from tracecheck.logs.analysis import correlate, log_findings
    from tracecheck.model import TextUnit
    from tracecheck.rules.matcher import Matcher

    matcher = Matcher(packs)

    def subject_hits(subject: str) -> list[str]:
        found, _ = matcher.scan(TextUnit(part="header", where="subject", text=subject))
        return sorted({m.rule for m in found})

    summary = correlate(logs.events, logs.export or (), consumer.is_consumer)
    found = log_findings(logs.events, consumer.is_consumer, subject_hits)
    return dataclasses.replace(summary, years=logs.years), tuple(found)


# --- options as commands take them ----------------------------------------------------------


def scan_options(
    config: str | Path | None = None,
    *,
    rules: Sequence[str] = (),
    org_domains: Sequence[str] = (),
    consumer_domains: Sequence[str] = (),
    disable: Sequence[str] = (),
    min_confidence: float | None = None,
    all_messages: bool = False,
    regex_timeout: float | None = None,
    max_depth: int | None = None,
    max_members: int | None = None,
    max_expanded_mb: int | None = None,
    max_ratio: float | None = None,
    max_message_mb: int | None = None,
    log_year: int | None = None,
    log_tz: str | None = None,
    follow_symlinks: bool = False,
    workers: int | None = 1,
    dask: str | None = None,
    custodian_from: CustodianFrom | None = None,
) -> ScanOptions:
    """The options of a scan from the organisation's config file (`config`, else the one
    found in the current folder) and the command line's flags, which win where given. Every
    command that scans (`scan`, `baseline create|update`) builds its options here."""
    settings = load_scan_settings(config)
    default = ExtractLimits()
    limits = ExtractLimits(
        max_depth=max_depth or default.max_depth,
        max_members=max_members or default.max_members,
        max_total_bytes=(max_expanded_mb * 1024 * 1024 if max_expanded_mb
                         else default.max_total_bytes),
        max_ratio=max_ratio or default.max_ratio,
        max_message_bytes=(max_message_mb * 1024 * 1024 if max_message_mb
                           else default.max_message_bytes),
    )
    opts = ScanOptions.from_settings(
        settings, rules=tuple(rules), org_domains=tuple(org_domains),
        extra_consumer=tuple(consumer_domains), disabled=tuple(disable),
        min_confidence=min_confidence, all_messages=all_messages or None,
        regex_timeout=regex_timeout, limits=limits, log_year=log_year, log_tz=log_tz)
    opts = dataclasses.replace(opts, workers=workers, dask=dask, follow_symlinks=follow_symlinks,
                               custodian_from=custodian_from or opts.custodian_from)
    custodians_of(opts)  # a pattern that does not compile stops here, before any work
    return opts


# --- a scan into a case ----------------------------------------------------------------------


def scan_into_case(paths: Sequence[str], options: ScanOptions, case: str | Path, *,
                   arguments: Sequence[str] = (), progress: ProgressSink | None = None
                   ) -> ScanResult:
    """`scan`, keeping the evidence trail in the case at `case` (created when missing): a
    run with its manifest, every file saved as it is finished (an interrupted run resumes
    from them), and the result with the source hashes taken at the end. A run that does not
    finish is marked interrupted."""
    import platform
    from datetime import UTC, datetime

    from tracecheck.case import CaseStore, CaseStoreError

    store = CaseStore.open(case)
    try:
        run_id = store.begin_run({
            "tool_version": __version__,
            "python": platform.python_version(),
            "packs": [{"pack": p.id, "version": p.version, "sha256": p.sha256, "path": p.path}
                      for p in resolve_packs(options.rules)],
            "arguments": list(arguments),
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "options": options_manifest(options),
        })
        try:
            result = scan(paths, options, progress=progress,
                          checkpoint=store.checkpoint(run_id))
            again = flagged_reread(result, options.limits)  # reads the evidence: interruptible
        except BaseException:
            # best effort: on a full disk this write fails too, and the next run marks the
            # run interrupted anyway (`begin_run`)
            with contextlib.suppress(CaseStoreError):
                store.mark_interrupted(run_id)
            raise
        store.finish_run(run_id, result, source_hashes(result),
                         mentions={k: r.mentions for k, r in again.items()},
                         subjects={k: r.subject for k, r in again.items()})
    finally:
        store.close()
    return result


def flagged_mentions(result: ScanResult, limits: ExtractLimits | None = None
                     ) -> dict[str, tuple[Mention, ...]]:
    """Who each message with a consumer-flow finding is about (`persons.mentions`), by
    locator (`flagged_reread`)."""
    return {k: r.mentions for k, r in flagged_reread(result, limits).items()}


def flagged_reread(result: ScanResult, limits: ExtractLimits | None = None
                   ) -> dict[str, Reread]:
    """Each message with a consumer-flow finding read again from the evidence (only the files
    that hold such a message), by locator: who it is about and its Subject (None when it
    could not be read again). Identifiers are kept only when the scan reported their value."""
    from tracecheck.reports.ico.numbers import is_identifier
    from tracecheck.reread import Reread, read_again

    known = frozenset(f.value for f in result.findings if is_identifier(f))
    wanted: dict[str, set[str]] = {}
    for f in result.findings:
        if f.flow.is_consumer:
            wanted.setdefault(f.at.path, set()).add(f.locator)
    found = read_again(wanted, known, limits)
    return {loc: found.get(loc, Reread((), None)) for locs in wanted.values()
            for loc in sorted(locs)}


def persons(result: ScanResult) -> tuple[Person, ...]:
    """The data subjects of a scan held in memory, linked as the ICO report links them
    (`persons.link`); `make eval` compares their number with the labelled corpus."""
    from tracecheck.case.snapshot import CaseSnapshot
    from tracecheck.reports.ico.numbers import compute

    snapshot = CaseSnapshot.from_scan(
        result, mentions=flagged_mentions(result, result.options.limits))
    return compute(snapshot).persons


# --- what commands do with a result ----------------------------------------------------------


def apply_baseline(result: ScanResult, baseline: Baseline) -> ScanResult:
    """`result` without the findings `baseline` accepts (the result says which file was
    applied and what it left out). `load_baseline` reads the file."""
    from tracecheck.baseline import apply_baseline as apply

    return apply(result, baseline)


def write_result(result: ScanResult, fmt: ReportFormat, out: TextIO, *, reveal: bool = False,
                 color: bool = False) -> None:
    """Write a scan result in one of `tracecheck scan`'s formats."""
    reporter_for(fmt, color=color).write(result, out, reveal=reveal)


# --- mail-server logs as tables ----------------------------------------------------------------


@dataclass(frozen=True)
class LogTable:
    """The log events `tracecheck logs` read, and what it skipped (each entry, and counts by
    kind: malformed lines each count, also those one entry stands for)."""

    events: tuple[LogEvent, ...]
    """Empty when the events were written as they were read (`write_log_table` of
    `LogFiles`): `events_read` counts them."""
    skipped: dict[str, int]
    skips: tuple[Skipped, ...] = ()
    count: int | None = None
    """Events read, when they are not held in `events`."""

    @property
    def events_read(self) -> int:
        """How many events were read."""
        return len(self.events) if self.count is None else self.count


@dataclass(frozen=True)
class LogFiles:
    """The log files under the paths of `tracecheck logs`, found and not read yet
    (`find_log_files`; `write_log_table` reads them as it writes)."""

    inputs: tuple[InputFile, ...]
    skips: tuple[Skipped, ...] = ()
    """What was found under the paths that is not a log file."""


def find_log_files(paths: Sequence[str], options: ScanOptions) -> LogFiles:
    """The log files under `paths`. No log file under them is an `InputError`: nothing to
    read is never an empty table."""
    _, logs, skips = _discovered(paths, logs_only=True,
                                 follow_symlinks=options.follow_symlinks)
    if not logs:
        raise InputError(f"no mail-server log file under {', '.join(paths)}: nothing to read"
                         f"{_found_instead(skips)}")
    return LogFiles(tuple(logs), tuple(skips))


def read_log_table(paths: Sequence[str], options: ScanOptions) -> LogTable:
    """The log files under `paths`, read for `tracecheck logs`, their events held (to write
    them as they are read, give `find_log_files` to `write_log_table`). No log file under
    them is an `InputError`."""
    found = find_log_files(paths, options)
    read = _read_logs(found.inputs, options)
    return _log_table(found, read, read.events)


def _log_table(found: LogFiles, read: _Logs, events: tuple[LogEvent, ...],
               count: int | None = None) -> LogTable:
    skips = (*found.skips, *read.skipped)
    counts = Counter(s.kind.value for s in skips)
    if read.malformed:  # every line, also those one entry counts
        counts[SkipKind.MALFORMED_LOG_LINE.value] = read.malformed
    return LogTable(events, dict(sorted(counts.items())), skips, count)


def _found_instead(skips: Sequence[Skipped]) -> str:
    return f" ({len(skips)} other file(s) found, none a log)" if skips else ""


def write_log_table(table: LogTable | LogFiles, options: ScanOptions, view: LogView,
                    fmt: LogTableFormat, out: TextIO, *, reveal: bool = False) -> LogTable:
    """One table of the events (one row per recipient, or totals per sender, domain, day or
    month) to `out`, subjects and the servers' replies masked unless `reveal`. CSV is the
    rows only; JSON is one document, `{view, rows, skipped}`, whose `skipped` lists every line
    and file not read (as the scan's coverage does). Consumer domains are the shipped list
    plus `options.extra_consumer`.

    `LogFiles` are read as the table is written: each event written (or counted, for a
    summary) as it is read and never held, so memory stays flat however long the logs are.
    Returns the table (for `LogFiles`, its events not held: `events_read` counts them)."""
    with _collect_less_often():
        return _write_log_table(table, options, view, fmt, out, reveal=reveal)


def _write_log_table(table: LogTable | LogFiles, options: ScanOptions, view: LogView,
                     fmt: LogTableFormat, out: TextIO, *, reveal: bool) -> LogTable:
    import json

    from tracecheck.logs.tables import view_rows, write_json_rows, write_view
    from tracecheck.reports.records import skipped_dict

    consumer = ConsumerDomains.load_default(options.extra_consumer)
    events: Iterable[LogEvent] = table.events if isinstance(table, LogTable) else ()
    stream: tuple[LogStream, ExportIndex] | None = None
    totals = None
    if isinstance(table, LogFiles):
        # A summary needs only counts: files read on workers are counted there.
        stream = _log_stream(table.inputs, options,
                             count=None if view is LogView.EVENTS else consumer.is_consumer)
        events = stream[0]
        totals = stream[0].totals
    if fmt is not LogTableFormat.JSON:
        write_view(events, view, fmt, out, consumer.is_consumer, reveal=reveal, totals=totals)
    else:
        out.write('{\n  "view": ' + json.dumps(view.value) + ',\n  "rows": ')
        write_json_rows(view_rows(events, view, consumer.is_consumer, reveal=reveal,
                                  totals=totals), out, depth=1)
    done = table
    if stream is not None and isinstance(table, LogFiles):
        read = stream[0].result
        done = _log_table(table, _logs_read(read, (), table.inputs, stream[1]), (),
                          sum(f.events for f in read.files))
    assert isinstance(done, LogTable)
    if fmt is LogTableFormat.JSON:
        skipped = json.dumps([skipped_dict(s) for s in done.skips], indent=2,
                             ensure_ascii=False)
        out.write(',\n  "skipped": ' + skipped.replace("\n", "\n  ") + "\n}\n")
    return done


# --- repeated audits: two findings files compared ---------------------------------------------


def diff_findings(old: str | Path, new: str | Path) -> FindingsDiff:
    """The findings of `old` and `new` (each a `scan --format parquet` file or a scan's JSON)
    compared by fingerprint: new, gone and unchanged, with counts per custodian and consumer
    domain. A file that is not such a findings file is an `InputError`."""
    from tracecheck.diff import compare

    return compare(old, new)


def write_diff(diff: FindingsDiff, fmt: DiffFormat, out: TextIO) -> None:
    """Write a comparison as text or JSON (`diff.write_diff`)."""
    from tracecheck.diff import write_diff as write

    write(diff, fmt, out)


# --- the case: review and the ICO report ----------------------------------------------------


def _open_case(case: str | Path, *, readonly: bool = False) -> CaseStore:
    """An existing case that holds a finished scan, checked for damage; `readonly` for
    commands that only read it (they never write to it, and work on a case the user cannot
    write). An empty, damaged or never-finished case is a `CaseStoreError` (exit 2), never
    an empty report."""
    from tracecheck.case import CaseStore

    store = CaseStore.open(case, create=False, readonly=readonly)
    try:
        store.check_integrity()
        store.require_complete_run()
    except BaseException:
        store.close()
        raise
    return store


def review_list(case: str | Path, *, rule: str | None = None, sender: str | None = None,
                status: ReviewFilter | ReviewStatus | None = None, reveal: bool = False
                ) -> list[ReviewRow]:
    """The case's findings as a review listing shows them: filtered (by rule, sender, and a
    report status or `needs-review`), masked unless `reveal`, each with its current
    decision."""
    from tracecheck.case.review import review_rows

    store = _open_case(case, readonly=True)
    try:
        return review_rows(store.findings(), store.decisions(), rule=rule, sender=sender,
                           status=status, reveal=reveal)
    finally:
        store.close()


def review_mark(case: str | Path, decision: str, *, fingerprints: Sequence[str] = (),
                rule: str | None = None, sender: str | None = None, reason: str,
                who: str | None = None) -> tuple[Decision, list[str]]:
    """Record a decision on findings chosen by fingerprint (or a unique prefix), rule or
    sender; returns the decision and the fingerprints decided (never empty)."""
    from tracecheck.baseline import default_who

    try:
        chosen_decision = Decision.parse(decision)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not reason.strip():
        raise UsageError("mark needs --reason")
    if not fingerprints and rule is None and sender is None:
        raise UsageError("choose findings with --fingerprint, --rule or --sender")
    store = _open_case(case)
    try:
        chosen = store.decide(list(fingerprints) or None, rule=rule, sender=sender,
                              decision=chosen_decision, reason=reason,
                              who=who or default_who())
    finally:
        store.close()
    if not chosen:
        raise UsageError("no finding matches the selection")
    return chosen_decision, chosen


def review_history(case: str | Path, fingerprint: str | None = None) -> list[DecisionRecord]:
    """Every decision recorded in the case, oldest first (optionally for one finding)."""
    store = _open_case(case, readonly=True)
    try:
        return store.decision_history(fingerprint)
    finally:
        store.close()


def report(case: str | Path, *, config: str | Path | None = None,
           fmt: IcoFormat = IcoFormat.MD, reveal: bool = False, follow_up: bool = False
           ) -> str:
    """The ICO personal-data-breach report for the case, as text in `fmt` (the case is only
    read). `follow_up`: a follow-up report (Art. 33(4)), which states the ICO case reference
    and what changed since the last report filed before it (`followup.previous_report`: the
    renderings of this same report kept just before, in another format or drafted again with
    the same figures, are passed over)."""
    from tracecheck.reports.ico import load_config, render
    from tracecheck.reports.ico.followup import figures, previous_report
    from tracecheck.reports.ico.numbers import compute

    settings = load_config(config)
    store = _open_case(case, readonly=True)
    try:
        snapshot = store.snapshot()
        kept = store.reports()
    finally:
        store.close()
    last = previous_report(kept, figures(compute(snapshot)), _report_type(settings, follow_up)
                           ) if follow_up and kept else None
    return render(snapshot, settings, fmt, reveal=reveal, follow_up=follow_up,
                  previous=last.figures if last else None,
                  previous_at=last.at if last else None)


def keep_report(case: str | Path, text: str, *, config: str | Path | None = None,
                fmt: IcoFormat = IcoFormat.MD, follow_up: bool = False) -> ReportSnapshot:
    """Keep a report drafted from the case (`report`): its type, format, figures and the
    SHA-256 of its text as written (UTF-8, undecodable names as backslash escapes)."""
    from tracecheck.reports.ico import load_config
    from tracecheck.reports.ico.followup import figures
    from tracecheck.reports.ico.numbers import compute

    settings = load_config(config)
    store = _open_case(case)
    try:
        return store.keep_report(
            _report_type(settings, follow_up),
            IcoFormat(fmt).value, figures(compute(store.snapshot())),
            hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest())
    finally:
        store.close()


def _report_type(settings: IcoConfig, follow_up: bool) -> str:
    """The type a drafted report is kept as."""
    return "follow-up" if follow_up else settings.report_type or "initial"


def case_writable(case: str | Path) -> bool:
    """True when the case's database and its folder can be written (a report can be kept)."""
    from tracecheck.case.store import db_path

    db = db_path(case)
    return os.access(db, os.W_OK) and os.access(db.parent, os.W_OK)


def kept_reports(case: str | Path) -> list[ReportSnapshot]:
    """Every report kept in the case, oldest first."""
    store = _open_case(case, readonly=True)
    try:
        return store.reports()
    finally:
        store.close()


# --- worklists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistRun:
    """What `tracecheck worklist` wrote: which list, how many rows, whether revealed."""

    worklist: Worklist
    rows: int
    revealed: bool


def worklist(case: str | Path, which: Worklist | str, fmt: WorklistFormat | str = "csv",
             output: str | Path | None = None, *, reveal: bool = False,
             who: str | None = None) -> WorklistRun:
    """Write one worklist of the case (`recipients`, `subjects` or `senders`) in `fmt` to
    `output` (stdout for CSV and JSON when None; XLSX needs a file), from the same figures as
    the ICO report. Identifiers, names, addresses and subjects are masked unless `reveal`; a
    revealed export is recorded in the case's audit log (who, when, how many rows) before it
    is written, so the case must then be writable."""
    from tracecheck.baseline import default_who
    from tracecheck.output_file import write_bytes
    from tracecheck.reports.ico.numbers import compute
    from tracecheck.worklists.formats import write_text, xlsx_bytes
    from tracecheck.worklists.rows import CaseFacts, build

    kind, form = Worklist(which), WorklistFormat(fmt)
    if form.binary and (output is None or str(output) == "-"):
        raise UsageError(f"--format {form.value} is written to a file: give --output FILE")
    check_output(output)
    if reveal:
        from tracecheck.case import CaseStoreError
        from tracecheck.case.store import db_path

        if db_path(case).exists() and not case_writable(case):
            raise CaseStoreError(
                f"the case at {case} is read-only: a --reveal worklist is recorded in the "
                "case's audit log (who, when, how many rows) before it is written, so it "
                "needs a case you can write; without --reveal the worklist only reads it")
    store = _open_case(case, readonly=not reveal)
    try:
        snapshot = store.snapshot()
        table = build(kind, compute(snapshot, reveal=True), reveal=reveal,
                      containment=_containment(store), facts=CaseFacts.of(snapshot))
        if reveal:
            store.audit(f"worklist {kind.value} --reveal", who=who or default_who(),
                        rows=len(table.rows),
                        detail=f"format {form.value}, to {output or 'stdout'}")
    finally:
        store.close()
    if form.binary:
        assert output is not None
        write_bytes(output, xlsx_bytes(table))
    else:
        with open_output(output) as out:
            write_text(table, form, out)
    return WorklistRun(kind, len(table.rows), reveal)


def _containment(store: CaseStore) -> dict[str, Containment]:
    """The current containment status per consumer address."""
    from tracecheck.case.containment import current
    from tracecheck.worklists.rows import Containment

    return {a: Containment(r.status.value, r.at) for a, r in current(store.containment()).items()}


def contain_mark(case: str | Path, address: str, status: str, *, note: str = "",
                 who: str | None = None) -> ContainmentRecord:
    """Record a dated request to, or answer from, a consumer mailbox of the case (`requested`,
    `deleted`, `refused`, `no-response`); the history keeps every record. An address that is
    not a consumer mailbox of a counted finding is a `UsageError` (a typo must not look
    contained)."""
    from tracecheck.baseline import default_who
    from tracecheck.case.containment import ContainmentStatus
    from tracecheck.findings import counts
    from tracecheck.rules.mask import mask_address

    try:
        state = ContainmentStatus.parse(status)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    wanted = address.strip().lower()
    store = _open_case(case)
    try:
        known = {a.lower() for f in store.findings() if f.flow.is_consumer and counts(f)
                 for a in f.consumer_addresses}
        known |= {f.target.lower() for f in store.log_forwarding() or ()}
        if wanted not in known:
            raise UsageError(f"{mask_address(wanted)} is not a consumer mailbox of a flagged "
                             "message or a "
                             "forwarding target in this case (see `tracecheck worklist "
                             "recipients --reveal`)")
        return store.contain(wanted, state, note=note, who=who or default_who())
    finally:
        store.close()


def contain_history(case: str | Path, address: str | None = None, *, reveal: bool = False
                    ) -> list[ContainmentRecord]:
    """Every containment record of the case, oldest first (optionally for one address),
    addresses and notes masked unless `reveal` (a note is free text: it may name a person or
    quote a number, so it is masked like a subject)."""
    from tracecheck.rules.mask import mask_address, mask_subject

    store = _open_case(case, readonly=True)
    try:
        records = store.containment(address)
    finally:
        store.close()
    return [dataclasses.replace(r, address=mask_address(r.address, reveal),
                                note=mask_subject(r.note, reveal)) for r in records]


def audit_log(case: str | Path) -> list[AuditEntry]:
    """Every export of the case that revealed health data, oldest first."""
    store = _open_case(case, readonly=True)
    try:
        return store.audit_log()
    finally:
        store.close()


# --- baselines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineRun:
    """What `baseline create|update` did: the file written, the scan behind it, and the
    entries added, removed and kept."""

    path: Path
    baseline: Baseline
    result: ScanResult
    added: int
    removed: int
    kept: int


def baseline_create(paths: Sequence[str], options: ScanOptions, output: str | Path, *,
                    reason: str = "", who: str | None = None, force: bool = False
                    ) -> BaselineRun:
    """Scan `paths` and accept every finding (every flow) into a new baseline file."""
    from tracecheck.baseline import new_baseline, write_baseline

    out = Path(output)
    check_output(out)
    if out.exists() and not force:
        raise UsageError(f"{out} already exists; use `tracecheck baseline update` to keep its "
                         "reasons, or --force to replace it")
    check_paths(paths)
    result = scan(paths, options)
    baseline = new_baseline(result, paths, reason=reason, who=who)
    write_baseline(baseline, out)
    return BaselineRun(out, baseline, result, added=len(baseline.accepted), removed=0, kept=0)


def baseline_update(paths: Sequence[str], options: ScanOptions, file: str | Path, *,
                    reason: str = "", who: str | None = None) -> BaselineRun:
    """Rescan (`paths`, else the paths the baseline was made from): accept new findings,
    drop entries no longer found, keep earlier reasons."""
    from tracecheck.baseline import load_baseline, update_baseline, write_baseline

    path = Path(file)
    check_output(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist; make one with "
                         "`tracecheck baseline create PATH... --output FILE`")
    old = load_baseline(path)
    targets = list(paths or old.generated_from)
    if not targets:
        raise UsageError(f"{path} names no paths; give the paths to scan")
    check_paths(targets)
    result = scan(targets, options)
    change = update_baseline(old, result, targets, reason=reason, who=who)
    write_baseline(change.baseline, path)
    return BaselineRun(path, change.baseline, result, added=len(change.added),
                       removed=len(change.removed), kept=len(change.kept))


def load_baseline(file: str | Path) -> Baseline:
    """A baseline file as read: what it accepts, who accepted it, when and why."""
    from tracecheck.baseline import load_baseline

    return load_baseline(file)


# --- rule packs ------------------------------------------------------------------------------


def rule_packs(paths: Sequence[str | Path] = ()) -> list[Pack]:
    """The packs at `paths` (default: the shipped packs), loaded and checked."""
    from tracecheck.rules.pack import load_pack

    return [load_pack(p) for p in (paths or default_pack_paths())]


def rule_pack_examples(path: str | Path) -> list[ExampleOutcome]:
    """Every detector's match and no-match examples in the pack at `path`, each with
    whether it behaves as stated."""
    from tracecheck.rules.pack import example_failures, load_pack

    pack = load_pack(path, check_examples=False)
    bad = {(d.id, kind, ex) for d, kind, ex in example_failures(pack)}
    return [ExampleOutcome(det.id, kind, ex, (det.id, kind, ex) not in bad)
            for det in pack.detectors
            for kind, examples in (("match", det.examples_match),
                                   ("no_match", det.examples_no_match))
            for ex in examples]


@dataclass(frozen=True, slots=True)
class ExampleOutcome:
    """One example of a detector and whether the pack behaves as it says."""

    detector: str
    kind: str
    """`match` or `no_match`."""
    example: str
    passed: bool


EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INCOMPLETE = 3
"""Exit codes (docs/output.md): 3 beats 1 and 0 — a run that tracecheck could not finish is
never reported as clean, whatever `--fail-on` or `--exit-zero` say."""


def exit_code(result: ScanResult, fail_on: Severity | None, *, exit_zero: bool = False) -> int:
    """The exit code of a scan: 3 when tracecheck failed on part of the input (an
    `internal-error` or `worker-lost` entry), else 1 when findings fail the run (unless
    `exit_zero`), else 0."""
    if result.incomplete:
        return EXIT_INCOMPLETE
    if not exit_zero and fails(result, fail_on):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def failing(result: ScanResult, fail_on: Severity | None) -> list[Finding]:
    """Findings that make the default exit code 1: consumer flows, at or above `fail_on`,
    not reserved test data. `fail_on=None` means never fail."""
    return list(_failing(result.findings, fail_on))


def fails(result: ScanResult, fail_on: Severity | None) -> bool:
    """True when `failing(result, fail_on)` is not empty (without listing the findings)."""
    return next(_failing(result.findings, fail_on), None) is not None


def source_hashes(result: ScanResult) -> dict[str, str]:
    """SHA-256 of every source file now (compare with the hash taken while scanning: evidence
    must not change under the scan)."""
    return {s.path: _file_sha256(s.path) for s in result.sources}


def check_paths(paths: Sequence[str]) -> None:
    """Raise InputError for a path that does not exist (before any work starts)."""
    for p in paths:
        if not Path(p).exists() and not os.path.lexists(p):
            raise InputError(f"no such file or folder: {p}")


__all__ = [
    "DEFAULT_BASELINE",
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "BaselineRun",
    "Change",
    "Checkpoint",
    "CustodianFrom",
    "Decision",
    "DecisionRecord",
    "DiffFormat",
    "ExampleOutcome",
    "FindingsDiff",
    "IcoFormat",
    "LogFiles",
    "LogTable",
    "LogTableFormat",
    "LogView",
    "ProgressSink",
    "ReportFormat",
    "ReviewFilter",
    "ReviewRow",
    "ReviewStatus",
    "ScanOptions",
    "ScanResult",
    "apply_baseline",
    "audit_log",
    "baseline_create",
    "baseline_update",
    "check_output",
    "case_writable",
    "check_paths",
    "contain_history",
    "contain_mark",
    "diff_findings",
    "domain_name",
    "executor_for",
    "flagged_mentions",
    "exit_code",
    "failing",
    "fails",
    "fingerprint",
    "load_baseline",
    "open_output",
    "keep_report",
    "kept_reports",
    "options_manifest",
    "persons",
    "read_log_events",
    "find_log_files",
    "read_log_table",
    "report",
    "resolve_packs",
    "review_history",
    "review_list",
    "review_mark",
    "rule_pack_examples",
    "rule_packs",
    "scan",
    "scan_into_case",
    "scan_options",
    "source_hashes",
    "strict_mode",
    "visible",
    "where_raised",
    "write_diff",
    "write_log_table",
    "worklist",
    "write_result",
    "Worklist",
    "WorklistFormat",
    "WorklistRun",
]
