"""Flow triage: which org-independent flow a message's header fields give, and the fast path
that may answer it from the raw header bytes.

Owns the `Verdict` of one message before the organisation's domains are known: a consumer flow
(`to-consumer`, `from-consumer`, `consumer-to-consumer`), `non-consumer` (internal or
external-other, settled once the org domains are known) or `unknown` (no address at all), the
consumer addresses involved, and the non-consumer `From` domains that org inference counts.

There is one rule, `domains.classify` over the parsed sender and recipient fields
(`full_verdict`). `quick_verdict` is a verified shortcut for the common case, not a second
rule: it answers only when no domain anywhere in the header block is a consumer domain (so no
parsed address can be one) and the `From` field yields an address (so the flow is
non-consumer, not unknown); it parses those `From` values with the same address parser and
de-duplication as the full path. Anything it cannot prove (8-bit or control bytes, `@` beside
spaces or comments, `From :` spellings, no `From` address) makes it decline (None).
tests/test_triage.py holds the two equal on the samples, the real corpora and generated
headers. Never reads bodies and never decides the organisation's domains.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tracecheck.content import headers as hdr
from tracecheck.domains import ConsumerDomains, classify, registrable
from tracecheck.header_block import header_end, is_field_block
from tracecheck.model import Flow, MessageInfo, RawMessage

NON_CONSUMER = "non-consumer"
"""`MessageRef.flow` of a message with addresses and no consumer one (internal or
external-other once the organisation's domains are known)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The org-independent flow facts of one message."""

    flow: Flow
    """A consumer flow, `EXTERNAL_OTHER` standing for non-consumer, or `UNKNOWN`."""
    consumer_addresses: tuple[str, ...]
    """The consumer addresses on the message, sorted."""
    org_senders: tuple[str, ...]
    """Registrable domain of each non-consumer `From` address, in order (org inference)."""

    @property
    def name(self) -> str:
        """The flow as `MessageRef.flow` writes it: a consumer flow, `non-consumer` or
        `unknown`."""
        if self.flow.is_consumer or self.flow is Flow.UNKNOWN:
            return self.flow.value
        return NON_CONSUMER


def full_verdict(info: MessageInfo, consumer: ConsumerDomains) -> Verdict:
    """The verdict from a message's parsed header facts: the one rule."""
    # Without org domains, classify says external-other for every non-consumer mix.
    flow, involved = classify(info.senders, info.recipients, consumer, ())
    org = tuple(registrable(a.domain) for a in info.senders
                if a.field == "from" and not consumer.is_consumer(a.addr))
    return Verdict(flow, involved, org)


# The characters an address's domain may hold for the address parsers (headers._ADDR_TOKEN):
# the domain check below must see every domain either parser could find.
_DOMAIN_CHARS = rb"[^\s<>(),;:\"'\[\]@\\]"
_BLOCK_DOMAIN = re.compile(rb"@(" + _DOMAIN_CHARS + rb"+)")
# An `@` beside white space (`x @y`, `x@ y`) or before a comment (`x@gmail(c).com`): forms the
# address parsers may read differently. One search that starts only at an `@`.
_ODD_AT = re.compile(rb"@(?:(?<=[ \t\r\n]@)|[ \t\r\n]|" + _DOMAIN_CHARS + rb"*\()")
# Bytes a header block may hold here: printable ASCII, tab, CR and LF (no 8-bit, no control).
_PLAIN = bytes([9, 10, 13, *range(0x20, 0x7F)])
# `From:` fields, found in the lower-cased block after a line break (one is put in front).
_FROM_FIELD = re.compile(rb"\nfrom:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")


def quick_verdict(raw: RawMessage, consumer: ConsumerDomains,
                  seen: dict[bytes, bool]) -> Verdict | None:
    """The verdict of a non-consumer message from its raw header bytes, or None when it
    cannot be proved this way (the caller then parses the headers: `full_verdict`).

    `seen` caches consumer-or-not per raw domain across the messages of a shard."""
    if raw.parsed is not None:
        return None
    end = header_end(raw.raw)
    if end < 0:
        return None
    block = raw.raw[: end + 1]
    if (block.translate(None, _PLAIN) or _ODD_AT.search(block)
            or (b"\r" in block and block.count(b"\r") != block.count(b"\r\n"))
            or not is_field_block(block.decode("ascii"))):
        # 8-bit or control bytes, odd `@`s, a bare CR, or a line that is neither a field nor
        # a fold (such as `From :`): the stdlib would end the fields early, or read them
        # differently.
        return None
    for domain in _BLOCK_DOMAIN.findall(block):
        verdict = seen.get(domain)
        if verdict is None:
            verdict = seen[domain] = consumer.is_consumer_domain(domain.decode("ascii"))
        if verdict:
            return None
    # Every line is a field or a fold, so a line starting `from:` (any case) is a From field.
    values = tuple(block[m.start(1) - 1:m.end(1) - 1].decode("ascii").strip()
                   for m in _FROM_FIELD.finditer(b"\n" + block.lower()))
    return _from_verdict(values)


@functools.lru_cache(maxsize=4096)
def _from_verdict(values: tuple[str, ...]) -> Verdict | None:
    """The non-consumer verdict given by a message's `From` values (a pure function of them:
    most messages come from a few senders)."""
    senders = hdr.addresses_in((("from", v) for v in values), [])
    if not senders:
        return None  # unknown, or recipients only: the full path decides
    return Verdict(Flow.EXTERNAL_OTHER, (), tuple(registrable(a.domain) for a in senders))
