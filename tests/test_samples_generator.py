"""The labelled sample corpus: committed output matches the generator, and the labels are true.

These tests read the generated files with the standard library only (no tracecheck code), so a
wrong label cannot hide behind a scanner bug: every label's message exists, its flow follows from
its address headers, the identifiers it carries pass or fail their checks (NHS mod-11 and issued
ranges, the 999 test range, CHI dates with mod-11 or mod-10, H&C ranges) as its shape says, and
every hard negative really carries its trap (checked with checks written here, independently of
the generator).
"""

from __future__ import annotations

import gzip
import html
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
GENERATOR = SAMPLES / "generate.py"
NOT_OUTPUT = {"generate.py", ".gitattributes"}

CONSUMER = {"gmail.com", "googlemail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk",
            "icloud.com", "btinternet.com", "sky.com", "live.co.uk", "aol.com", "protonmail.com"}
RULES = {"nhs-number", "chi-number", "hc-number", "covid-test-result", "covid-case-status",
         "symptom", "condition", "medication", "admission", "pregnancy", "disability",
         "vaccination"}
FLOWS = {"to-consumer", "from-consumer", "consumer-to-consumer", "internal", "external-other"}
CONSUMER_FLOWS = {"to-consumer", "from-consumer", "consumer-to-consumer"}
HARD_NEGATIVES = {"positive-feedback", "test-the-build", "mod11-fail-reference",
                  "phone-signature", "order-number-mod11-pass", "nhs-newsletter-footer",
                  "placeholder-nhs-number", "meeting-invite", "invoice-number-nhs-signature",
                  "url-iban-number", "tel-number-mod11", "bare-mod11-number", "newsletter-bulk",
                  "you-advice-generic", "awareness-week-generic", "lab-business-positive",
                  "reply-quote-only", "signature-context-only"}
# Negatives that carry a checksum-valid number in the NHS issued ranges on purpose.
NUMBER_TRAPS = {"order-number-mod11-pass", "invoice-number-nhs-signature", "url-iban-number",
                "tel-number-mod11", "bare-mod11-number", "reply-quote-only", "reply-quote-adds",
                "signature-context-only", "forward-quote-new-recipient"}
PRONOUN = re.compile(r"\b(?:he|she|his|her|him|they|their)\b", re.IGNORECASE)

SEPARATOR = re.compile(rb"From \S+ [^\n]*\d\d:\d\d:\d\d[^\n]*\d{4}\r?\n")
TEN_DIGITS = re.compile(r"(?<![\d])(\d{3})([ .\xa0-]?)(\d{3})\2(\d{4})(?![\d])")
ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
RECIPIENT_FIELDS = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc", "Delivered-To",
                    "X-Original-To")


def mod11_ok(ten: str) -> bool:
    """The NHS check, written independently of the generator."""
    total = sum(int(ten[i]) * (10 - i) for i in range(9))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(ten[9])


