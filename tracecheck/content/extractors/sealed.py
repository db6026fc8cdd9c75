"""Encrypted files attached to mail (S/MIME `.p7m`, OpenPGP `.pgp`/`.gpg`/`.asc`).

Owns only the listing of such blobs as `encrypted: not scanned`. The test for ciphertext is
`tracecheck.content.encrypted`; this module applies it to attachments. Never decrypts.
"""

from __future__ import annotations

from collections.abc import Iterator

from tracecheck.content.encrypted import (
    PGP_ARMOR,
    PKCS7_TYPES,
    REASON_PGP,
    encrypted_reason,
    pkcs7_kind,
)
from tracecheck.content.extract import Context, Extracted, Member, register
from tracecheck.deps import Requirement
from tracecheck.model import Locator, SkipKind, Skipped

# libmagic names for binary OpenPGP packets (public-key/symmetric-key encrypted session keys).
PGP_MIMES = frozenset({"application/pgp-encrypted", "application/pgp", "application/x-pgp"})


def _binary_openpgp(head: bytes) -> bool:
    """An OpenPGP packet stream starting with a PKESK (tag 1) or SKESK (tag 3) packet."""
    if not head or not head[0] & 0x80:
        return False
    tag = (head[0] & 0x3F) if head[0] & 0x40 else (head[0] & 0x3C) >> 2
    return tag in (1, 3) and any(b in (3, 4, 5, 6) for b in head[2:4])


class SealedExtractor:
    """Ciphertext attachments."""

    name = "encrypted"
    requires: tuple[Requirement, ...] = ()

    def accepts(self, mime: str, head: bytes) -> bool:
        if mime in PGP_MIMES or mime in PKCS7_TYPES:
            return True
        if mime != "application/octet-stream":
            return False
        return _binary_openpgp(head) or (head[:1] == b"\x30" and pkcs7_kind(head) is not None)

    def extract(self, data: bytes, ctx: Context) -> Iterator[Extracted | Member | Skipped]:
        if PGP_ARMOR in data[:4096] or _binary_openpgp(data[:8]):
            yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED, reason=REASON_PGP)
            return
        reason = encrypted_reason("application/pkcs7-mime", data)
        if reason is None:
            yield Skipped(locator=Locator(), kind=SkipKind.NOT_EXTRACTED,
                          reason="not extracted: signed PKCS#7 data")
            return
        yield Skipped(locator=Locator(), kind=SkipKind.ENCRYPTED, reason=reason)


register(SealedExtractor())
