"""Small zip and tar archives made in the tests (members in the order given, fixed times)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Sequence


def make_zip(members: Sequence[tuple[str, bytes]],
             method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2021, 1, 11, 9, 30, 0))
            info.compress_type = method
            zf.writestr(info, data)
    return buf.getvalue()


def make_tar(members: Sequence[tuple[str, bytes]], *, gz: bool = False,
             links: Sequence[tuple[str, str]] = ()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1610357400
            tf.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    return buf.getvalue()
