"""How the ICO report shows people's addresses and identifiers without spreading them.

Owns the masks: `j***@gmail.com` for a mailbox address, `943 *** ****` for an identifier.
With `reveal=True` the value passes through unchanged. Never decides *what* goes in a report.
"""

from __future__ import annotations


def mask_address(addr: str, reveal: bool = False) -> str:
    """`jane.doe@gmail.com` → `j***@gmail.com` (the domain stays: it is the finding)."""
    if reveal:
        return addr
    local, at, domain = addr.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}" if local else f"***@{domain}"


def mask_value(value: str, reveal: bool = False) -> str:
    """An identifier with all but its first three characters hidden: `943 *** ****`."""
    if reveal:
        return value
    digits = "".join(ch for ch in value if ch.isalnum())
    if len(digits) == 10:
        return f"{digits[:3]} *** ****"
    return f"{digits[:3]}***" if len(digits) > 3 else "***"
