"""Consumer mailbox domains and flow classification.

Owns the answer to "is this address a consumer mailbox?" (registrable domain via the public
suffix list snapshot bundled with tldextract — no network — then the versioned list in
rules/domains/consumer.yaml) and "which flow is this message?". Look-alike business domains
(gmail-services.co.uk) are not consumer because matching is on the registrable domain's
label, never on a substring. Never reads messages.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tracecheck.errors import ConfigError
from tracecheck.model import Address, Flow, OrgDomains
from tracecheck.shipped_rules import consumer_list_path
from tracecheck.yaml_reader import safe_load


@functools.cache
def _extractor() -> object:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=65536)
def split_domain(domain: str) -> tuple[str, str]:
    """(label, public suffix) of a domain's registrable part: `hotmail.co.uk` → (hotmail, co.uk)."""
    domain = domain.strip().rstrip(".").lower()
    result = _extractor()(domain)  # type: ignore[operator]
    return str(result.domain), str(result.suffix)


def registrable(domain: str) -> str:
    """Registrable domain (eTLD+1), or the domain itself when it has no public suffix."""
    label, suffix = split_domain(domain)
    if label and suffix:
        return f"{label}.{suffix}"
    return domain.strip().rstrip(".").lower()


@dataclass(frozen=True)
class ConsumerDomains:
    """A loaded consumer-domain list."""

    version: str
    domains: frozenset[str]
    families: frozenset[str]
    not_consumer: frozenset[str]
    allowed: frozenset[str] = frozenset()
    """Addresses never treated as consumer (the organisation's allowlist)."""

    @classmethod
    def load(cls, path: Path | str, extra: Iterable[str] = ()) -> ConsumerDomains:
        """Read a list file; `extra` adds domains (from the organisation config)."""
        try:
            data = safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read consumer-domain list ({exc})") from None
        if not isinstance(data, dict) or data.get("schema_version") != 1:
            raise ConfigError(f"{path}: not a consumer-domain list (schema_version 1)")
        domains = {str(d).lower().strip() for d in data.get("domains") or ()}
        domains.update(str(d).lower().strip() for d in extra)
        return cls(
            version=str(data.get("list_version", "")),
            domains=frozenset(domains),
            families=frozenset(str(f).lower() for f in data.get("families") or ()),
            not_consumer=frozenset(str(d).lower() for d in data.get("not_consumer") or ()),
        )

    @classmethod
    def load_default(cls, extra: Iterable[str] = ()) -> ConsumerDomains:
        """The shipped list plus `extra` domains (read once per process: the api and the
        scanner share the list, and the consumer look-ups cached for it)."""
        return _shipped(tuple(extra))

    def with_extra(self, extra: Iterable[str]) -> ConsumerDomains:
        """A copy with more consumer domains."""
        more = {d.lower().strip() for d in extra}
        return ConsumerDomains(self.version, self.domains | more, self.families,
                               self.not_consumer, self.allowed)

    def with_allowed(self, addresses: Iterable[str]) -> ConsumerDomains:
        """A copy that never treats `addresses` as consumer mailboxes."""
        allowed = {a.lower().strip() for a in addresses}
        if not allowed:
            return self
        return ConsumerDomains(self.version, self.domains, self.families, self.not_consumer,
                               self.allowed | allowed)

    def is_consumer_domain(self, domain: str) -> bool:
        """True when `domain` (any subdomain level) belongs to a consumer mailbox provider."""
        return _is_consumer(self, domain.strip().rstrip(".").lower())

    def is_consumer(self, address: str) -> bool:
        """True when an address (or bare domain) is at a consumer mailbox provider."""
        if self.allowed and address.lower() in self.allowed:
            return False
        return self.is_consumer_domain(address.rpartition("@")[2])


@functools.lru_cache(maxsize=65536)
def _is_consumer(lst: ConsumerDomains, domain: str) -> bool:
    if not domain:
        return False
    label, suffix = split_domain(domain)
    reg = f"{label}.{suffix}" if label and suffix else domain
    if reg in lst.not_consumer or suffix in lst.not_consumer or domain in lst.not_consumer:
        return False
    if any(domain.endswith("." + n) for n in lst.not_consumer):
        return False
    if reg in lst.domains or domain in lst.domains:
        return True
    return bool(suffix) and label in lst.families


@functools.lru_cache(maxsize=16)
def _shipped(extra: tuple[str, ...]) -> ConsumerDomains:
    return ConsumerDomains.load(consumer_list_path(), extra)


def in_org(domain: str, org: Iterable[str]) -> bool:
    """True when `domain` is one of the org domains or a subdomain of one."""
    domain = domain.lower()
    return any(domain == d or domain.endswith("." + d) for d in org)


def classify(
    senders: Iterable[Address],
    recipients: Iterable[Address],
    consumer: ConsumerDomains,
    org: Iterable[str],
) -> tuple[Flow, tuple[str, ...]]:
    """The message's flow and the consumer addresses involved (sorted, unique)."""
    org = tuple(org)
    s_addrs = [a.addr for a in senders]
    r_addrs = [a.addr for a in recipients]
    s_cons = [a for a in s_addrs if consumer.is_consumer(a)]
    r_cons = [a for a in r_addrs if consumer.is_consumer(a)]
    involved = tuple(sorted(set(s_cons) | set(r_cons)))
    if not s_addrs and not r_addrs:
        return Flow.UNKNOWN, ()
    if s_cons and r_cons:
        return Flow.CONSUMER_TO_CONSUMER, involved
    if r_cons:
        return Flow.TO_CONSUMER, involved
    if s_cons:
        return Flow.FROM_CONSUMER, involved
    return non_consumer_flow([a.rpartition("@")[2] for a in s_addrs + r_addrs], org), ()


def non_consumer_flow(domains: Iterable[str], org: Iterable[str]) -> Flow:
    """`internal` when every address domain is one of the org's, else `external-other` (for a
    message with addresses and no consumer one)."""
    org = tuple(org)
    domains = tuple(domains)
    if org and domains and all(in_org(d, org) for d in domains):
        return Flow.INTERNAL
    return Flow.EXTERNAL_OTHER


def infer_org(sender_domains: Counter[str], explicit: Iterable[str] = ()) -> OrgDomains:
    """Org domains: the explicit ones, or the most frequent non-consumer sender domains.

    Inference keeps the top domain and any other with at least half its count (ties and
    order broken by name), so one stray external sender never becomes "the organisation".
    """
    explicit = tuple(sorted({d.lower().strip() for d in explicit if d.strip()}))
    if explicit:
        return OrgDomains(domains=explicit, inferred=False)
    ranked = sorted(sender_domains.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked:
        return OrgDomains(domains=(), inferred=True)
    top = ranked[0][1]
    chosen = [(d, n) for d, n in ranked if n * 2 >= top]
    return OrgDomains(
        domains=tuple(sorted(d for d, _ in chosen)),
        inferred=True,
        evidence=tuple(ranked[:5]),
    )
