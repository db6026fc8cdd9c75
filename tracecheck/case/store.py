"""The case store: one SQLite file (`DIR/case.sqlite`) holding the evidence trail of a case.

Owns reading and writing the case: runs and their manifests, saved shards for resumption,
sources with their hashes, messages, findings (keyed by fingerprint, so a rescan never
duplicates one), log events, coverage, and reviewer decisions (kept by fingerprint, so they
survive rescans). Every write commits in its own transaction in WAL mode, so a killed scan
leaves every shard saved so far intact. The file is created mode 0600 in a 0700 directory;
opening a case to write it tightens a looser case folder or database to those modes.
Every SQLite failure (a full disk, a read-only file system, a damaged file) and every stored
record that does not decode is a one-line `CaseStoreError`, and so is reading a case that
holds no complete scan (`require_complete_run`) or an empty (0-byte) database.
Never scans mail, never formats reports, and never prints a matched value.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import stat
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import ParamSpec, TypeVar

from tracecheck.case import codec, schema
from tracecheck.case.containment import ContainmentRecord, ContainmentStatus
from tracecheck.case.errors import CaseStoreError
from tracecheck.case.manifest import (
    AuditEntry,
    ReportSnapshot,
    RunRecord,
    parse_manifest,
    utc_now,
)
from tracecheck.case.review import Decision, DecisionRecord
from tracecheck.case.snapshot import CaseSnapshot, SourceRecord, text_key
from tracecheck.model import (
    Finding,
    Locator,
    LogEvent,
    LogForwarding,
    LogSummary,
    MessageRef,
    Note,
    NoteKind,
    PackRef,
    ScanResult,
    ShardResult,
    SkipKind,
    Skipped,
)
from tracecheck.persons.mentions import Mention

DB_NAME = "case.sqlite"
MIN_PREFIX = 8
"""Shortest fingerprint prefix `decide` accepts in place of a full fingerprint."""

P = ParamSpec("P")
R = TypeVar("R")
_MEDIUM = (sqlite3.DatabaseError, sqlite3.OperationalError)
"""The SQLite errors of the file and the disk (damaged, full, read-only, I/O); its other
errors (a constraint, an API misuse) are bugs in tracecheck and are never reworded."""


def _reads(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A method that reads `what` from the database: a SQLite error or a stored record that
    does not decode (a damaged file) becomes one `CaseStoreError` naming the file. The error
    never quotes a stored value."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def reading(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except sqlite3.DatabaseError as exc:
                if type(exc) not in _MEDIUM:
                    raise  # a constraint or an API misuse: a bug in tracecheck
                store = args[0]
                assert isinstance(store, CaseStore)
                raise _db_error(store.path, exc, f"reading its {what}") from None
            except (ValueError, KeyError, TypeError) as exc:  # json, codec, enums on bad data
                store = args[0]
                assert isinstance(store, CaseStore)
                raise CaseStoreError(
                    f"{store.path} is damaged: its {what} cannot be read "
                    f"({type(exc).__name__}); restore the case from a copy") from None

        return reading

    return wrap


def db_path(path: str | Path) -> Path:
    """The database file for a case directory (or the file itself when given one)."""
    p = Path(path)
    if p.suffix == ".sqlite" and not p.is_dir():
        return p
    return p / DB_NAME


class CaseStore:
    """An open case. Use `CaseStore.open(DIR)`; close it (or use it as a context manager)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        """The database file."""
        self._compat: str | None = None

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, readonly: bool = False
             ) -> CaseStore:
        """Open the case at `path` (a directory, or a `.sqlite` file), creating and migrating
        it as needed. With `create=False` a missing case is an error. With `readonly` the case
        is only read (`report`, `review list`): nothing in it is written, migrated or created,
        and a case on read-only media or in a folder the user cannot write still opens."""
        p = Path(path)
        if p.exists() and not p.is_dir() and p.suffix != ".sqlite":
            raise CaseStoreError(f"{path} is a file, not a case folder; give a folder for the "
                                 "case (it is created when missing)")
        db = db_path(path)
        if db.is_dir():
            raise CaseStoreError(f"{db} is a directory, not a case database")
        if readonly:
            if not db.exists():
                raise CaseStoreError(f"no case at {path} ({db.name} not found)")
            _refuse_empty(db, path)
            return cls(_read_only(db), db)
        if not db.exists():
            if not create:
                raise CaseStoreError(f"no case at {path} ({db.name} not found)")
            try:
                db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                # create the file ourselves so it is never world-readable, even for an instant
                fd = os.open(db, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except OSError as exc:
                raise CaseStoreError(f"cannot create the case at {path}: "
                                     f"{exc.strerror or exc}") from None
            os.close(fd)
        elif not (os.access(db, os.W_OK) and os.access(db.parent, os.W_OK)):
            raise _read_only_error(path)
        elif not create:
            # Only a new case may be empty (a scan killed before its first write leaves one):
            # `review mark` must never write a fresh schema into it.
            _refuse_empty(db, path)
        _tighten(db, folder=db.name == DB_NAME and Path(path).is_dir())
        try:
            conn = sqlite3.connect(db, isolation_level=None, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            schema.migrate(conn)
        except sqlite3.DatabaseError as exc:
            if "readonly" in str(exc):  # e.g. read-only media, whatever the file modes say
                raise _read_only_error(path) from None
            raise _db_error(db, exc, "opening it") from None
        return cls(conn, db)

    def close(self) -> None:
        """Close the database (checkpointing the WAL)."""
        self._conn.close()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return schema.current_version(self._conn)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. A SQLite failure (a full disk, an I/O error, a damaged
        file) rolls it back and is a `CaseStoreError`: what was committed before stays."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (a full disk does): never fail twice
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            if type(exc) not in _MEDIUM:
                raise
            raise _db_error(self.path, exc, "writing it") from None

    # -- runs and resumption ---------------------------------------------------------------

    def begin_run(self, manifest: Mapping[str, object]) -> int:
        """Record the start of a scan run; return its id. Runs left `running` by a killed
        process are marked `interrupted`."""
        m = parse_manifest(manifest)
        with self._tx() as conn:
            conn.execute("UPDATE runs SET status='interrupted' WHERE status='running'")
            cur = conn.execute(
                "INSERT INTO runs (tool_version, python, packs, arguments, started, status,"
                " options, shard_key) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
                (
                    m.tool_version,
                    m.python,
                    codec.dumps(m.packs),
                    json.dumps(list(m.arguments)),
                    m.started,
                    json.dumps(m.options, sort_keys=True, default=str),
                    m.compat,
                ),
            )
        self._compat = m.compat
        run_id = cur.lastrowid
        assert run_id is not None
        return run_id

    @_reads("runs")
    def _run_compat(self, run_id: int) -> str:
        row = self._conn.execute("SELECT shard_key FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise CaseStoreError(f"no run {run_id} in this case")
        return str(row[0])

    @_reads("saved files")
    def load_shard(self, key: str, size: int, mtime_ns: int) -> ShardResult | None:
        """A shard saved by an earlier (possibly killed) run, if the file is unchanged (same
        size and mtime) and it was scanned with the same tool version, packs and options as
        the current run; else None and the caller rescans it."""
        compat = self._compat
        if compat is None:
            row = self._conn.execute("SELECT shard_key FROM runs ORDER BY id DESC").fetchone()
            if row is None:
                return None
            compat = str(row[0])
        row = self._conn.execute(
            "SELECT size, mtime_ns, compat, codec, data FROM shards WHERE key=?", (_text(key),)
        ).fetchone()
        if row is None:
            return None
        if (row[0], row[1], row[2], row[3]) != (size, mtime_ns, compat, codec.CODEC_VERSION):
            return None
        try:
            return codec.loads(ShardResult, row[4])
        except (ValueError, KeyError, TypeError):
            return None  # a damaged record is rescanned, never trusted

    def save_shard(self, run_id: int, shard: ShardResult, size: int, mtime_ns: int) -> None:
        """Save one scanned shard and commit at once (the unit of resumption)."""
        compat = self._run_compat(run_id)
        data = codec.dumps(shard)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO shards (key, size, mtime_ns, compat, codec, run_id, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
                " size=excluded.size, mtime_ns=excluded.mtime_ns, compat=excluded.compat,"
                " codec=excluded.codec, run_id=excluded.run_id, data=excluded.data",
                (_text(shard.key), size, mtime_ns, compat, codec.CODEC_VERSION, run_id, data),
            )

    def checkpoint(self, run_id: int) -> RunCheckpoint:
        """The shard load/save pair bound to one run (`api.Checkpoint` shape)."""
        self._run_compat(run_id)
        return RunCheckpoint(self, run_id)

    def finish_run(
        self,
        run_id: int,
        result: ScanResult,
        source_hashes_end: Mapping[str, str],
        *,
        ended: str | None = None,
        mentions: Mapping[str, tuple[Mention, ...]] | None = None,
        subjects: Mapping[str, str | None] | None = None,
    ) -> None:
        """Store what the run found (idempotently) and mark it complete.

        Findings are keyed by fingerprint: a rescan updates them in place. A finding that a
        rescanned message no longer produces is dropped (its decision is kept, in case it comes
        back). Sources carry the hash at ingest and the one in `source_hashes_end`.
        `mentions`: who each flagged message is about, by locator (an empty tuple records a
        message read for names that names nobody). `subjects`: the Subject of each flagged
        message, read again with its mentions, by locator (None: it could not be read again).
        The log findings that forward mail to a consumer address are kept with the log summary.
        """
        self._run_compat(run_id)
        source_paths = sorted((s.path for s in result.sources), key=len, reverse=True)
        flows: dict[str, str] = {}
        for f in result.findings:
            flows.setdefault(f.locator, f.flow.value)
        with self._tx() as conn:
            for s in result.sources:
                conn.execute(
                    "INSERT INTO sources (path, type, size, sha256, messages, skipped,"
                    " first_run, last_run, sha256_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(path) DO UPDATE SET type=excluded.type, size=excluded.size,"
                    " sha256=excluded.sha256, messages=excluded.messages,"
                    " skipped=excluded.skipped, last_run=excluded.last_run,"
                    " sha256_end=excluded.sha256_end",
                    (
                        _text(s.path),
                        s.type,
                        s.bytes,
                        s.sha256,
                        s.messages,
                        s.skipped,
                        run_id,
                        run_id,
                        source_hashes_end.get(s.path),
                    ),
                )
            for ref in result.refs:
                source = next((p for p in source_paths if ref.locator.startswith(p)), None)
                conn.execute(
                    "INSERT INTO messages (locator, sha256, message_id, date, consumer, flow,"
                    " source, ref, first_run, last_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(locator) DO UPDATE SET sha256=excluded.sha256,"
                    " message_id=excluded.message_id, date=excluded.date,"
                    " consumer=excluded.consumer, flow=excluded.flow, source=excluded.source,"
                    " ref=excluded.ref, last_run=excluded.last_run",
                    (
                        _text(ref.locator),
                        ref.sha256,
                        _text(ref.message_id),
                        ref.date,
                        int(ref.consumer),
                        flows.get(ref.locator) or ref.flow or None,
                        None if source is None else _text(source),
                        codec.dumps(ref),
                        run_id,
                        run_id,
                    ),
                )
            found = {f.fingerprint for f in result.findings}
            rescanned = {_text(ref.locator) for ref in result.refs}
            stale = [
                fp
                for fp, loc in conn.execute("SELECT fingerprint, locator FROM findings")
                if loc in rescanned and fp not in found
            ]
            conn.executemany("DELETE FROM findings WHERE fingerprint=?", [(fp,) for fp in stale])
            for f in result.findings:
                conn.execute(
                    "INSERT INTO findings (fingerprint, message_sha256, locator, rule, category,"
                    " severity, sender, flow, date, record, first_run, last_run)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(fingerprint) DO UPDATE SET"
                    " message_sha256=excluded.message_sha256, locator=excluded.locator,"
                    " rule=excluded.rule, category=excluded.category,"
                    " severity=excluded.severity, sender=excluded.sender, flow=excluded.flow,"
                    " date=excluded.date, record=excluded.record, last_run=excluded.last_run",
                    (
                        f.fingerprint,
                        f.message_sha256,
                        _text(f.locator),
                        f.rule,
                        f.category,
                        int(f.severity),
                        _text(f.sender.lower()),
                        f.flow.value,
                        f.date,
                        codec.dumps(f),
                        run_id,
                        run_id,
                    ),
                )
            for ev in result.log_events:
                conn.execute(
                    "INSERT INTO log_events (locator, log_format, time, sender, message_id,"
                    " kind, record, last_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(locator) DO UPDATE SET log_format=excluded.log_format,"
                    " time=excluded.time, sender=excluded.sender,"
                    " message_id=excluded.message_id, kind=excluded.kind,"
                    " record=excluded.record, last_run=excluded.last_run",
                    (
                        _text(str(ev.locator)),
                        ev.log_format,
                        ev.time,
                        _text(ev.sender),
                        _text(ev.message_id),
                        ev.kind,
                        codec.dumps(ev),
                        run_id,
                    ),
                )
            for locator, found_in in sorted((mentions or {}).items()):
                conn.execute(
                    "INSERT INTO mentions (locator, record, last_run) VALUES (?, ?, ?)"
                    " ON CONFLICT(locator) DO UPDATE SET record=excluded.record,"
                    " last_run=excluded.last_run",
                    (_text(locator), json.dumps([m.as_dict() for m in found_in],
                                                ensure_ascii=False), run_id))
            for locator, subject in sorted((subjects or {}).items()):
                conn.execute(
                    "INSERT INTO subjects (locator, subject, last_run) VALUES (?, ?, ?)"
                    " ON CONFLICT(locator) DO UPDATE SET subject=excluded.subject,"
                    " last_run=excluded.last_run",
                    (_text(locator), subject, run_id))
            entries: list[tuple[int, Skipped | Note]] = [(0, s) for s in result.skipped]
            entries.extend((1, n) for n in result.notes)
            for note, sk in entries:
                conn.execute(
                    "INSERT INTO skipped (locator, part, reason, kind, note, last_run, record)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(locator, part, reason, note)"
                    " DO UPDATE SET kind=excluded.kind, last_run=excluded.last_run,"
                    " record=excluded.record",
                    (_text(str(sk.locator)), _text(sk.part or ""), _text(sk.reason),
                     sk.kind.value, note, run_id,
                     codec.dumps(sk)),
                )
            # a manifest written before the packs were resolved gets them from the result
            conn.execute(
                "UPDATE runs SET packs=? WHERE id=? AND packs='[]'",
                (codec.dumps(tuple(sorted(result.packs, key=lambda p: (p.pack, p.path)))), run_id),
            )
            conn.execute(
                "UPDATE runs SET options=? WHERE id=? AND options='{}'",
                (json.dumps(result.options.as_dict(), sort_keys=True, default=str), run_id),
            )
            conn.execute(
                "UPDATE runs SET ended=?, status='complete', messages_found=?,"
                " messages_scanned=?, skipped=?, findings=?, log_summary=?, flow_counts=?,"
                " org=?, log_forwarding=? WHERE id=?",
                (
                    ended or utc_now(),
                    result.messages_found,
                    result.messages_scanned,
                    len(result.skipped),
                    len(result.findings),
                    None
                    if result.log_summary is None
                    else json.dumps(result.log_summary.as_dict(), sort_keys=True, default=str),
                    json.dumps(result.flow_counts, sort_keys=True),
                    json.dumps(
                        {"domains": list(result.org.domains), "inferred": result.org.inferred}
                    ),
                    None if result.log_summary is None else codec.dumps(tuple(
                        f for f in result.log_findings if isinstance(f, LogForwarding))),
                    run_id,
                ),
            )
        if self._compat is None:
            self._compat = self._run_compat(run_id)

    def mark_interrupted(self, run_id: int) -> None:
        """Mark a run interrupted (e.g. on Ctrl-C), keeping the shards it saved."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE runs SET status='interrupted', ended=? WHERE id=? AND status='running'",
                (utc_now(), run_id),
            )

    @_reads("runs")
    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        rows = self._conn.execute(
            "SELECT id, tool_version, python, packs, arguments, started, ended, status,"
            " messages_found, messages_scanned, skipped, findings, options FROM runs ORDER BY id"
        ).fetchall()
        return [
            RunRecord(
                id=r[0],
                tool_version=r[1],
                python=r[2],
                packs=codec.loads(tuple[PackRef, ...], r[3]),
                arguments=tuple(json.loads(r[4])),
                started=r[5],
                ended=r[6],
                status=r[7],
                messages_found=r[8],
                messages_scanned=r[9],
                skipped=r[10],
                findings=r[11],
                options=json.loads(r[12]),
            )
            for r in rows
        ]

    # -- reading ---------------------------------------------------------------------------

    @_reads("findings")
    def findings(self) -> list[Finding]:
        """Every current finding, ordered by date, locator and fingerprint."""
        rows = self._conn.execute(
            "SELECT record FROM findings ORDER BY date IS NULL, date, locator, fingerprint"
        )
        return [codec.loads(Finding, r[0]) for r in rows]

    @_reads("messages")
    def messages(self) -> list[MessageRef]:
        """Every message scanned into the case, by locator."""
        rows = self._conn.execute("SELECT ref FROM messages ORDER BY locator")
        return [codec.loads(MessageRef, r[0]) for r in rows]

    @_reads("log events")
    def log_events(self) -> list[LogEvent]:
        """Every stored log event, by time then locator."""
        rows = self._conn.execute(
            "SELECT record FROM log_events ORDER BY time IS NULL, time, locator"
        )
        return [codec.loads(LogEvent, r[0]) for r in rows]

    @_reads("sources")
    def sources(self) -> list[SourceRecord]:
        """Every source file in the case, by path."""
        rows = self._conn.execute(
            "SELECT path, type, size, sha256, sha256_end, messages, skipped FROM sources"
            " ORDER BY path"
        )
        return [SourceRecord(*r) for r in rows]

    @_reads("mentions")
    def mentions(self) -> dict[str, tuple[Mention, ...]]:
        """Who each flagged message is about, by locator (messages read for names only)."""
        rows = self._conn.execute("SELECT locator, record FROM mentions ORDER BY locator")
        return {r[0]: tuple(Mention.from_dict(d) for d in json.loads(r[1])) for r in rows}

    @_reads("subjects")
    def subjects(self) -> dict[str, str | None]:
        """The Subject of each flagged message, by locator (None: it could not be read again
        after the scan); a message scanned before subjects were kept has no entry."""
        rows = self._conn.execute("SELECT locator, subject FROM subjects ORDER BY locator")
        return {r[0]: r[1] for r in rows}

    @_reads("log forwarding")
    def log_forwarding(self) -> tuple[LogForwarding, ...] | None:
        """The forwarding to consumer addresses found in the logs of the latest complete run
        that read logs (the run whose log summary reports use); None when the case holds no
        logs, or they were scanned before these were kept."""
        row = self._conn.execute(
            "SELECT log_forwarding FROM runs WHERE status='complete' AND log_summary IS NOT NULL"
            " ORDER BY id DESC"
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return tuple(codec.from_jsonable(LogForwarding, item) for item in json.loads(row[0]))

    def skipped(self) -> list[Skipped]:
        """Coverage gaps, by locator."""
        return [s for s in self._coverage(0) if isinstance(s, Skipped)]

    def notes(self) -> list[Note]:
        """Notes (observations on what was read), by locator."""
        return [n for n in self._coverage(1) if isinstance(n, Note)]

    @_reads("coverage entries")
    def _coverage(self, note: int) -> list[Skipped | Note]:
        rows = self._conn.execute(
            "SELECT locator, reason, part, kind, record FROM skipped WHERE note=?"
            " ORDER BY locator, part, reason",
            (note,),
        )
        cls: type[Skipped] | type[Note] = Note if note else Skipped
        out: list[Skipped | Note] = []
        for locator, reason, part, kind, record in rows:
            if record is not None:
                out.append(codec.loads(cls, record))
            elif note:  # written before schema 3: flat columns only
                out.append(Note(Locator.parse_legacy(locator), reason, part or None,
                                NoteKind(kind)))
            else:
                out.append(Skipped(Locator.parse_legacy(locator), reason, part or None,
                                   SkipKind(kind)))
        return out

    # -- decisions -------------------------------------------------------------------------

    @_reads("findings")
    def _resolve(self, fingerprints: Iterable[str]) -> list[str]:
        out: list[str] = []
        for fp in fingerprints:
            fp = fp.strip().lower()
            if len(fp) < MIN_PREFIX:
                raise CaseStoreError(f"fingerprint {fp!r} is too short (at least {MIN_PREFIX})")
            rows = self._conn.execute(
                "SELECT fingerprint FROM findings WHERE fingerprint >= ? AND fingerprint < ?",
                (fp, fp + "\uffff"),
            ).fetchall()
            if not rows:
                raise CaseStoreError(f"no finding with fingerprint {fp} in this case")
            if len(rows) > 1 and not any(r[0] == fp for r in rows):
                raise CaseStoreError(f"fingerprint prefix {fp} matches {len(rows)} findings")
            out.append(fp if any(r[0] == fp for r in rows) else rows[0][0])
        return out

    def decide(
        self,
        fingerprints: Iterable[str] | None = None,
        *,
        rule: str | None = None,
        sender: str | None = None,
        decision: Decision | str,
        reason: str,
        who: str,
        at: str | None = None,
    ) -> list[str]:
        """Record a decision on findings chosen by fingerprint (full or a unique prefix of at
        least 8 characters), or in bulk by rule and/or sender. Returns the fingerprints
        decided. The decision replaces any earlier one; the history keeps every decision."""
        dec = decision if isinstance(decision, Decision) else Decision.parse(decision)
        if not reason.strip():
            raise CaseStoreError("a decision needs a reason")
        if not who.strip():
            raise CaseStoreError("a decision needs a reviewer name")
        chosen: list[str] = []
        if fingerprints is not None:
            chosen.extend(self._resolve(fingerprints))
        if rule is not None or sender is not None:
            clauses, params = [], []
            if rule is not None:
                clauses.append("rule = ?")
                params.append(rule)
            if sender is not None:
                clauses.append("sender = ?")
                params.append(_text(sender.strip().lower()))
            chosen.extend(self._select(clauses, params))
        if fingerprints is None and rule is None and sender is None:
            raise CaseStoreError("choose findings by fingerprint, rule or sender")
        chosen = sorted(set(chosen))
        when = at or utc_now()
        with self._tx() as conn:
            for fp in chosen:
                conn.execute(
                    "INSERT INTO decisions (fingerprint, decision, reason, who, at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(fingerprint) DO UPDATE SET"
                    " decision=excluded.decision, reason=excluded.reason, who=excluded.who,"
                    " at=excluded.at",
                    (fp, dec.value, reason.strip(), who.strip(), when),
                )
                conn.execute(
                    "INSERT INTO decision_history (fingerprint, decision, reason, who, at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (fp, dec.value, reason.strip(), who.strip(), when),
                )
        return chosen

    @_reads("findings")
    def _select(self, clauses: list[str], params: list[str]) -> list[str]:
        return [r[0] for r in self._conn.execute(
            f"SELECT fingerprint FROM findings WHERE {' AND '.join(clauses)}", params)]

    @_reads("decisions")
    def decisions(self) -> dict[str, DecisionRecord]:
        """The current decision per fingerprint (including fingerprints not found lately)."""
        rows = self._conn.execute(
            "SELECT fingerprint, decision, reason, who, at FROM decisions ORDER BY fingerprint"
        )
        return {r[0]: DecisionRecord(r[0], Decision(r[1]), r[2], r[3], r[4]) for r in rows}

    @_reads("decision history")
    def decision_history(self, fingerprint: str | None = None) -> list[DecisionRecord]:
        """Every decision ever recorded, oldest first (optionally for one fingerprint)."""
        sql = "SELECT fingerprint, decision, reason, who, at FROM decision_history"
        params: tuple[str, ...] = ()
        if fingerprint is not None:
            sql += " WHERE fingerprint = ?"
            params = (fingerprint,)
        rows = self._conn.execute(sql + " ORDER BY id", params)
        return [DecisionRecord(r[0], Decision(r[1]), r[2], r[3], r[4]) for r in rows]

    # -- containment -------------------------------------------------------------------------

    def contain(self, address: str, status: ContainmentStatus | str, *, note: str, who: str,
                at: str | None = None) -> ContainmentRecord:
        """Record a dated request to, or answer from, one consumer mailbox."""
        state = (status if isinstance(status, ContainmentStatus)
                 else ContainmentStatus.parse(status))
        if not who.strip():
            raise CaseStoreError("a containment record needs a name (--who)")
        record = ContainmentRecord(address.strip().lower(), state, note.strip(), who.strip(),
                                   at or utc_now())
        with self._tx() as conn:
            conn.execute("INSERT INTO containment (address, status, note, who, at)"
                         " VALUES (?, ?, ?, ?, ?)",
                         (_text(record.address), record.status.value, record.note, record.who,
                          record.at))
        return record

    @_reads("containment records")
    def containment(self, address: str | None = None) -> list[ContainmentRecord]:
        """Every containment record, oldest first (optionally for one address)."""
        sql = "SELECT address, status, note, who, at FROM containment"
        params: tuple[str, ...] = ()
        if address is not None:
            sql += " WHERE address = ?"
            params = (_text(address.strip().lower()),)
        rows = self._conn.execute(sql + " ORDER BY id", params)
        return [ContainmentRecord(r[0], ContainmentStatus(r[1]), r[2], r[3], r[4]) for r in rows]

    # -- report snapshots --------------------------------------------------------------------

    def keep_report(self, report_type: str, fmt: str, figures: Mapping[str, object],
                    sha256: str, at: str | None = None) -> ReportSnapshot:
        """Keep one drafted report's figures and text hash."""
        kept = ReportSnapshot(at or utc_now(), report_type, fmt, dict(figures), sha256)
        with self._tx() as conn:
            conn.execute("INSERT INTO report_snapshots (at, report_type, format, figures, sha256)"
                         " VALUES (?, ?, ?, ?, ?)",
                         (kept.at, report_type, fmt, json.dumps(kept.figures, sort_keys=True),
                          sha256))
        return kept

    @_reads("report snapshots")
    def reports(self) -> list[ReportSnapshot]:
        """Every report kept, oldest first."""
        rows = self._conn.execute("SELECT at, report_type, format, figures, sha256"
                                  " FROM report_snapshots ORDER BY id")
        return [ReportSnapshot(r[0], r[1], r[2], dict(json.loads(r[3])), r[4]) for r in rows]

    # -- the audit log -----------------------------------------------------------------------

    def audit(self, action: str, *, who: str, rows: int, detail: str = "",
              at: str | None = None) -> None:
        """Record one export that revealed health data: what (`action`), who, when, how many
        rows. Never records a value."""
        if not who.strip():
            raise CaseStoreError("an audit entry needs a name (--who, or $TRACECHECK_USER)")
        with self._tx() as conn:
            conn.execute("INSERT INTO audit_log (at, who, action, rows, detail)"
                         " VALUES (?, ?, ?, ?, ?)",
                         (at or utc_now(), who.strip(), action, rows, detail))

    @_reads("audit log")
    def audit_log(self) -> list[AuditEntry]:
        """Every audit entry, oldest first."""
        rows = self._conn.execute(
            "SELECT at, who, action, rows, detail FROM audit_log ORDER BY id")
        return [AuditEntry(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4]))
                for r in rows]

    # -- the whole case ----------------------------------------------------------------------

    def require_complete_run(self) -> None:
        """Raise `CaseStoreError` unless a scan into the case has finished: a case whose only
        runs were interrupted (a full disk, Ctrl-C, kill) or are still running holds no
        result, and must never read as "0 messages, nothing to report"."""
        runs = self.runs()
        if any(r.status == "complete" for r in runs):
            return
        if not runs:
            raise CaseStoreError(f"the case at {self.path} holds no scan: run `tracecheck scan "
                                 "--case DIR PATH...` first")
        running = sum(r.status == "running" for r in runs)
        what = (f"{len(runs) - running} interrupted" if not running
                else f"{running} still running or killed, {len(runs) - running} interrupted")
        raise CaseStoreError(
            f"the case at {self.path} holds no complete scan ({len(runs)} run"
            f"{'s' if len(runs) != 1 else ''}: {what}); run the same `tracecheck scan --case` "
            "again to finish it (files already saved are not scanned again)")

    @_reads("pages")
    def check_integrity(self) -> None:
        """Raise `CaseStoreError` when SQLite finds the file damaged (`PRAGMA quick_check`:
        every page and record, in one pass over the file)."""
        rows = self._conn.execute("PRAGMA quick_check(1)").fetchall()
        if rows != [("ok",)]:
            raise CaseStoreError(f"{self.path} is damaged (SQLite integrity check failed); "
                                 "restore the case from a copy")

    @_reads("runs")
    def snapshot(self) -> CaseSnapshot:
        """Everything a report needs, read in one go."""
        runs = self.runs()
        complete = [r for r in runs if r.status == "complete"]
        row = self._conn.execute(
            "SELECT log_summary FROM runs WHERE status='complete' AND log_summary IS NOT NULL"
            " ORDER BY id DESC"
        ).fetchone()
        log_summary = LogSummary.from_dict(json.loads(row[0])) if row else None
        flow_row = self._conn.execute(
            "SELECT flow_counts, org FROM runs WHERE status='complete' ORDER BY id DESC"
        ).fetchone()
        flow_counts: dict[str, int] = json.loads(flow_row[0]) if flow_row else {}
        org = json.loads(flow_row[1]) if flow_row else {}
        sources = self.sources()
        # Mail sources only (a log file's count is of log events); the last run's count also
        # holds the messages it found but could not read.
        found = max(sum(s.messages for s in sources if not s.is_log),
                    (complete[-1].messages_found or 0) if complete else 0)
        mode = complete[-1].options.get("all_messages") if complete else None
        return CaseSnapshot(
            runs=tuple(runs),
            sources=tuple(sources),
            messages=tuple(self.messages()),
            findings=tuple(self.findings()),
            decisions=self.decisions(),
            skipped=tuple(self.skipped()),
            notes=tuple(self.notes()),
            log_events=tuple(self.log_events()),
            log_summary=log_summary,
            messages_found=found,
            packs=complete[-1].packs if complete else (),
            flow_counts=flow_counts,
            org_domains=tuple(org.get("domains", ())),
            org_inferred=bool(org.get("inferred", False)),
            all_messages=mode if isinstance(mode, bool) else None,
            mentions=self.mentions(),
            containment=tuple(self.containment()),
            subjects=self.subjects(),
            log_forwarding=self.log_forwarding(),
        )


_text = text_key
"""Every text written or looked up goes through the snapshot's one key rule."""


def _read_only_error(path: str | Path) -> CaseStoreError:
    return CaseStoreError(f"the case at {path} is read-only: `scan` and `review mark` write to "
                          "it (`report` and `review list` only read it)")


def _db_error(db: Path, exc: sqlite3.DatabaseError, doing: str) -> CaseStoreError:
    """A SQLite failure on the case `db` as one line that says what to do."""
    text = str(exc)
    if text.startswith("Could not decode to UTF-8"):  # the message quotes the stored text
        text = "a text column is not UTF-8"
    if "full" in text:
        return CaseStoreError(f"cannot write the case {db}: the disk is full ({text}); free "
                              "space and run the command again (what was saved is kept)")
    if "disk I/O error" in text:
        return CaseStoreError(f"cannot use the case {db}: disk I/O error (a full disk or a "
                              f"failing device) while {doing}")
    if "readonly" in text or "read-only" in text:
        return CaseStoreError(f"cannot write the case {db}: {text}")
    if any(w in text for w in ("malformed", "corrupt", "not UTF-8")):
        return CaseStoreError(f"{db} is damaged ({text}); restore the case from a copy")
    if "not a database" in text:
        return CaseStoreError(f"{db}: not a usable case database ({text}): a damaged case, "
                              "or not a case at all")
    return CaseStoreError(f"{db}: not a usable case database ({text}) while {doing}")


def _refuse_empty(db: Path, given: str | Path) -> None:
    """An empty (0-byte) database holds no case: only `scan --case` may start one in it."""
    try:
        empty = db.stat().st_size == 0
    except OSError as exc:
        raise CaseStoreError(f"cannot read the case at {given}: {exc.strerror or exc}") from None
    if empty:
        raise CaseStoreError(f"the case at {given} is empty ({db.name} is 0 bytes): nothing "
                             "was ever scanned into it; run `tracecheck scan --case DIR "
                             "PATH...` first")


def _tighten(db: Path, *, folder: bool) -> None:
    """A case opened to be written: the database (and its -wal/-shm files) mode 0600, the
    case folder 0700 when the case was given as a folder (never the folder around a
    `.sqlite` file named directly, which may be shared). A file or folder whose mode cannot
    be changed (another user's) is left as it is: opening does not depend on it."""
    targets = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    modes = [0o600] * len(targets)
    if folder:
        targets.append(db.parent)
        modes.append(0o700)
    for target, mode in zip(targets, modes, strict=True):
        try:
            st = os.stat(target, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode) or not stat.S_IMODE(st.st_mode) & 0o077:
                continue
            os.chmod(target, mode)
        except OSError:
            continue


def _read_only(db: Path) -> sqlite3.Connection:
    """A connection that can only read `db`. With no `-wal` file beside it, no process has the
    case open for writing and every committed page is in the file: it is opened `immutable`,
    so SQLite creates no `-wal`/`-shm` file (it could not in a read-only folder, and must not
    leave them in a case that is only read). With a `-wal` file (a scan running, or one that
    was killed), it is opened `mode=ro`, which reads the pending pages through the existing
    WAL files. A case of an older schema is read through an in-memory migrated copy: opening
    it to read never migrates it."""
    uri = "file:" + urllib.parse.quote(str(db.resolve()))
    wal = db.with_name(db.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{uri}?{mode}", uri=True, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA query_only=ON")
        version = schema.current_version(conn)
    except sqlite3.DatabaseError as exc:
        hint = (f"; its {wal.name} holds changes that SQLite cannot read without writing "
                "beside it: copy the case folder somewhere writable and read the copy"
                if wal.exists() and not os.access(db.parent, os.W_OK) else "")
        raise CaseStoreError(f"{db}: cannot be read ({exc}){hint}") from None
    try:
        schema.check_version(version)
    except CaseStoreError:
        conn.close()
        raise
    if version < schema.CURRENT_VERSION:
        copy = sqlite3.connect(":memory:", isolation_level=None)
        conn.backup(copy)
        conn.close()
        schema.migrate(copy)
        conn = copy
    return conn


class RunCheckpoint:
    """`load_shard(key, size, mtime_ns)` / `save_shard(shard, size, mtime_ns)` for one run, as
    `tracecheck.api.scan(checkpoint=...)` expects."""

    def __init__(self, store: CaseStore, run_id: int) -> None:
        self.store = store
        self.run_id = run_id

    def load_shard(self, key: str, size: int, mtime_ns: int) -> ShardResult | None:
        """A reusable saved shard, or None."""
        return self.store.load_shard(key, size, mtime_ns)

    def save_shard(self, shard: ShardResult, size: int, mtime_ns: int) -> None:
        """Save and commit one shard for this run."""
        self.store.save_shard(self.run_id, shard, size, mtime_ns)
