"""The matcher: runs compiled detectors over text units and yields masked `Match` records.

Owns the per-unit pipeline: keyword prefilter → pattern (regex module, under a timeout) →
allowlist → validators → required companions within N characters → context window →
confidence threshold → masking. A timeout on a hostile unit becomes a `Skipped` (kind
`timeout`), never a hang and never silence. Never sees message headers or flows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tracecheck.model import Match, Skipped, TextUnit
from tracecheck.rules import mask
from tracecheck.rules.pack import Detector, Pack
from tracecheck.rules.validators import REGISTRY, Verdict

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Hit:
    """A raw detector hit inside one string."""

    start: int
    end: int
    value: str
    confidence: float
    test_data: bool


def normalise(text: str, kind: str) -> str:
    """Digits only for identifiers; lower-case single-spaced words for phrases."""
    if kind == "digits":
        return "".join(ch for ch in text if ch.isdigit())
    return " ".join(text.lower().split())


def detector_hits(
    det: Detector, text: str, low: str, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Hit]:
    """Every hit of one detector in `text` (`low` is `text.lower()`, for the prefilter)."""
    if det.keywords and not any(k in low for k in det.keywords):
        return
    for m in det.pattern.finditer(text, timeout=timeout):
        start, end = m.span()
        if start == end:
            continue
        raw = m.group()
        if det.allow and any(a.fullmatch(raw) for a in det.allow):
            continue
        value = normalise(raw, det.value)
        test_data = False
        rejected = False
        for name in det.validators:
            verdict = REGISTRY[name](value)
            if verdict is Verdict.INVALID:
                rejected = True
                break
            if verdict is Verdict.TEST:
                test_data = True
        if rejected:
            continue
        if any(
            c.pattern.search(text, max(0, start - c.within), min(len(text), end + c.within),
                             timeout=timeout) is None
            for c in det.requires
        ):
            continue
        confidence = det.confidence
        ctx = det.context
        if ctx is not None:
            found = ctx.pattern.search(
                text, max(0, start - ctx.before), min(len(text), end + ctx.after), timeout=timeout
            )
            if found is None:
                if ctx.required:
                    continue
                confidence = det.confidence_without_context
        yield Hit(start, end, value, confidence, test_data)


class Matcher:
    """All enabled detectors of a set of packs, with one confidence threshold."""

    def __init__(
        self,
        packs: Iterable[Pack],
        *,
        min_confidence: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        disabled: Iterable[str] = (),
    ) -> None:
        self.packs = tuple(packs)
        off = set(disabled)
        for pack in self.packs:
            off.update(pack.disabled)
        self.detectors = tuple(d for p in self.packs for d in p.detectors if d.id not in off)
        if min_confidence is None:
            min_confidence = min((p.min_confidence for p in self.packs), default=0.5)
        self.min_confidence = min_confidence
        self.timeout = timeout

    def scan(self, unit: TextUnit) -> tuple[list[Match], list[Skipped]]:
        """Matches in one unit (document order, then detector order) and any timeouts."""
        text = unit.text
        if not text:
            return [], []
        low = text.lower()
        found: list[tuple[Detector, Hit]] = []
        skips: list[Skipped] = []
        for det in self.detectors:
            try:
                for hit in detector_hits(det, text, low, self.timeout):
                    if hit.confidence >= self.min_confidence:
                        found.append((det, hit))
            except TimeoutError:
                skips.append(
                    Skipped(
                        locator=unit.where,
                        part=unit.part,
                        kind="timeout",
                        reason=f"timeout: detector {det.id} exceeded {self.timeout:g}s",
                    )
                )
        if not found:
            return [], skips
        found.sort(key=lambda dh: (dh[1].start, dh[1].end, dh[0].id))
        masked = mask.masked_text(text, [(h.start, h.end, d.value) for d, h in found])
        matches = [
            Match(
                rule=d.id,
                category=d.category,
                severity=d.severity,
                part=unit.part,
                where=unit.where,
                start=h.start,
                end=h.end,
                value=h.value,
                evidence=mask.evidence(masked, h.start, h.end),
                confidence=round(h.confidence, 3),
                test_data=h.test_data,
                pack=d.pack,
            )
            for d, h in found
        ]
        return matches, skips
