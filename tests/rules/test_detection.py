"""Detection that holds up on real mail: identifiers, context, boilerplate, quotes, bulk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import eml, mbox_of
from tracecheck import api
from tracecheck.model import TextUnit
from tracecheck.rules.boilerplate import regions
from tracecheck.rules.matcher import Matcher
from tracecheck.rules.pack import load_packs
from tracecheck.shipped_rules import default_pack_paths

MATCHER = Matcher(load_packs(default_pack_paths()))


def rules_in(text: str, **kw: object) -> list[str]:
    matches, _ = MATCHER.scan(TextUnit(part="1", where="body", text=text), **kw)  # type: ignore[arg-type]
    return [m.rule for m in matches]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS number 401 023 2137, PCR positive", ["nhs-number", "covid-test-result"]),
        # Presidio's trap: a checksum-valid number with no context is not reported.
        ("Reference 4010232137 was mentioned in the meeting", []),
        ("NHS Supply Chain - Order no: 4010232137", []),
        ("NHS helpline Tel: 401 023 2137", []),
        ("NHS portal https://portal.example/cases?id=4010232137", []),
        ("IBAN GB29NWBK4010232137 for the NHS trust", []),
        ("NHS no 4010232137 DOB 01/02/1980", ["nhs-number"]),
        ("Patient CHI 0101801238, swab positive", ["chi-number", "covid-test-result"]),
        ("H&C 320 000 1232 - patient", ["hc-number"]),
    ],
)
def test_identifiers_in_context(text: str, expected: list[str]) -> None:
    assert rules_in(text) == expected


def test_999_range_is_test_data() -> None:
    matches, _ = MATCHER.scan(TextUnit(part="1", where="body",
                                       text="Training: NHS number 999 123 4578"))
    assert [(m.rule, m.test_data) for m in matches] == [("nhs-number", True)]


def test_bare_number_is_reported_only_below_the_default_threshold() -> None:
    low = Matcher(load_packs(default_pack_paths()), min_confidence=0.2)
    matches, _ = low.scan(TextUnit(part="1", where="body", text="number 4010232137 here"))
    assert [(m.rule, m.confidence) for m in matches] == [("nhs-number", 0.3)]


def test_signature_and_disclaimer_never_count() -> None:
    text = (
        "Hi Jo, the rota is attached.\n\nKind regards,\nSam Patel\nCall Handler | NHS Test and "
        "Trace\nOrder line 4010232137\n"
    )
    assert rules_in(text) == []
    disclaimer = (
        "See you Monday.\n\nThis email and any attachments are confidential. If you are not the "
        "intended recipient please tell the NHS trust; patient results are never sent by email "
        "- PCR positive cases are phoned.\n"
    )
    assert rules_in(disclaimer) == []


def test_quoted_text_is_marked() -> None:
    text = "Thanks, noted.\n\nOn Mon, 11 Jan 2021, Sam wrote:\n> NHS no 401 023 2137 PCR positive\n"
    matches, _ = MATCHER.scan(TextUnit(part="1", where="body", text=text))
    assert matches and all(m.quoted for m in matches)
    r = regions(text)
    assert r.quoted and not r.boilerplate


def test_bulk_mail_runs_identifier_detectors_only() -> None:
    text = "She tested positive on a PCR swab; NHS no 401 023 2137"
    assert rules_in(text, bulk=True) == ["nhs-number"]
    assert sorted(rules_in(text)) == ["covid-test-result", "nhs-number"]


LEAK = eml(to="jo@gmail.com", msgid="<a@tracecall.co.uk>",
           body="NHS no 401 023 2137, PCR came back positive.")
REPLY = eml(to="jo@gmail.com", msgid="<b@tracecall.co.uk>",
            body="Did you log it?\n\nOn Mon, 11 Jan 2021, Sam wrote:\n> NHS no 401 023 2137, "
                 "PCR came back positive.\n")
FORWARD_NEW = eml(to="other@hotmail.com", msgid="<c@tracecall.co.uk>",
                  body="FYI\n\nOn Mon, 11 Jan 2021, Sam wrote:\n> NHS no 401 023 2137, PCR came "
                       "back positive.\n")


def test_quotes_already_counted_are_dropped_but_new_recipients_are_kept(tmp_path: Path) -> None:
    box = tmp_path / "t.mbox"
    box.write_bytes(mbox_of(LEAK, REPLY, FORWARD_NEW))
    result = api.scan([str(box)])
    by_msg = {f.message_id for f in result.findings}
    assert by_msg == {"<a@tracecall.co.uk>", "<c@tracecall.co.uk>"}
    assert any(n.kind == "suppressed" and "already counted" in n.reason for n in result.notes)


def test_case_reference_and_allowlist_from_config(tmp_path: Path) -> None:
    msg = eml(to="jo@gmail.com", body="Case TC-482913 rang back about the rota.")
    staff = eml(to="sam.personal@gmail.com", msgid="<s@tracecall.co.uk>",
                body="NHS no 401 023 2137, PCR came back positive.")
    box = tmp_path / "t.mbox"
    box.write_bytes(mbox_of(msg, staff))
    plain = api.scan([str(box)])
    assert {f.rule for f in plain.findings} == {"nhs-number", "covid-test-result"}
    opts = api.ScanOptions(case_reference=r"\bTC-\d{6}\b",
                           allow_addresses=("sam.personal@gmail.com",))
    result = api.scan([str(box)], opts)
    assert [(f.rule, f.flow.value) for f in result.findings] == [("case-reference", "to-consumer")]


def test_user_pack_extends_and_disables(tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(
        "schema_version: 1\npack: {id: mine, version: '1'}\nextends: default\n"
        "disable: [symptom]\nconsumer_domains: [isp.example.co.uk]\n"
        "detectors:\n  - id: ward-code\n    category: other\n    severity: low\n"
        "    description: ward codes\n    pattern: '\\bWARD-\\d{3}\\b'\n"
        "    examples: {match: ['WARD-123'], no_match: ['WARD-12']}\n"
    )
    packs = api.resolve_packs([str(pack)])
    assert [p.id for p in packs] == ["uk-health", "mine"]
    m = Matcher(packs)
    found, _ = m.scan(TextUnit(part="1", where="body",
                               text="She has a cough. WARD-123. NHS no 401 023 2137"))
    assert sorted(x.rule for x in found) == ["nhs-number", "ward-code"]


def test_a_regex_timeout_is_reported_not_hung_or_silent() -> None:
    slow = Matcher(load_packs(default_pack_paths()), timeout=1e-6)
    text = ("NHS no 401 023 2137 PCR positive; she has a cough. " * 20000)
    matches, skips = slow.scan(TextUnit(part="1", where="body", text=text))
    assert skips and all(s.kind == "timeout" and "exceeded" in s.reason for s in skips)
    assert {s.reason.split()[2] for s in skips} <= {d.id for d in slow.detectors}
