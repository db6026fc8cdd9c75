"""The matcher keeps one record per part, rule and value (`rules.tally`): the same findings as
keeping every hit and grouping them, within the findings limits.

The fast path (records kept as hits come, evidence masked from the few hits near each first
hit) is held to the slow one it replaced (every hit kept, the whole text masked, the hits
grouped as `findings.findings_for` groups them) on the samples, the shared corpora and
generated texts dense with values. The limits are held to what they promise: what they keep,
what they count, the entries that say so, and evidence that never shows a value unmasked.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES, corpus, raw_messages
from tests.hostile_gen import dense_text, patient_rows
from tests.rules.test_literals import _units
from tracecheck.model import ExtractLimits, Locator, SkipKind, TextUnit
from tracecheck.rules import mask, matcher
from tracecheck.rules.matcher import Matcher, Text, detector_hits
from tracecheck.rules.pack import load_packs
from tracecheck.rules.tally import Tally
from tracecheck.shipped_rules import default_pack_paths

SHIPPED = Matcher(load_packs(default_pack_paths()))

Row = tuple[str, str, str, int, int, str, float, bool, bool, int, tuple[str, ...]]


def _every_hit_grouped(m: Matcher, unit: TextUnit) -> list[Row]:
    """The matcher before the tally: every hit kept, sorted, the whole text masked, the
    evidence cut from it; then grouped by rule and value (first hit's place, where and
    evidence, highest confidence, quoted only when every hit is, the number of hits)."""
    t = Text(unit.text)
    every = [(d, h) for d in m.detectors for h in detector_hits(d, t, timeout=m.timeout)]
    found = [(d, h) for d, h in every if h.confidence >= m.min_confidence]
    # Identifiers vouched for by a roster header or a health statement (the matcher's own
    # rule, `Matcher._vouched`), from every hit of the unit.
    pending = [(d, h) for d, h in every if h.confidence < m.min_confidence
               and d.value == "digits" and not h.context]
    statements = [(h.start, h.end) for d, h in found if d.value != "digits"]
    identified = {d.id for d, h in found if d.value == "digits" and h.context}
    found += list(m._vouched(pending, statements, identified))
    found.sort(key=lambda dh: (dh[1].start, dh[1].end, dh[0].id))
    masked = mask.masked_text(unit.text, [(h.start, h.end, d.value) for d, h in found])
    groups: dict[tuple[str, str], list[Row]] = {}
    for d, h in found:
        groups.setdefault((d.id, h.value), []).append(
            (d.id, h.value, unit.where, h.start, h.end, mask.evidence(masked, h.start, h.end),
             h.confidence, h.test_data, h.quoted, 1, h.why))
    # the place and evidence of the first hit; the reasons of the first most confident one
    return [(*g[0][:6], round(max(r[6] for r in g), 3), g[0][7], all(r[8] for r in g), len(g),
             max(g, key=lambda r: r[6])[10])
            for g in groups.values()]


def _kept(m: Matcher, unit: TextUnit) -> list[Row]:
    found, skips = m.scan(unit)
    assert skips == []
    return [(x.rule, x.value, x.where, x.start, x.end, x.evidence, x.confidence, x.test_data,
             x.quoted, x.occurrences, x.reasons) for x in found]


def _real_units() -> Iterator[TextUnit]:
    yield from _units(raw_messages(SAMPLES))
    yield from _units(raw_messages(corpus()))


def test_the_tally_keeps_what_grouping_every_hit_gives_on_real_mail() -> None:
    compared = hits = 0
    for unit in _real_units():
        want = _every_hit_grouped(SHIPPED, unit)
        assert _kept(SHIPPED, unit) == want, unit.where
        compared += 1
        hits += sum(r[9] for r in want)
    assert compared > 500 and hits > 300


def test_the_tally_keeps_what_grouping_every_hit_gives_on_dense_text() -> None:
    for text in (dense_text(40_000), dense_text(40_000, cycle=7), patient_rows(40_000).decode(),
                 "PCR positive, NHS 401 023 2137. " * 300):
        unit = TextUnit(part="2", where="attachment:x.csv", text=text if isinstance(text, str)
                        else text.decode())
        want = _every_hit_grouped(SHIPPED, unit)
        assert _kept(SHIPPED, unit) == want
        assert sum(r[9] for r in want) > len(want) or len(want) > 100


@pytest.mark.parametrize("block", [1, 97, 1 << 15, 1 << 30])
def test_evidence_masked_a_block_at_a_time_is_the_whole_text_masked(
        block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """`matcher._Evidence` masks a unit a block at a time: from a block no wider than one
    record's window to the whole text, the evidence is what masking the whole text gives."""
    monkeypatch.setattr(matcher, "EVIDENCE_BLOCK", block)
    units = list(itertools.islice(_units(raw_messages(SAMPLES)), 400))
    units += [TextUnit(part="2", where="attachment:x.csv", text=text) for text in (
        dense_text(8_000).decode(), patient_rows(8_000).decode(),
        "PCR positive, NHS 401 023 2137, 943 476 5919. " * 40)]
    hits = 0
    for unit in units:
        want = _every_hit_grouped(SHIPPED, unit)
        assert _kept(SHIPPED, unit) == want, unit.where
        hits += len(want)
    assert hits > 300


