"""Whose mailbox a message came from: the custodian of each finding (`--custodian-from`).

Owns the attribution rule, once: `path` reads the custodian from the message's container path
with a regex (`DEFAULT_PATH_PATTERN`, or `[scan] custodian_pattern` in the config file: its
`custodian` group, else its first group), `header` from the export's own mailbox stamp, the
first `Delivered-To` address of the message (else `X-Original-To`), and `none` attributes
nothing. A message the rule does not attribute has the custodian "" (never a guess). Google
Vault and Purview keep the custodian in their export's metadata files (Vault's
`*-metadata.xml`, Purview's folder per mailbox), not in a message header: `path` reads the
folder layout, `header` the delivery stamp the mailbox's server wrote. Never reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from tracecheck.errors import UsageError
from tracecheck.model import CustodianFrom, MessageInfo

DEFAULT_PATH_PATTERN = (r"(?:^|/)(?P<custodian>[^/]+@[^/]+)/"
                        r"|(?:^|/)(?P<custodian>[^/]+)/Maildir(?:/|$)")
"""A folder named as a mailbox address (`Exchange/jane.doe@org.example/Inbox/...`, as
Purview and Exchange exports lay mail out), or the folder holding a `Maildir`
(`home/jane/Maildir/cur/...`)."""

HEADER_FIELDS = ("delivered-to", "x-original-to")
"""Recipient fields that name the mailbox a copy was delivered to, in order of trust."""


def compile_pattern(pattern: str, where: str = "--custodian pattern") -> regex.Pattern[str]:
    """`pattern` compiled, with a group to take the custodian from; a `UsageError` naming
    `where` when it does not compile or has no group."""
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        raise UsageError(f"{where} does not compile: {exc}") from None
    if not compiled.groups:
        raise UsageError(f"{where} has no group to take the custodian from: write "
                         "(?P<custodian>...) around it")
    return compiled


@dataclass(frozen=True)
class Custodians:
    """The attribution rule of one run (picklable: the merger may run anywhere)."""

    mode: CustodianFrom = CustodianFrom.PATH
    pattern: str = DEFAULT_PATH_PATTERN

    def __post_init__(self) -> None:
        compile_pattern(self.pattern)

    def of(self, info: MessageInfo) -> str:
        """The custodian of a message, or "" when the rule cannot tell."""
        if self.mode is CustodianFrom.NONE:
            return ""
        if self.mode is CustodianFrom.HEADER:
            for name in HEADER_FIELDS:
                for addr in info.recipients:
                    if addr.field == name:
                        return addr.addr.lower()
            return ""
        return self.from_path(info.source)

    def from_path(self, path: str) -> str:
        """The custodian the pattern reads from a container path (folders split by `/`)."""
        m = _compiled(self.pattern).search(path.replace("\\", "/"))
        if m is None:
            return ""
        named = m.groupdict().get("custodian")
        value = named if named is not None else next((g for g in m.groups() if g), "")
        return (value or "").strip()


_CACHE: dict[str, regex.Pattern[str]] = {}


def _compiled(pattern: str) -> regex.Pattern[str]:
    found = _CACHE.get(pattern)
    if found is None:
        found = _CACHE[pattern] = compile_pattern(pattern)
    return found
