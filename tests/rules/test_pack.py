"""Rule packs: every shipped example runs; broken packs fail with file and line."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracecheck.errors import RulePackError
from tracecheck.rules import pack as pack_module
from tracecheck.rules.matcher import Matcher, detector_hits
from tracecheck.rules.pack import Detector, load_pack, load_packs
from tracecheck.shipped_rules import default_pack_paths


def _examples() -> list[tuple[Detector, str, bool]]:
    out = []
    for path in default_pack_paths():
        pack = load_pack(path, check_examples=False)
        for det in pack.detectors:
            out += [(det, ex, True) for ex in det.examples_match]
            out += [(det, ex, False) for ex in det.examples_no_match]
    return out


@pytest.mark.parametrize(("det", "example", "should_match"), _examples(),
                         ids=lambda v: v.id if isinstance(v, Detector) else None)
def test_every_shipped_example(det: Detector, example: str, should_match: bool) -> None:
    hits = [h for h in detector_hits(det, example, example.lower()) if h.confidence >= 0.5]
    assert bool(hits) is should_match


GOOD = """\
schema_version: 1
pack: {id: mine, version: "1"}
detectors:
  - id: word
    category: other
    severity: low
    description: a word
    pattern: '\\bsecretword\\b'
    examples: {match: ["the secretword"], no_match: ["nothing"]}
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "pack.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("schema_version: 1", "schema_version: 9"), 1, "schema_version"),
        (GOOD.replace("severity: low", "severity: dire"), 6, "unknown severity"),
        (GOOD.replace("'\\bsecretword\\b'", "'(unclosed'"), 8, "does not compile"),
        (GOOD.replace('match: ["the secretword"]', 'match: ["nope"]'), 4, "match example"),
        (GOOD.replace("category: other", "category: other\n    colour: red"), 6, "unknown"),
        (GOOD.replace("'\\bsecretword\\b'", "'(a+)+$'"), 8, "too slow"),
        # probes built from the pattern's own literals and classes (issue 15, item 15)
        (GOOD.replace("'\\bsecretword\\b'", "'(?:x|xx)+$'"), 8, "too slow"),
        (GOOD.replace("'\\bsecretword\\b'", "'(?:q|qq)+\\d'"), 8, "too slow"),
        (GOOD.replace("'\\bsecretword\\b'", "'(?:[q-s]|rr)+\\d'"), 8, "too slow"),
        (GOOD.replace("severity: low", "severity: [low"), 7, "invalid YAML"),
        (GOOD.replace("    pattern:", "    validators: [nope]\n    pattern:"), 8,
         "unknown validator"),
    ],
)
def test_broken_packs_name_file_and_line(tmp_path: Path, text: str, line: int,
                                         message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulePackError) as err:
        load_pack(path)
    assert f"{path}:{line}:" in str(err.value)
    assert message in str(err.value)


def test_duplicate_ids_across_packs(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD)
    b = tmp_path / "b.yaml"
    b.write_text(GOOD.replace("id: mine", "id: other"))
    with pytest.raises(RulePackError, match="already defined"):
        load_packs([a, b])


def test_matcher_masks_evidence_and_keeps_value_internal(tmp_path: Path) -> None:
    from tracecheck.model import TextUnit

    packs = load_packs(default_pack_paths())
    text = "Hi, NHS number 943 476 5919 - her PCR came back positive."
    matches, skips = Matcher(packs).scan(TextUnit(part="1", where="body", text=text))
    assert not skips
    rules = [m.rule for m in matches]
    assert rules == ["nhs-number", "covid-test-result"]
    nhs = matches[0]
    assert nhs.value == "9434765919"
    assert "943 *** ****" in nhs.evidence and "5919" not in nhs.evidence
    assert "positive" not in matches[1].evidence and "p*******" in matches[1].evidence


