"""Where tracecheck's outputs go: a named file, written whole or not at all, or stdout.

Owns `open_output(path)`, the one way every command writes a report, a table or a baseline:
- a file is written to a temporary file in the same folder (created mode 0600), flushed and
  synced, then renamed over the target (`os.replace`). A write that fails (a full disk, an I/O
  error, an error in a reporter, Ctrl-C) removes the temporary file, so the target keeps its
  old content, or does not exist: never a partial or empty file;
- a path that is a symbolic link is refused (`OutputError`): tracecheck never writes through a
  link, and never changes the mode of the file one points at;
- a path that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is written
  in place, and its mode is left as it is;
- `None` or `-` is stdout.
An error while writing or opening is one `OutputError` naming the output and the system's
reason (`cannot write out.json: No space left on device`). Never decides what is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO, cast

from tracecheck.errors import OutputError, ReaderGone

STDOUT = "-"


def check_output(path: str | Path | None) -> None:
    """Raise the `OutputError` that `open_output(path)` would raise for what the path is (a
    symbolic link, a folder), so a command can refuse before a long scan rather than after."""
    if path is not None and str(path) != STDOUT:
        _existing(Path(path))


def _existing(target: Path) -> os.stat_result | None:
    """`lstat` of an output path that may be written, or None when it does not exist."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _failed(target, exc) from None
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(f"{target} is a symbolic link: tracecheck does not write through "
                          "links; give the path of the file itself")
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {target}: it is a folder")
    return st


@contextlib.contextmanager
def open_output(path: str | Path | None) -> Iterator[TextIO]:
    """A text stream (UTF-8) onto `path` (or stdout for `None` / `-`), per the rules above.
    Text that cannot be encoded (the surrogate escapes of a file name that is not UTF-8) is
    written as `\\udcXX` escapes."""
    if path is None or str(path) == STDOUT:
        with _stdout() as out:
            yield out
        return
    target = Path(path)
    st = _existing(target)
    if st is not None and not stat.S_ISREG(st.st_mode):
        with _in_place(target) as out:
            yield out
        return
    with _replaced(target) as out:
        yield out


@contextlib.contextmanager
def _replaced(target: Path) -> Iterator[TextIO]:
    """A temporary file beside `target`, renamed over it once written in full."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)  # mode 0600
    except OSError as exc:
        raise _failed(target, exc) from None
    done = False
    try:
        with _text_file(fd, target) as f:
            yield f
            _settle(f, target)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _failed(target, exc) from None
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def _in_place(target: Path) -> Iterator[TextIO]:
    """A device or FIFO, opened as it is (never created, truncated or chmodded)."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise _failed(target, exc) from None
    with _text_file(fd, target) as f:
        yield f
        _settle(f, target, sync=False)


@contextlib.contextmanager
def _text_file(fd: int, target: Path) -> Iterator[TextIO]:
    """The open file `fd` as a guarded text stream. Closed at the end: on an error, what is
    still buffered is dropped, so closing cannot fail again over the first error."""
    f = open(fd, "w", encoding="utf-8", newline="", errors="backslashreplace")  # noqa: SIM115
    try:
        yield cast(TextIO, _Guarded(f, str(target)))
    finally:
        with contextlib.suppress(OSError):
            f.close()


@contextlib.contextmanager
def _stdout() -> Iterator[TextIO]:
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(errors="backslashreplace")
    yield cast(TextIO, _Guarded(out, "stdout"))
    try:
        out.flush()
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # the reader went away: nothing more can reach it
            _silence_stdout()
            raise ReaderGone("stdout was closed by its reader") from None
        raise _failed("stdout", exc) from None


def _settle(f: TextIO, name: str | Path, *, sync: bool = True) -> None:
    """Flush `f` to the file system (and to the disk when `sync`): a full disk shows here
    rather than after the rename."""
    try:
        f.flush()
        if sync:
            os.fsync(f.fileno())
    except OSError as exc:
        raise _failed(name, exc) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _failed(name: str | Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {name}: {exc.strerror or exc}")


class _Guarded:
    """A text stream whose write errors are `OutputError`s naming the output; everything
    else is the wrapped stream's."""

    def __init__(self, inner: TextIO, name: str) -> None:
        self._inner = inner
        self._name = name

    def write(self, text: str) -> int:
        try:
            return self._inner.write(text)
        except OSError as exc:
            if exc.errno == errno.EPIPE and self._inner is sys.stdout:
                _silence_stdout()
                raise ReaderGone("stdout was closed by its reader") from None
            raise _failed(self._name, exc) from None

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._inner.flush()
        except OSError as exc:
            raise _failed(self._name, exc) from None

    @property
    def buffer(self) -> BinaryIO:
        """The byte stream under the text (binary formats such as Parquet write here), with
        the same errors: an `OutputError` naming the output. Text written before is flushed
        first, so the two never interleave out of order."""
        self.flush()
        return cast(BinaryIO, _GuardedBinary(self._inner.buffer, self._name))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write a binary file (a spreadsheet) to `path` by `open_output`'s rules (atomically,
    0600, never through a link), through its byte stream. A binary file is never written to
    stdout (`None` or `-` is an `OutputError`)."""
    if path is None or str(path) == STDOUT:
        raise OutputError("a binary format is written to a file: give --output FILE")
    with open_output(path) as out:
        out.buffer.write(data)


class _GuardedBinary:
    """The byte stream of a `_Guarded` text stream: write errors are `OutputError`s."""

    def __init__(self, inner: BinaryIO, name: str) -> None:
        self._inner = inner
        self._name = name

    def write(self, data: bytes) -> int:
        try:
            return self._inner.write(data)
        except OSError as exc:
            if exc.errno == errno.EPIPE and self._inner is getattr(sys.stdout, "buffer", None):
                _silence_stdout()
                raise ReaderGone("stdout was closed by its reader") from None
            raise _failed(self._name, exc) from None

    def flush(self) -> None:
        try:
            self._inner.flush()
        except OSError as exc:
            raise _failed(self._name, exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def write_text(path: str | Path, text: str) -> None:
    """Write `text` to `path` by `open_output` (atomically, 0600, never through a link)."""
    with open_output(path) as out:
        out.write(text)