def test_a_value_vouched_for_before_its_identified_hit_keeps_its_first_place() -> None:
    """Found by the generated-text test: hits vouched for by a health statement are taken
    after every detector has run, so the record of a value first met its later identified
    hit and kept that place; its first hit in the text is the one it names."""
    words = ["401 023 2137"] * 5 + ["cough"] + ["401 023 2137"] * 2 + ["patient"]
    unit = TextUnit(part="1", where="body", text=" ".join(words))
    kept = _kept(SHIPPED, unit)
    assert kept == _every_hit_grouped(SHIPPED, unit)
    assert (kept[0][3], kept[0][4]) == (0, 12)


_WORDS = ["NHS", "401 023 2137", "4010232137", "943 476 5919", "PCR", "positive", "negative",
          "tested", "LFD", "cough", "fever", "patient", "she", "> ", "\n", " ", ",", "-",
          "asthma", "admitted to hospital", "pregnant", "Tel:", "order", "999 123 4578"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=80))
def test_the_tally_keeps_what_grouping_every_hit_gives_on_generated_text(words: list[str]
                                                                         ) -> None:
    unit = TextUnit(part="1", where="body", text=" ".join(words))
    assert _kept(SHIPPED, unit) == _every_hit_grouped(SHIPPED, unit)


def _tally(limits: ExtractLimits, *texts: tuple[str, str]) -> Tally:
    tally = Tally(limits)
    for part, text in texts:
        SHIPPED.scan_into(TextUnit(part=part, where=f"attachment:{part}.csv", text=text), tally)
    return tally


def test_a_part_keeps_its_first_values_and_counts_the_rest() -> None:
    rows = dense_text(26 * 50).decode()  # 50 distinct NHS numbers, each with context
    lim = ExtractLimits(max_findings_per_part=10, max_findings=15)
    tally = _tally(lim, ("2", rows), ("3", rows), ("4", rows))
    found = tally.matches()
    # part 2 keeps its first 10 values, part 3 the first 5: then the message is full
    assert [m.part for m in found] == ["2"] * 10 + ["3"] * 5
    assert [m.value for m in found[:10]] == [m.value for m in SHIPPED.scan(
        TextUnit(part="2", where="x", text=rows))[0][:10]]
    assert tally.hits == 150
    message = Locator(path="box.mbox", offset=0)
    entries = tally.limits_reached(message)
    assert all(e.kind is SkipKind.LIMIT and e.locator == message for e in entries)
    assert [(e.part, e.reason) for e in entries] == [
        ("2", "limit: more than 10 distinct findings in this part (max_findings_per_part): "
              "40 hits of further values (nhs-number 40) counted, not listed"),
        ("*", "limit: more than 15 distinct findings in this message "
              "(max_findings_per_message): 95 hits of further values (nhs-number 95) counted, "
              "not listed")]


