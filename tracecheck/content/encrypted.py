"""Recognise encrypted mail bodies: S/MIME enveloped data and PGP (PGP/MIME and inline).

Owns the single question "is this MIME part ciphertext we cannot read?", answered from the
part's Content-Type (with its parameters) and its bytes. The MIME walker calls
`encrypted_reason` per part and lists such parts as skipped (kind `encrypted`), a count the ICO
report needs. Signed-only messages are readable and are not flagged. Never decrypts and never
looks for keys.
"""

from __future__ import annotations

import base64
import binascii
import email.message

# DER encodings of the CMS content-type OIDs, as they appear near the start of a PKCS#7 blob.
_OID_ENVELOPED = bytes.fromhex("06092a864886f70d010703")  # 1.2.840.113549.1.7.3
_OID_AUTH_ENVELOPED = bytes.fromhex("060b2a864886f70d0109100117")  # 1.2.840.113549.1.9.16.1.23
_OID_SIGNED = bytes.fromhex("06092a864886f70d010702")  # 1.2.840.113549.1.7.2
_OID_COMPRESSED = bytes.fromhex("060b2a864886f70d0109100109")  # 1.2.840.113549.1.9.16.1.9
PKCS7_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
PGP_ARMOR = b"-----BEGIN PGP MESSAGE-----"
REASON_SMIME = "encrypted: not scanned (S/MIME enveloped-data)"
REASON_PGP = "encrypted: not scanned (PGP)"
_HEAD = 64


def _params(content_type: str) -> tuple[str, email.message.Message]:
    msg = email.message.Message()
    msg["Content-Type"] = content_type or "text/plain"
    return msg.get_content_type(), msg


def _der_head(data: bytes) -> bytes:
    """The first bytes of a PKCS#7 blob, base64-decoding it first if it is still encoded."""
    head = data[:_HEAD]
    if head[:1] == b"\x30":
        return head
    text = b"".join(data[:4 * _HEAD].split())
    try:
        return base64.b64decode(text[: len(text) // 4 * 4], validate=False)[:_HEAD]
    except (binascii.Error, ValueError):
        return head


def pkcs7_kind(data: bytes) -> str | None:
    """CMS content type named by the OID near the start of a PKCS#7 blob (DER or base64)."""
    head = _der_head(data)
    if _OID_ENVELOPED in head or _OID_AUTH_ENVELOPED in head:
        return "enveloped-data"
    if _OID_SIGNED in head:
        return "signed-data"
    if _OID_COMPRESSED in head:
        return "compressed-data"
    return None


def encrypted_reason(content_type: str, data: bytes) -> str | None:
    """`encrypted: not scanned (...)` when this part is ciphertext, else None.

    `content_type` is the part's full Content-Type header value (parameters included);
    `data` is its body, transfer-decoded or not (both are recognised).
    """
    low = content_type.lower()
    if "encrypted" not in low and "pkcs7" not in low:  # none of the types below (cheap test)
        return REASON_PGP if data.find(PGP_ARMOR, 0, 1 << 20) >= 0 else None
    ctype, msg = _params(content_type)
    if ctype == "multipart/encrypted":
        protocol = str(msg.get_param("protocol") or "").lower()
        if "pgp" in protocol:
            return "encrypted: not scanned (PGP/MIME)"
        return f"encrypted: not scanned (multipart/encrypted {protocol or 'unknown protocol'})"
    if ctype == "application/pgp-encrypted":
        return "encrypted: not scanned (PGP/MIME)"
    if ctype in PKCS7_TYPES:
        smime = str(msg.get_param("smime-type") or "").lower()
        if smime in ("enveloped-data", "authenveloped-data"):
            return REASON_SMIME
        if smime in ("signed-data", "certs-only", "compressed-data"):
            return None
        kind = pkcs7_kind(data)
        if kind == "enveloped-data":
            return REASON_SMIME
        if kind is None:
            # No parameter and no recognisable structure: opaque PKCS#7 we cannot read.
            return "encrypted: not scanned (S/MIME, type unknown)"
        return None
    if data.find(PGP_ARMOR, 0, 1 << 20) >= 0:
        return REASON_PGP
    return None
