"""How the ICO report names files and places: a stable short id per file and masked names.

Exports are often named after a message's subject (`LFD-result-for-<name>-positive.eml`), so
the data-minimised report never prints a path. Each source file gets an id, `S3-1a2b3c4d`
(its number in path order, then the first 8 hex digits of its SHA-256; a file never read has
no hash, `S7`), numbered sources first and then the other files the coverage lists, and a masked
name (`rules.mask.mask_place` of its file name). Every locator is written with the id in
place of the path and its other parts masked the same way. With reveal, paths and locators are
written as they are. Never computes a figure and never formats for an output.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from tracecheck.case.snapshot import CaseSnapshot
from tracecheck.model import Locator
from tracecheck.rules.mask import mask_place

HASH_DIGITS = 8
_MESSAGE_SUFFIX = re.compile(r"(?:@(?P<offset>\d+))?(?::(?P<item>.*))?")


class SourceNames:
    """The ids and shown names of a snapshot's files (its sources, then the other files its
    coverage names)."""

    def __init__(self, snapshot: CaseSnapshot, reveal: bool = False,
                 extra_paths: Iterable[str] = ()) -> None:
        self.reveal = reveal
        self._ids: dict[str, str] = {}
        for src in snapshot.sources:  # sorted by path
            digest = src.sha256[:HASH_DIGITS]
            number = len(self._ids) + 1
            self._ids.setdefault(src.path, f"S{number}-{digest}" if digest else f"S{number}")
        others = {s.locator.path for s in snapshot.skipped} | set(extra_paths)
        for path in sorted(p for p in others if p and p not in self._ids):
            self._ids[path] = f"S{len(self._ids) + 1}"
        # longest first: a locator belongs to the longest path it starts with
        self._by_length = sorted(self._ids, key=len, reverse=True)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SourceNames)
                and (self.reveal, self._ids) == (other.reveal, other._ids))

    __hash__ = None  # type: ignore[assignment]

    def id(self, path: str) -> str:
        """The file's short id (`S3-1a2b3c4d`)."""
        return self._ids.get(path) or mask_place(path)

    def name(self, path: str) -> str:
        """The file as the report shows it: its masked file name, or with reveal its path."""
        return path if self.reveal else mask_place(os.path.basename(path) or path)

    def locator(self, loc: Locator) -> str:
        """A locator as the report writes it: the file's id for its path, the other parts
        masked (`S3-1a2b3c4d@512#attachment:c****.zip`); as written with reveal."""
        if self.reveal:
            return str(loc)
        shown = Locator(path=self.id(loc.path), offset=loc.offset,
                        item=mask_place(loc.item), line=loc.line,
                        within=mask_place(loc.within))
        return str(shown)

    def text(self, text: str) -> str:
        """Free text (a coverage reason) with every known path in it written as its id (a
        reason such as `the worker scanning PATH was lost` names the file)."""
        if self.reveal:
            return text
        for path in self._by_length:
            if path in text:
                text = text.replace(path, self._ids[path])
        return text

    def place(self, text: str) -> str:
        """A locator kept as text (a stored message's locator, a log line's): as `locator`,
        its file found as the longest known path it starts with. Text that starts with no
        known path is masked whole."""
        if self.reveal:
            return text
        path = next((p for p in self._by_length if text.startswith(p)), None)
        if path is None:
            return mask_place(text)
        rest = text[len(path):]
        suffix = _MESSAGE_SUFFIX.fullmatch(rest)
        if suffix is None:  # not a message's or a log line's locator: mask what follows
            return self._ids[path] + mask_place(rest)
        item = suffix.group("item") or ""
        if item.isdigit():  # a log line, `path:40`
            return str(Locator(path=self._ids[path], line=int(item)))
        offset = suffix.group("offset")
        return str(Locator(path=self._ids[path], offset=int(offset) if offset else None,
                           item=mask_place(item)))