def test_values_kept_count_every_occurrence_after_the_limit() -> None:
    cycle = dense_text(26 * 4 * 30, cycle=4).decode()  # 4 values, 30 times each
    tally = _tally(ExtractLimits(max_findings_per_part=2), ("2", cycle))
    assert [m.occurrences for m in tally.matches()] == [30, 30]
    assert "60 hits of further values" in tally.limits_reached(Locator(path="m.eml"))[0].reason


def test_the_detectors_stop_after_max_matches_and_say_so() -> None:
    text = "Her PCR came back positive. NHS 401 023 2137, cough and fever. " * 20
    tally = _tally(ExtractLimits(max_matches=7), ("1", text), ("2", text))
    assert tally.hits == 7 and tally.stopped
    (entry,) = tally.limits_reached(Locator(path="m.eml"))
    assert entry.reason.startswith("limit: the detectors stopped after 7 hits in this message")
    # no evidence shows a value, even from detectors that never ran on the text
    for m in tally.matches():
        for value in ("positive", "cough", "fever", "2137", "023"):
            assert value not in m.evidence, m


def test_limits_at_their_defaults_change_nothing_on_a_large_patient_list() -> None:
    rows = patient_rows(300_000).decode()
    unit = TextUnit(part="2", where="attachment:patients.csv", text=rows)
    tally = Tally(ExtractLimits())
    SHIPPED.scan_into(unit, tally)
    assert tally.limits_reached(Locator(path="m.eml")) == []
    found = tally.matches()
    assert [dataclasses.astuple(m) for m in found] == [
        dataclasses.astuple(m) for m in SHIPPED.scan(unit)[0]]
    assert tally.matches() == []  # handed over once
    assert len({m.value for m in found if m.rule == "nhs-number"}) == len(
        list(itertools.islice(rows.splitlines(), 1, None)))


REPLAYED: list[bool] = []


def _scanned(units: list[TextUnit], limits: ExtractLimits, *, replay: bool
             ) -> tuple[list[tuple[object, ...]], list[str], int]:
    tally = Tally(limits)
    real = tally.replay

    def counted(unit: TextUnit, digest: bytes) -> bool:
        REPLAYED.append(real(unit, digest) if replay else False)
        return REPLAYED[-1]

    tally.replay = counted  # type: ignore[method-assign]
    for unit in units:
        SHIPPED.scan_into(unit, tally)
    entries = [e.reason for e in tally.limits_reached(Locator(path="m.eml"))]
    return [dataclasses.astuple(m) for m in tally.matches()], entries, tally.hits


def test_a_repeated_text_adds_what_scanning_it_again_adds() -> None:
    """The same text again in the same part (fifty copies of one zip member) is not scanned
    again: what it added is added again, which changes nothing but the time."""
    member = dense_text(30_000, cycle=9).decode() + " her PCR came back positive\n"
    other = dense_text(20_000, first=402_000_000).decode()
    units = [TextUnit(part="2", where=f"attachment:cases.zip/zip:{i}.txt", text=text)
             for i, text in enumerate([member, member, other, member, other, member])]
    units.append(TextUnit(part="3", where="attachment:again.txt", text=member))
    for limits in (ExtractLimits(), ExtractLimits(max_findings_per_part=12, max_findings=20),
                   ExtractLimits(max_matches=4000)):
        REPLAYED.clear()
        fast = _scanned(units, limits, replay=True)
        assert sum(REPLAYED) >= 3 or limits.max_matches == 4000  # not vacuous
        assert fast == _scanned(units, limits, replay=False)
        assert fast[2] > 2000
