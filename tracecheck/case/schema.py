"""The case store's SQLite schema, as an ordered list of forward migrations.

Owns every CREATE/ALTER statement and the `schema_version` bookkeeping: a new database gets
every migration in order, an older one gets only those it lacks, each in its own transaction.
Never reads or writes case data itself, and never migrates backwards (a database newer than
this code is refused).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from tracecheck.case.errors import CaseStoreError


@dataclass(frozen=True, slots=True)
class Migration:
    """One forward step: from `version - 1` to `version`."""

    version: int
    description: str
    script: str

    def statements(self) -> list[str]:
        """The script split into single SQL statements."""
        out: list[str] = []
        buf = ""
        for line in self.script.splitlines(keepends=True):
            buf += line
            if sqlite3.complete_statement(buf):
                out.append(buf.strip())
                buf = ""
        return out


# The first released layout: sources, messages, findings, reviewer decisions, runs.
_V1 = """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            tool_version TEXT NOT NULL,
            python TEXT NOT NULL,
            packs TEXT NOT NULL,
            arguments TEXT NOT NULL,
            started TEXT NOT NULL,
            ended TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),
            messages_found INTEGER,
            messages_scanned INTEGER,
            skipped INTEGER,
            findings INTEGER
        );
        CREATE TABLE sources (
            path TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            messages INTEGER NOT NULL,
            skipped INTEGER NOT NULL,
            first_run INTEGER NOT NULL REFERENCES runs(id),
            last_run INTEGER NOT NULL REFERENCES runs(id)
        );
        CREATE TABLE messages (
            locator TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            message_id TEXT NOT NULL,
            date TEXT,
            consumer INTEGER NOT NULL,
            flow TEXT,
            source TEXT,
            ref TEXT NOT NULL,
            first_run INTEGER NOT NULL REFERENCES runs(id),
            last_run INTEGER NOT NULL REFERENCES runs(id)
        );
        CREATE INDEX messages_sha256 ON messages(sha256);
        CREATE INDEX messages_message_id ON messages(message_id);
        CREATE TABLE findings (
            fingerprint TEXT PRIMARY KEY,
            message_sha256 TEXT NOT NULL,
            locator TEXT NOT NULL,
            rule TEXT NOT NULL,
            category TEXT NOT NULL,
            severity INTEGER NOT NULL,
            sender TEXT NOT NULL,
            flow TEXT NOT NULL,
            date TEXT,
            record TEXT NOT NULL,
            first_run INTEGER NOT NULL REFERENCES runs(id),
            last_run INTEGER NOT NULL REFERENCES runs(id)
        );
        CREATE INDEX findings_rule ON findings(rule);
        CREATE INDEX findings_sender ON findings(sender);
        CREATE TABLE decisions (
            fingerprint TEXT PRIMARY KEY,
            decision TEXT NOT NULL
                CHECK (decision IN ('confirmed', 'false-positive', 'needs-review')),
            reason TEXT NOT NULL,
            who TEXT NOT NULL,
            at TEXT NOT NULL
        );
"""


# Resumption (shards), mail-server logs, coverage detail and a decision history;
# sources gain the hash taken at the end of the run (chain of custody).
_V2 = """
        ALTER TABLE runs ADD COLUMN log_summary TEXT;
        ALTER TABLE runs ADD COLUMN flow_counts TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE runs ADD COLUMN org TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE runs ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE runs ADD COLUMN shard_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE sources ADD COLUMN sha256_end TEXT;
        CREATE TABLE shards (
            key TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            compat TEXT NOT NULL,
            codec INTEGER NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            data TEXT NOT NULL
        );
        CREATE TABLE log_events (
            locator TEXT PRIMARY KEY,
            log_format TEXT NOT NULL,
            time TEXT,
            sender TEXT NOT NULL,
            message_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            record TEXT NOT NULL,
            last_run INTEGER NOT NULL REFERENCES runs(id)
        );
        CREATE TABLE skipped (
            locator TEXT NOT NULL,
            part TEXT NOT NULL,
            reason TEXT NOT NULL,
            kind TEXT NOT NULL,
            note INTEGER NOT NULL,
            last_run INTEGER NOT NULL REFERENCES runs(id),
            PRIMARY KEY (locator, part, reason, note)
        );
        CREATE TABLE decision_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            fingerprint TEXT NOT NULL,
            decision TEXT NOT NULL,
            reason TEXT NOT NULL,
            who TEXT NOT NULL,
            at TEXT NOT NULL
        );
        INSERT INTO decision_history (fingerprint, decision, reason, who, at)
            SELECT fingerprint, decision, reason, who, at FROM decisions ORDER BY fingerprint;