def generate(out: Path, *args: str) -> dict[str, object]:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), *args], check=True,
                   capture_output=True)
    return json.loads((out / "labels.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    generate(out)
    return out


@pytest.fixture(scope="module")
def labels(fresh: Path) -> list[dict[str, object]]:
    doc = json.loads((fresh / "labels.json").read_text(encoding="utf-8"))
    return doc["messages"]  # type: ignore[no-any-return]


def split_mbox(data: bytes) -> list[bytes]:
    """Messages of an mbox: a separator line only at the start or after a blank line; mboxrd
    quoting undone."""
    messages: list[list[bytes]] = []
    previous = b"\n"
    for line in data.splitlines(keepends=True):
        if previous in (b"\n", b"\r\n") and SEPARATOR.fullmatch(line):
            messages.append([])
        elif messages:
            messages[-1].append(line)
        else:
            raise AssertionError("mbox does not start with a separator line")
        previous = line
    out = []
    for lines in messages:
        raw = b"".join(lines)
        raw = raw[:-1] if raw.endswith(b"\n\n") else raw
        out.append(re.sub(rb"(?m)^>(>*From )", rb"\1", raw))
    return out


def messages_in(root: Path, rel: str) -> list[bytes]:
    data = (root / rel).read_bytes()
    if rel.endswith(".gz"):
        return split_mbox(gzip.decompress(data))
    if rel.endswith(".mbox"):
        return split_mbox(data)
    return [data]


def parse(raw: bytes) -> Message:
    return message_from_bytes(raw)


def header_text(msg: Message, name: str) -> str:
    value = msg.get(name)
    return "" if value is None else str(make_header(decode_header(str(value))))


def decoded_text(msg: Message) -> str:
    """Subject plus every leaf part, transfer-decoded and charset-decoded."""
    chunks = [header_text(msg, "Subject")]
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
            chunks.append(html.unescape(text) if part.get_content_type() == "text/html" else text)
    return "\n".join(chunks)


def numbers(text: str) -> list[str]:
    return ["".join((m[1], m[3], m[4])) for m in TEN_DIGITS.finditer(text)]


def issued(ten: str) -> bool:
    """First nine digits in the England/Wales issued ranges."""
    return 400_000_000 <= int(ten[:9]) <= 499_999_999 or 600_000_000 <= int(ten[:9]) <= 799_999_999


def mod10_ok(ten: str) -> bool:
    """Luhn over all ten digits (the CHI Modulus 10 variant)."""
    total = 0
    for i, ch in enumerate(reversed(ten)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def real_ddmmyy(ten: str) -> bool:
    try:
        date(2000 + int(ten[4:6]), int(ten[2:4]), int(ten[0:2]))
    except ValueError:
        return False
    return True


def iban_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check on a compact IBAN."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def body_text(msg: Message) -> str:
    """Every leaf part decoded, without the subject, with LF line endings."""
    return decoded_text(msg).split("\n", 1)[1].replace("\r\n", "\n")


def labelled(root: Path, labels: list[dict[str, object]]) -> Iterator[tuple[dict[str, object],
                                                                           Message]]:
    """Each label with its parsed message, found by Message-ID in the label's file."""
    cache: dict[str, dict[str, Message]] = {}
    for label in labels:
        rel = str(label["file"])
        if rel not in cache:
            parsed = [parse(raw) for raw in messages_in(root, rel)]
            cache[rel] = {str(m["Message-ID"]).strip(): m for m in parsed}
        yield label, cache[rel][str(label["message_id"])]


def flow_from_headers(msg: Message) -> str:
    """Flow from every address-looking token in the sender and recipient headers."""

    def kinds(fields: tuple[str, ...]) -> set[str]:
        found = set()
        for name in fields:
            for value in msg.get_all(name) or []:
                for domain in ADDRESS.findall(str(value)):
                    domain = domain.lower()
                    found.add("consumer" if domain in CONSUMER else
                              "org" if domain == "tracecall.co.uk" else "other")
        return found

    senders, rcpts = kinds(("From", "Sender")), kinds(RECIPIENT_FIELDS)
    if "consumer" in senders:
        return "consumer-to-consumer" if "consumer" in rcpts else "from-consumer"
    if "consumer" in rcpts:
        return "to-consumer"
    return "internal" if senders | rcpts == {"org"} else "external-other"


def test_committed_samples_match_a_fresh_run(fresh: Path) -> None:
    made = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
    committed = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*")
                 if p.is_file() and p.name not in NOT_OUTPUT and "__pycache__" not in p.parts}
    hint = "samples/ is stale: run `python samples/generate.py` and commit the result"
    assert made == committed, hint
    drifted = [rel for rel in sorted(made)
               if (fresh / rel).read_bytes() != (SAMPLES / rel).read_bytes()]
    assert drifted == [], hint


def test_labels_document_is_well_formed(fresh: Path, labels: list[dict[str, object]]) -> None:
    doc = json.loads((fresh / "labels.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == 2
    assert doc["org_domains"] == ["tracecall.co.uk"]
    assert 150 <= len(labels) <= 220
    ids = [label["message_id"] for label in labels]
    assert len(ids) == len(set(ids))
    for label in labels:
        rules = label["rules"]
        assert isinstance(rules, list) and rules == sorted(set(rules)) and set(rules) <= RULES
        assert label["flow"] in FLOWS
        assert isinstance(label["test_data"], bool) and isinstance(label["variant"], int)
        assert label["positive"] == (bool(rules) and label["flow"] in CONSUMER_FLOWS
                                     and not label["test_data"]), label
        if label["test_data"]:
            assert rules == ["nhs-number"] and label["flow"] in CONSUMER_FLOWS, label
    assert doc["skipped"] == [{"file": "eml/misc/scan-notes.bin", "kind": "unsupported"}]


def test_every_message_has_exactly_one_true_label(fresh: Path,
                                                   labels: list[dict[str, object]]) -> None:
    per_file = Counter(str(label["file"]) for label in labels)
    for rel, count in per_file.items():
        found = messages_in(fresh, rel)
        assert len(found) == count, f"{rel}: {len(found)} messages, {count} labels"
    for label, msg in labelled(fresh, labels):
        assert flow_from_headers(msg) == label["flow"], label
        assert msg["MIME-Version"] == "1.0" and msg["Content-Type"], label
        assert [p.defects for p in msg.walk() if p.defects] == [], label
        date = parsedate_to_datetime(str(msg["Date"]))
        assert (date.year, date.month) in {(2021, 1), (2021, 2), (2021, 3)}, label


def test_identifiers_pass_their_checks(fresh: Path, labels: list[dict[str, object]]) -> None:
    checked: Counter[str] = Counter()
    for label, msg in labelled(fresh, labels):
        text, rules, shape = decoded_text(msg), label["rules"], str(label["shape"])
        found = numbers(text)
        assert isinstance(rules, list)
        if label["test_data"]:
            assert found and all(t.startswith("999") and mod11_ok(t) for t in found), label
            checked["test-range"] += len(found)
        elif "nhs-number" in rules:
            assert found, label
            for ten in found:
                assert mod11_ok(ten) and len(set(ten)) > 2 and issued(ten), (label, ten)
            checked["nhs"] += len(found)
        elif "hc-number" in rules:
            assert found, label
            assert all(mod11_ok(t) and 320_000_001 <= int(t[:9]) <= 399_999_999
                       for t in found), label
            checked["hc"] += len(found)
        elif "chi-number" in rules:
            chis = re.findall(r"CHI(?: no)?:? (\d{6})[ -]?(\d{4})\b", text)
            assert len(chis) == 2, label
            for ten in ("".join(c) for c in chis):
                assert real_ddmmyy(ten) and (mod11_ok(ten) or mod10_ok(ten)), (label, ten)
                assert not issued(ten), (label, ten)
                checked["chi-mod11" if mod11_ok(ten) else "chi-mod10"] += 1
        elif shape not in NUMBER_TRAPS | {"placeholder-nhs-number"}:
            assert not any(mod11_ok(t) and issued(t) for t in found), label
    assert checked["nhs"] >= 60 and checked["test-range"] >= 8 and checked["hc"] >= 4
    assert checked["chi-mod11"] >= 2 and checked["chi-mod10"] >= 2


def test_hard_negatives_carry_their_traps(fresh: Path, labels: list[dict[str, object]]) -> None:
    seen: Counter[str] = Counter()
    for label, msg in labelled(fresh, labels):
        shape, text = str(label["shape"]), decoded_text(msg)
        if shape not in HARD_NEGATIVES:
            continue
        assert label["rules"] == [] and not label["positive"], label
        seen[shape] += 1
        found = numbers(text)
        if shape == "mod11-fail-reference":
            assert len(found) == 2 and not any(mod11_ok(t) for t in found), label
        elif shape == "order-number-mod11-pass":
            assert len(found) >= 1 and all(mod11_ok(t) for t in found), label
            assert re.search(r"[Oo]rder number \d{10}\b", text)
        elif shape == "placeholder-nhs-number":
            assert re.search(r"NHS number: (\d)\1{9} \(unknown\)", text), label
        elif shape == "phone-signature":
            phones = re.findall(r"0161 496 0\d{3}|07700 900\d{3}|\+44 20 7946 0\d{3}", text)
            assert len(phones) == 3, label
            tails = [re.sub(r"\D", "", p).removeprefix("44").lstrip("0") for p in phones]
            assert all(len(t) == 10 and mod11_ok(t) for t in tails), label
        elif shape == "positive-feedback":
            assert "positive feedback" in text
        elif shape == "test-the-build":
            assert "test the build" in text and "results are positive overall" in text
        elif shape == "nhs-newsletter-footer":
            assert "NHS Test and Trace" in text and not found
        elif shape == "meeting-invite":
            assert "test" in text and "results" in text
        elif shape == "invoice-number-nhs-signature":
            body = body_text(msg)
            labelled_numbers = re.findall(
                r"(?:Invoice no\.|Order no:|Account|Invoice number) (\d{3}[ -]?\d{3}[ -]?\d{4})\b",
                body)
            assert len(labelled_numbers) == 1, label
            ten = re.sub(r"\D", "", labelled_numbers[0])
            assert mod11_ok(ten) and issued(ten), label
            sig = body.split("\n-- \n", 1)
            assert len(sig) == 2 and "NHS" in sig[1] and "NHS" not in sig[0], label
            assert "This email and any attachments are confidential" in sig[1], label
        elif shape == "url-iban-number":
            url = re.search(r"https://\S*?(\d{10})\S*", text)
            assert url and mod11_ok(url[1]) and issued(url[1]), label
            iban = re.search(r"IBAN (GB[0-9A-Z ]+?)\.?\n", text)
            assert iban, label
            compact = iban[1].replace(" ", "")
            assert iban_ok(compact) and len(compact) == 22, label
            assert mod11_ok(compact[8:18]) and issued(compact[8:18]), label
        elif shape == "tel-number-mod11":
            phones = re.findall(r"(Tel|Phone|Mobile|Fax): (\d{3})[ .-](\d{3})[ .-](\d{4})\n", text)
            assert len(phones) == 2, label
            assert all(mod11_ok("".join(p[1:])) and issued("".join(p[1:])) for p in phones)
        elif shape == "bare-mod11-number":
            body = body_text(msg)
            assert len(found) == 1 and mod11_ok(found[0]) and issued(found[0]), label
            assert not re.search(r"nhs|patient|dob|case|born|test|result", body, re.I), label
        elif shape == "signature-context-only":
            body = body_text(msg)
            head, _, sig = body.partition("\nKind regards,\n")
            assert len(found) == 1 and mod11_ok(found[0]) and issued(found[0]), label
            assert found[0] == numbers(head)[0] and sig, label
            assert not re.search(r"nhs|patient|nurse|covid|copd|diabet|case|dob", head, re.I)
            assert "NHS" in sig and re.search(r"Patient|Nurse|COVID", sig), label
        elif shape == "newsletter-bulk":
            assert msg["List-Unsubscribe"] and msg["List-Id"], label
            assert str(msg["Precedence"]) == "bulk", label
            assert re.search(r"continuous cough|sense of smell", text), label
        elif shape in ("you-advice-generic", "awareness-week-generic"):
            assert not PRONOUN.search(body_text(msg)), label
            assert re.search(r"cough|diabetes", text), label
        elif shape == "lab-business-positive":
            assert re.search(r"(PCR|lateral flow|COVID|swab|Antigen)\b.{0,60}(positive|negative)",
                             text), label
            assert not PRONOUN.search(body_text(msg)), label
    assert set(seen) == HARD_NEGATIVES and min(seen.values()) >= 3


def test_replies_quote_an_earlier_leak_to_the_same_address(
        fresh: Path, labels: list[dict[str, object]]) -> None:
    by_id = {str(label["message_id"]): (label, msg) for label, msg in labelled(fresh, labels)}
    replies = 0
    for label, msg in by_id.values():
        if label["shape"] not in ("reply-quote-only", "reply-quote-adds",
                                  "forward-quote-new-recipient"):
            continue
        replies += 1
        first_label, first = by_id[str(msg["In-Reply-To"])]
        assert first_label["shape"] == "thread-original" and first_label["positive"], label
        assert first_label["variant"] == label["variant"], label
        assert msg["From"] == first["From"], label
        forward = label["shape"] == "forward-quote-new-recipient"
        assert (msg["To"] != first["To"]) if forward else (msg["To"] == first["To"]), label
        assert parsedate_to_datetime(str(msg["Date"])) > parsedate_to_datetime(str(first["Date"]))
        body, original = body_text(msg), body_text(first)
        new, marker, quote = re.split(r"\n(-----Original Message-----|On [^\n]+wrote:)\n",
                                      body, maxsplit=1)
        assert marker and numbers(quote) == numbers(original) != [], label
        assert numbers(new) == [] and "NHS" not in new and "PCR" not in new, label
        if forward:  # a new consumer recipient: the quoted data counts again
            assert label["rules"] == first_label["rules"] and label["positive"], label
        elif label["shape"] == "reply-quote-only":
            assert label["rules"] == [] and not PRONOUN.search(new), label
        else:
            assert label["rules"] and PRONOUN.search(new), label
    assert replies >= 12


def test_shapes_cover_the_brief(labels: list[dict[str, object]]) -> None:
    positive = {str(label["shape"]) for label in labels if label["positive"]}
    assert len(positive) >= 10
    flagged = {(label["shape"], label["flow"]) for label in labels
               if label["rules"] and not label["positive"]}
    assert flagged >= {("internal-nhs-result", "internal"),
                       ("nhsnet-recipient", "external-other"),
                       ("lookalike-domain", "external-other")}
    flows = {label["flow"] for label in labels if label["positive"]}
    assert flows == CONSUMER_FLOWS
    fired = {rule for label in labels for rule in label["rules"]}  # type: ignore[attr-defined]
    assert fired == RULES
    for shape, count in Counter(str(label["shape"]) for label in labels).items():
        assert 3 <= count <= 5, shape


def test_containers_hold_the_format_traps(fresh: Path, labels: list[dict[str, object]]) -> None:
    mbox = (fresh / "mbox/vault-export.mbox").read_bytes()
    assert re.search(rb"\n\nFrom time to time [^\n]*\n", mbox)
    assert re.search(rb"\n>From ", mbox)
    assert re.match(rb"From \S+@\S+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d 2021\n", mbox)
    gz = (fresh / "archive/older.mbox.gz").read_bytes()
    assert gz[:2] == b"\x1f\x8b" and split_mbox(gzip.decompress(gz))
    emls = [p.read_bytes() for p in (fresh / "eml").rglob("*.eml")]
    assert any(b"\r\n" in raw for raw in emls) and any(b"\r\n" not in raw for raw in emls)
    assert all(p.parts[-4] == "Exchange" for p in (fresh / "eml").rglob("*.eml"))
    cur = [p.name for p in (fresh / "maildir/cur").iterdir()]
    new = [p.name for p in (fresh / "maildir/new").iterdir()]
    assert cur and new and (fresh / "maildir/tmp").is_dir()
    assert all(re.fullmatch(r"\d{10}\.M\d+P\d+\.[\w-]+:2,[A-Z]+", n) for n in cur)
    assert all(re.fullmatch(r"\d{10}\.M\d+P\d+\.[\w-]+", n) for n in new)
    binary = (fresh / "eml/misc/scan-notes.bin").read_bytes()
    assert b"\x00" in binary and b"Message-ID" not in binary
    per_container = Counter(str(label["file"]).split("/")[0] for label in labels)
    assert per_container["mbox"] > max(per_container[c] for c in ("eml", "maildir", "archive"))
    assert min(per_container[c] for c in ("eml", "maildir", "archive")) >= 5
    raw_utf8 = [raw for raw in [mbox, *emls] if re.search(rb"(?m)^To: [^\n]*[\x80-\xff]", raw)]
    assert raw_utf8, "no raw UTF-8 display name in a To header"


def test_scale_and_seed_options(tmp_path: Path, labels: list[dict[str, object]]) -> None:
    doc = generate(tmp_path / "big", "--scale", "6")
    big = doc["messages"]
    assert isinstance(big, list)
    assert len(big) >= 500
    assert len({m["shape"] for m in big}) >= 20
    assert len({m["message_id"] for m in big}) == len(big)
    assert all((tmp_path / "big" / m["file"]).is_file() for m in big)
    other = generate(tmp_path / "seed7", "--seed", "7")["messages"]
    assert isinstance(other, list) and len(other) == len(labels)
    assert {m["message_id"] for m in other}.isdisjoint({m["message_id"] for m in labels})


def test_docs_list_every_shape(labels: list[dict[str, object]]) -> None:
    listed = subprocess.run([sys.executable, str(GENERATOR), "--list"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    names = {line.split(" | ")[0] for line in listed}
    assert names == {str(label["shape"]) for label in labels}
    docs = (REPO / "docs" / "samples.md").read_text(encoding="utf-8")
    assert [name for name in sorted(names) if f"| `{name}` |" not in docs] == []