def test_a_pack_is_parsed_once_per_content_and_again_when_edited(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = load_pack(path)
    assert load_pack(path) is first  # the same bytes: the pack already loaded
    path.write_text(GOOD.replace("id: mine", "id: edited"))
    edited = load_pack(path)
    assert edited is not first and edited.sha256 != first.sha256
    assert (edited.id, first.id) == ("edited", "mine")


YAML_SHAPES = [
    GOOD,
    GOOD.replace("pack: {id: mine, version: \"1\"}",
                 "base: &b {id: mine}\npack:\n  <<: *b\n  version: \"1\""),  # a merge key
    GOOD.replace("description: a word", "description: >-\n      a folded\n      word"),
    GOOD.replace("severity: low", "severity: [low"),  # invalid
    GOOD.replace("    category: other", "\tcategory: other"),  # a tab: invalid
    "? " + "k" * 1100 + "\n: v\n",  # a long explicit key
    "a: 1\na: 2\n",
    "",
]


@pytest.mark.parametrize("text", [*YAML_SHAPES,
                                  *(p.read_text(encoding="utf-8") for p in default_pack_paths())])
def test_the_fast_yaml_parser_reads_packs_as_the_pure_python_one_does(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Packs are parsed with libyaml when PyYAML has it: same document, same line of every
    key and item, and for a document either rejects, the pure-Python parser's error."""
    def read(loaders: tuple[type[yaml.SafeLoader], ...]) -> object:
        monkeypatch.setattr(pack_module, "_LOADERS", loaders)
        try:
            obj, lines = pack_module._compose(text)
        except yaml.YAMLError as exc:
            return ("error", str(exc))
        return obj, lines.table

    fast = pack_module._LOADERS
    if hasattr(yaml, "CSafeLoader"):
        assert fast[0] is yaml.CSafeLoader
    assert read(fast) == read((yaml.SafeLoader,))


BOMB = ("schema_version: 1\npack: {id: bomb}\na: &a [" + ",".join(['"lol"'] * 9) + "]\n"
        + "".join(f"{b}: &{b} [" + ",".join([f"*{a}"] * 9) + "]\n"
                  for a, b in zip("abcdefgh", "bcdefghi", strict=True)))
"""The issue's 9-level alias bomb (9^9 strings from under 400 bytes)."""


def _bounded(*args: str) -> subprocess.CompletedProcess[str]:
    """`tracecheck ARGS` in a child limited to 1 GB of address space and 60 s: a pack that
    expands without bound fails the test instead of taking the machine down."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    exe = Path(sys.executable).parent / "tracecheck"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60,
                          preexec_fn=limit, check=False)


def test_a_yaml_alias_bomb_is_refused_naming_the_pack(tmp_path: Path) -> None:
    path = write(tmp_path, BOMB)
    assert len(BOMB) < 400
    for args in (("rules", "validate", str(path)),
                 ("scan", "--rules", str(path), str(tmp_path))):
        done = _bounded(*args)
        assert done.returncode == 2, done.stderr
        assert f"{path}:3: invalid YAML: the document expands to more than 100,000 nodes" in (
            done.stderr)
        assert "Traceback" not in done.stderr


def test_aliases_that_expand_a_little_still_load(tmp_path: Path) -> None:
    shared = "shared: &k [secretword, the secret]\n"
    text = GOOD.replace("pack:", shared + "pack:").replace(
        "    pattern:", "    keywords: *k\n    pattern:")
    assert load_pack(write(tmp_path, text)).detectors[0].keywords == ("secretword", "the secret")


def test_a_pack_nested_too_deeply_or_too_large_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match=r"pack.yaml:1: .*nests deeper than 100 levels"):
        load_pack(write(tmp_path, "a: " + "[" * 500 + "]" * 500 + "\n"))
    with pytest.raises(RulePackError, match=r"pack.yaml: invalid YAML: .*nests deeper than 100"):
        load_pack(write(tmp_path, "a: " + "[" * 50_000 + "]" * 50_000 + "\n"))
    big = GOOD + "# " + "x" * pack_module.MAX_PACK_BYTES + "\n"
    with pytest.raises(RulePackError, match=r"pack.yaml: rule pack is larger than 1024 KiB"):
        load_pack(write(tmp_path, big))