"""


# Coverage entries keep their structured record (kind enum, locator parts) beside the
# flat columns; rows written before have none and are read from the columns.
_V3 = """
        ALTER TABLE skipped ADD COLUMN record TEXT;
"""


# Who each flagged message is about (issue 17): the mentions read from its text, kept per
# message so that reports link people without reading the evidence again. A case scanned
# before has none, and its reports count people the earlier way (and say so).
_V4 = """
        CREATE TABLE mentions (
            locator TEXT PRIMARY KEY,
            record TEXT NOT NULL,
            last_run INTEGER NOT NULL REFERENCES runs(id)
        );
"""


# The case's audit log (issue 17): every export that revealed health data, with who ran it,
# when and how many rows it wrote.
_V5 = """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            action TEXT NOT NULL,
            rows INTEGER NOT NULL,
            detail TEXT NOT NULL
        );
"""


# Containment (issue 17): each request to a consumer mailbox to delete the data, and each
# answer, dated; the latest per address is its status.
_V6 = """
        CREATE TABLE containment (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            address TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('requested', 'deleted', 'refused', 'no-response')),
            note TEXT NOT NULL,
            who TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX containment_address ON containment(address);
"""


# Every report drafted from the case (issue 17): its figures and a hash of its text, so a
# follow-up report can say what changed since the last one.
_V7 = """
        CREATE TABLE report_snapshots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            report_type TEXT NOT NULL,
            format TEXT NOT NULL,
            figures TEXT NOT NULL,
            sha256 TEXT NOT NULL
        );
"""


# What the worklists add to the report (issue 17): the Subject of each flagged message, read
# again with its mentions (NULL when it could not be read again; a message with no row was
# scanned before subjects were kept), and the log findings that forward mail to a consumer
# address, per run beside its log summary (NULL: logs scanned before they were kept).
_V8 = """
        CREATE TABLE subjects (
            locator TEXT PRIMARY KEY,
            subject TEXT,
            last_run INTEGER NOT NULL REFERENCES runs(id)
        );
        ALTER TABLE runs ADD COLUMN log_forwarding TEXT;
"""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sources, messages, findings, decisions, runs", _V1),
    Migration(2, "shards, log events, skipped, decision history, end-of-run hashes", _V2),
    Migration(3, "structured coverage records", _V3),
    Migration(4, "mentions of people in flagged messages", _V4),
    Migration(5, "audit log of revealed exports", _V5),
    Migration(6, "containment requests and answers", _V6),
    Migration(7, "report snapshots", _V7),
    Migration(8, "subjects of flagged messages, forwarding found in logs", _V8),
)
CURRENT_VERSION = MIGRATIONS[-1].version


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database; 0 for an empty database."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).fetchone()
    if row is None:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()
        if tables[0]:
            raise CaseStoreError("database has tables but no schema_version: not a tracecheck case")
        return 0
    version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    return int(version or 0)


def check_version(version: int) -> None:
    """Refuse a case written by a newer tracecheck rather than misread it."""
    if version > CURRENT_VERSION:
        raise CaseStoreError(
            f"case schema version {version} is newer than this tracecheck supports "
            f"({CURRENT_VERSION}); upgrade tracecheck"
        )


def migrate(conn: sqlite3.Connection, target: int = CURRENT_VERSION) -> int:
    """Apply every missing migration up to `target`, each in one transaction; return the
    version reached. The connection must be in autocommit mode (isolation_level=None)."""
    version = current_version(conn)
    check_version(version)
    if version == 0:
        # IF NOT EXISTS: a first migration cut short (a full disk) leaves the table empty
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version"
                     " (version INTEGER PRIMARY KEY, description TEXT NOT NULL)")
    for step in MIGRATIONS:
        if version < step.version <= target:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # statement by statement: executescript() would commit half a migration
                for statement in step.statements():
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                    (step.version, step.description),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite rolls back itself on a full disk
                    conn.execute("ROLLBACK")
                raise
            version = step.version
    return version
