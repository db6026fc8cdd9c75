"""Rule-pack schema and loader: YAML → frozen `Detector`s, with errors that name file and line.

Owns the pack format (schema_version 1, docs/rule-packs.md): pack metadata, named context
sets, detectors (pattern and/or lexicon, keyword prefilter (listed or derived), validators by
name, context window, required companions within N characters, allowlists, confidence) and
each detector's match / no-match examples, which are
run when the pack loads — a pack whose examples fail does not load. Patterns compile with the
`regex` module; a pattern that is slow on a probe string is rejected at load (catastrophic
backtracking), and every match at scan time runs under a timeout. Never reads messages.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
import yaml

from tracecheck.errors import RulePackError
from tracecheck.model import PackRef, Severity
from tracecheck.rules import literals
from tracecheck.rules import validators as vmod
from tracecheck.rules.lexicon import valid_term
from tracecheck.rules.literals import pumpable
from tracecheck.yaml_reader import LOADERS, load

SCHEMA_VERSION = 1
CATEGORIES = (
    "identifier",
    "test-result",
    "symptom",
    "condition",
    "treatment",
    "medication",
    "admission",
    "pregnancy",
    "disability",
    "vaccination",
    "case-reference",
    "other",
)
VALUE_KINDS = ("digits", "text")
PROBE_TIMEOUT = 0.25
_DETECTOR_KEYS = {
    "id", "category", "severity", "description", "pattern", "value", "validators", "keywords",
    "context", "requires", "allow", "confidence", "references", "examples", "enabled", "flags",
    "deny_context", "reject_tokens", "in_bulk_mail", "lexicon",
}
TOKEN_KINDS = ("url", "email", "iban", "alnum")


@dataclass(frozen=True)
class Companion:
    """A pattern that must also occur within `within` characters of the match."""

    pattern: regex.Pattern[str]
    within: int
    source: str
    sets: tuple[str, ...] = ()
    """Names of the context sets the pattern was built from (e.g. `person`)."""


@dataclass(frozen=True)
class ContextRule:
    """Words that raise confidence when found within the window around a match."""

    pattern: regex.Pattern[str]
    before: int
    after: int
    required: bool
    source: str


NEVER = regex.compile(r"(?!)")
"""The pattern of a detector that has only a lexicon: it never matches."""


@dataclass(frozen=True)
class Detector:
    """One detector, compiled."""

    id: str
    pack: str
    category: str
    severity: Severity
    description: str
    pattern: regex.Pattern[str]
    value: str
    validators: tuple[str, ...]
    keywords: tuple[str, ...]
    context: ContextRule | None
    requires: tuple[Companion, ...]
    allow: tuple[regex.Pattern[str], ...]
    confidence: float
    """Confidence when the context is found (or when there is no context rule)."""
    confidence_without_context: float
    """Confidence when a non-required context is absent."""
    examples_match: tuple[str, ...]
    examples_no_match: tuple[str, ...]
    references: tuple[str, ...] = ()
    path: str = ""
    line: int = 0
    deny_context: ContextRule | None = None
    """Words that, found in the window, reject the match (order no, tel, invoice ...)."""
    reject_tokens: tuple[str, ...] = ()
    """Reject a match inside a white-space token that is a URL, email, IBAN or mixed word."""
    in_bulk_mail: bool = True
    """False: the detector does not run on newsletters/bulk mail (List-Id, Precedence: bulk)."""
    lexicon: tuple[str, ...] = ()
    """Literal terms matched as whole words beside the pattern (`rules/lexicon.py`)."""

    @functools.cached_property
    def fixed_reasons(self) -> tuple[str, ...]:
        """The reasons every hit that passes this detector's checks shares: its validators
        passed and its companions (other than the person, which the context step judges)
        were found. Worked out once per detector, not per hit."""
        return (*(f"{name} check" for name in self.validators),
                *(f"{'+'.join(c.sets) or 'companion'} within {c.within}" for c in self.requires
                  if "person" not in c.sets))


@dataclass(frozen=True)
class Pack:
    """A loaded rule pack."""

    id: str
    version: str
    description: str
    path: str
    sha256: str
    detectors: tuple[Detector, ...]
    min_confidence: float = 0.5
    disabled: tuple[str, ...] = ()
    extra_consumer_domains: tuple[str, ...] = ()
    extends_default: bool = False
    """`extends: default`: the shipped packs load first and this pack adds to them."""

    @property
    def ref(self) -> PackRef:
        """How the pack is named in outputs."""
        return PackRef(pack=self.id, version=self.version, sha256=self.sha256, path=self.path)


@dataclass
class _Lines:
    """Line numbers of YAML nodes, addressed by key path."""

    table: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def at(self, *path: Any) -> int | None:
        while path:
            if path in self.table:
                return self.table[path]
            path = path[:-1]
        return self.table.get(())


def _index_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            out[(*path, k)] = key.start_mark.line + 1
            _index_lines(value, (*path, k), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), out)


MAX_PACK_BYTES = 1024 * 1024
"""Largest rule pack read (the shipped pack is about 16 KB): a pack is read whole and
parsed into memory, so a larger file (or a device that never ends) is refused unread."""


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_PACK_BYTES + 1)
    except OSError as exc:
        raise RulePackError(f"cannot read rule pack ({exc.strerror})", str(path)) from None
    if len(data) > MAX_PACK_BYTES:
        raise RulePackError(f"rule pack is larger than {MAX_PACK_BYTES // 1024} KiB: not read "
                            "(split it into several packs)", str(path))
    return data


_LOADERS = LOADERS  # libyaml first, then the pure-Python parser (`yaml_reader`)


def _compose(text: str) -> tuple[Any, _Lines]:
    """The document and the line of every key and item in it, read once (within the YAML
    reader's bounds on aliases and nesting, `yaml_reader.load`)."""
    lines = _Lines()

    def index(node: yaml.Node) -> None:  # from the nodes, before construction flattens merges
        lines.table.clear()  # a parser that failed after indexing left its lines
        _index_lines(node, (), lines.table)

    return load(text, loaders=_LOADERS, on_node=index), lines


def _read_yaml(path: Path, data: bytes) -> tuple[Any, _Lines, bytes]:
    try:
        obj, lines = _compose(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise RulePackError("rule pack is not UTF-8 text", str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RulePackError(f"invalid YAML: {problem}", str(path), line) from None
    return obj, lines, data


def _compile(
    src: Any, what: str, path: Path, line: int | None, *, flags: int = 0
) -> regex.Pattern[str]:
    if not isinstance(src, str) or not src:
        raise RulePackError(f"{what} must be a non-empty string", str(path), line)
    try:
        # VERBOSE: folded YAML strings may carry line-break spaces; literal spaces are `\s`.
        pat = regex.compile(src, flags | regex.VERBOSE)
    except regex.error as exc:
        raise RulePackError(f"{what} does not compile: {exc}", str(path), line) from None
    _probe(pat, what, path, line)
    return pat


_PROBES = (
    "a" * 5000 + "!",
    "1" * 5000 + "x",
    " " * 5000 + "x",
    ("ab " * 2000) + "!",
    ("1 " * 2500) + "x",
)
"""Probe strings every pattern is tried on; `_probes` adds ones built from the pattern."""
_PUMPED_ALREADY = frozenset({"a", "1", " ", "ab ", "1 "})
"""What the fixed probes already repeat."""
PROBE_CHARS = 1000
"""Length of the probes built from a pattern: enough for exponential backtracking to run
out of time at once, short enough that a pattern merely quadratic on a run of its own words
(the shipped `symptom` pattern on `bad bad bad ...`) costs little at start-up; the fixed
probes (5,000 characters) and the scan-time timeout cover the rest."""


def _probes(pat: regex.Pattern[str]) -> tuple[str, ...]:
    """The fixed probes, and for each string a repeat in the pattern can match over and over
    (`literals.pumpable`: its own literals and a character of each class), that string
    repeated to `PROBE_CHARS` characters and then a character that ends no match: what makes
    `(?:x|xx)+$` try every way to split a run of `x`."""
    pumped = [p for p in pumpable(pat) if p not in _PUMPED_ALREADY]
    tail = "\x00" if any("!" in p for p in pumped) else "!"
    return _PROBES + tuple((p * (PROBE_CHARS // len(p) + 1))[:PROBE_CHARS] + tail
                           for p in pumped)


_PROBED: dict[tuple[str, int], bool] = {}
"""Pattern (source, flags) → too slow: each pattern is probed once per process (detectors
share context sets, and the api and the scanner both load the packs of a run)."""


def _too_slow(pat: regex.Pattern[str]) -> bool:
    """True when the pattern runs past `PROBE_TIMEOUT` on one of its probes."""
    key = (pat.pattern, int(pat.flags))
    if key not in _PROBED:
        _PROBED[key] = any(_times_out(pat, probe) for probe in _probes(pat))
    return _PROBED[key]


def _times_out(pat: regex.Pattern[str], probe: str) -> bool:
    try:
        for _ in pat.finditer(probe, timeout=PROBE_TIMEOUT):
            pass
    except TimeoutError:
        return True
    return False


def _probe(pat: regex.Pattern[str], what: str, path: Path, line: int | None) -> None:
    """Reject patterns that backtrack catastrophically on adversarial strings built for
    them (`_probes`); every match at scan time also runs under a timeout."""
    if _too_slow(pat):
        raise RulePackError(
            f"{what} is too slow (catastrophic backtracking on a probe string); simplify it",
            str(path),
            line,
        )


def _str_list(value: Any, what: str, path: Path, line: int | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulePackError(f"{what} must be a list of strings", str(path), line)
    return tuple(value)


def _number(value: Any, what: str, path: Path, line: int | None, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise RulePackError(f"{what} must be a number from {lo} to {hi}", str(path), line)
    return float(value)


def _context_source(value: Any, sets: dict[str, str], what: str, path: Path,
                    line: int | None) -> str:
    """A context pattern: a regex string, or a list of context-set names / regexes."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise RulePackError(f"{what} must be a pattern or a list of context-set names",
                            str(path), line)
    parts = []
    for item in items:
        if not isinstance(item, str):
            raise RulePackError(f"{what} entries must be strings", str(path), line)
        parts.append(f"(?:{sets[item]})" if item in sets else f"(?:{item})")
    return "|".join(parts)


def load_pack(path: str | Path, *, check_examples: bool = True) -> Pack:
    """Load, validate and compile one pack; raise `RulePackError` naming file and line.

    A pack whose bytes were loaded before in this process is not parsed and checked again
    (the api and the scanner both load the packs of a run)."""
    p = Path(path)
    return _load_pack(str(p), _read_bytes(p), check_examples)


@functools.lru_cache(maxsize=32)
def _load_pack(path: str, raw: bytes, check_examples: bool) -> Pack:
    p = Path(path)
    obj, lines, data = _read_yaml(p, raw)
    if not isinstance(obj, dict):
        raise RulePackError("a rule pack must be a YAML mapping", str(p), lines.at())
    if obj.get("schema_version") != SCHEMA_VERSION:
        raise RulePackError(
            f"schema_version must be {SCHEMA_VERSION} (got {obj.get('schema_version')!r})",
            str(p),
            lines.at("schema_version"),
        )
    meta = obj.get("pack")
    if not isinstance(meta, dict) or not isinstance(meta.get("id"), str):
        raise RulePackError("`pack` must be a mapping with an `id`", str(p), lines.at("pack"))
    pack_id = meta["id"]
    version = str(meta.get("version", "0"))
    sets_raw = obj.get("context_sets") or {}
    if not isinstance(sets_raw, dict):
        raise RulePackError("`context_sets` must be a mapping", str(p), lines.at("context_sets"))
    sets: dict[str, str] = {}
    for name, value in sets_raw.items():
        ln = lines.at("context_sets", name)
        src = value if isinstance(value, str) else "|".join(_str_list(value, name, p, ln))
        _compile(src, f"context set {name!r}", p, ln)
        sets[str(name)] = src
    min_conf = _number(obj.get("min_confidence", 0.5), "min_confidence", p,
                       lines.at("min_confidence"), 0.0, 1.0)
    raw_dets = obj.get("detectors") or []
    if not isinstance(raw_dets, list):
        raise RulePackError("`detectors` must be a list", str(p), lines.at("detectors"))
    dets: list[Detector] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_dets):
        det = _detector(raw, i, pack_id, sets, p, lines)
        if det.id in seen:
            raise RulePackError(f"duplicate detector id {det.id!r}", str(p), det.line)
        seen.add(det.id)
        dets.append(det)
    pack = Pack(
        id=pack_id,
        version=version,
        description=str(meta.get("description", "")),
        path=str(p),
        sha256=hashlib.sha256(data).hexdigest(),
        detectors=tuple(dets),
        min_confidence=min_conf,
        disabled=_str_list(obj.get("disable"), "disable", p, lines.at("disable")),
        extra_consumer_domains=_str_list(
            obj.get("consumer_domains"), "consumer_domains", p, lines.at("consumer_domains")
        ),
        extends_default=_extends(obj.get("extends"), p, lines.at("extends")),
    )
    if check_examples:
        failures = list(example_failures(pack))
        if failures:
            det, kind, example = failures[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise RulePackError(
                f"detector {det.id!r}: {kind} example does not behave as declared: "
                f"{example[:60]!r}{more}",
                str(p),
                det.line,
            )
    return pack


def _extends(value: Any, p: Path, line: int | None) -> bool:
    if value is None:
        return False
    if value in ("default", ["default"]):
        return True
    raise RulePackError("`extends` must be `default` (the shipped packs)", str(p), line)


def _detector(raw: Any, i: int, pack_id: str, sets: dict[str, str], p: Path,
              lines: _Lines) -> Detector:
    base = ("detectors", i)
    ln = lines.at(*base)
    if not isinstance(raw, dict):
        raise RulePackError("each detector must be a mapping", str(p), ln)
    unknown = sorted(set(raw) - _DETECTOR_KEYS)
    if unknown:
        raise RulePackError(f"unknown detector field(s): {', '.join(unknown)}", str(p),
                            lines.at(*base, unknown[0]))
    for key in ("id", "category", "severity", "description"):
        if key not in raw:
            raise RulePackError(f"detector is missing `{key}`", str(p), ln)
    if "pattern" not in raw and "lexicon" not in raw:
        raise RulePackError("detector is missing `pattern` (or `lexicon`)", str(p), ln)
    det_id = raw["id"]
    if not isinstance(det_id, str) or not regex.fullmatch(r"[a-z0-9][a-z0-9-]*", det_id):
        raise RulePackError("detector id must be lower-case letters, digits and dashes",
                            str(p), lines.at(*base, "id"))
    category = raw["category"]
    if category not in CATEGORIES:
        raise RulePackError(f"category must be one of {', '.join(CATEGORIES)}", str(p),
                            lines.at(*base, "category"))
    try:
        severity = Severity.parse(str(raw["severity"]))
    except ValueError as exc:
        raise RulePackError(str(exc), str(p), lines.at(*base, "severity")) from None
    value_kind = raw.get("value", "text")
    if value_kind not in VALUE_KINDS:
        raise RulePackError("value must be `digits` or `text`", str(p), lines.at(*base, "value"))
    flags = regex.IGNORECASE if raw.get("flags", "i") == "i" else 0
    terms = _lexicon(raw.get("lexicon"), p, lines.at(*base, "lexicon"))
    if "pattern" in raw:
        pattern_src = _context_source(raw["pattern"], sets, "pattern", p,
                                      lines.at(*base, "pattern"))
        pattern = _compile(pattern_src, "pattern", p, lines.at(*base, "pattern"), flags=flags)
    else:
        pattern = NEVER
    vals = _str_list(raw.get("validators"), "validators", p, lines.at(*base, "validators"))
    for name in vals:
        if name not in vmod.REGISTRY:
            raise RulePackError(
                f"unknown validator {name!r} (known: {', '.join(sorted(vmod.REGISTRY))})",
                str(p), lines.at(*base, "validators"))
    context = _context_rule(raw.get("context"), "context", sets, p, lines.at(*base, "context"))
    deny = _context_rule(raw.get("deny_context"), "deny_context", sets, p,
                         lines.at(*base, "deny_context"))
    tokens = _str_list(raw.get("reject_tokens"), "reject_tokens", p,
                       lines.at(*base, "reject_tokens"))
    for t in tokens:
        if t not in TOKEN_KINDS:
            raise RulePackError(f"reject_tokens entries must be among {', '.join(TOKEN_KINDS)}",
                                str(p), lines.at(*base, "reject_tokens"))
    requires = []
    for j, comp in enumerate(raw.get("requires") or []):
        cl = lines.at(*base, "requires", j)
        if not isinstance(comp, dict) or "pattern" not in comp:
            raise RulePackError("each `requires` entry needs `pattern` and `within`", str(p), cl)
        src = _context_source(comp["pattern"], sets, "requires.pattern", p, cl)
        named = comp["pattern"] if isinstance(comp["pattern"], list) else [comp["pattern"]]
        requires.append(
            Companion(
                pattern=_compile(src, "requires.pattern", p, cl, flags=regex.IGNORECASE),
                within=int(_number(comp.get("within", 80), "requires.within", p, cl, 1, 5000)),
                source=src,
                sets=tuple(str(n) for n in named if n in sets),
            )
        )
    allow = tuple(
        _compile(a, "allow", p, lines.at(*base, "allow"), flags=regex.IGNORECASE)
        for a in _str_list(raw.get("allow"), "allow", p, lines.at(*base, "allow"))
    )
    conf_raw = raw.get("confidence", {})
    cl = lines.at(*base, "confidence")
    if isinstance(conf_raw, int | float) and not isinstance(conf_raw, bool):
        conf_raw = {"with_context": conf_raw}
    if not isinstance(conf_raw, dict):
        raise RulePackError("confidence must be a number or a mapping", str(p), cl)
    with_ctx = _number(conf_raw.get("with_context", 0.9), "confidence.with_context", p, cl, 0, 1)
    without = _number(conf_raw.get("without_context", 0.3), "confidence.without_context", p,
                      cl, 0, 1)
    ex = raw.get("examples") or {}
    el = lines.at(*base, "examples")
    if not isinstance(ex, dict):
        raise RulePackError("examples must be a mapping with `match` and `no_match`", str(p), el)
    ex_match = _str_list(ex.get("match"), "examples.match", p, el)
    ex_no = _str_list(ex.get("no_match"), "examples.no_match", p, el)
    if not ex_match or not ex_no:
        raise RulePackError("every detector needs at least one `match` and one `no_match` "
                            "example", str(p), el)
    return Detector(
        id=det_id,
        pack=pack_id,
        category=category,
        severity=severity,
        description=str(raw["description"]),
        pattern=pattern,
        value=value_kind,
        validators=vals,
        keywords=_keywords(raw.get("keywords"), pattern, terms, p, lines.at(*base, "keywords")),
        context=context,
        requires=tuple(requires),
        allow=allow,
        confidence=with_ctx,
        confidence_without_context=without,
        examples_match=ex_match,
        examples_no_match=ex_no,
        references=_str_list(raw.get("references"), "references", p,
                             lines.at(*base, "references")),
        path=str(p),
        line=ln or 0,
        deny_context=deny,
        reject_tokens=tokens,
        in_bulk_mail=bool(raw.get("in_bulk_mail", True)),
        lexicon=terms,
    )


def _keywords(value: Any, pattern: regex.Pattern[str], terms: tuple[str, ...], p: Path,
              line: int | None) -> tuple[str, ...]:
    """The prefilter words: as listed, or `derived`: the strings one of which every match of
    the pattern contains (`literals.required`), for a lexicon too long to list twice. Each
    lexicon term adds one of its words (a term's match holds it whole): none when one of them
    is a one-word term already (`hiv` for `hiv positive`: `positive` would wake the detector
    for every test result), else its longest."""
    singles = {t for t in terms if " " not in t}
    words = tuple(sorted(singles | {max(t.split(" "), key=len) for t in terms
                                    if singles.isdisjoint(t.split(" "))}))
    if value == "derived":
        if pattern is NEVER:
            return words
        derived = literals.required(pattern)
        if not derived:
            raise RulePackError("`keywords: derived`: the pattern has no strings every match "
                                "contains (list keywords instead)", str(p), line)
        return tuple(sorted(set(derived) | set(words)))
    listed = tuple(k.lower() for k in _str_list(value, "keywords", p, line))
    return tuple(sorted({*listed, *words})) if words else listed


def _lexicon(value: Any, p: Path, line: int | None) -> tuple[str, ...]:
    """A detector's lexicon: terms lower-cased with single spaces, each valid
    (`lexicon.valid_term`), sorted and unique."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise RulePackError("`lexicon` must be a non-empty list of terms", str(p), line)
    terms = []
    for item in value:
        term = " ".join(str(item).lower().split())
        if not isinstance(item, str) or not valid_term(term):
            raise RulePackError(f"lexicon term {str(item)[:40]!r} must be ASCII words with a "
                                "letter or digit at each end", str(p), line)
        terms.append(term)
    return tuple(sorted(set(terms)))


def _context_rule(c: Any, what: str, sets: dict[str, str], p: Path,
                  cl: int | None) -> ContextRule | None:
    if c is None:
        return None
    if not isinstance(c, dict) or "pattern" not in c:
        raise RulePackError(f"{what} must be a mapping with `pattern`", str(p), cl)
    src = _context_source(c["pattern"], sets, f"{what}.pattern", p, cl)
    return ContextRule(
        pattern=_compile(src, f"{what}.pattern", p, cl, flags=regex.IGNORECASE),
        before=int(_number(c.get("before", 100), f"{what}.before", p, cl, 0, 2000)),
        after=int(_number(c.get("after", 60), f"{what}.after", p, cl, 0, 2000)),
        required=bool(c.get("required", False)),
        source=src,
    )


def example_failures(pack: Pack) -> Iterator[tuple[Detector, str, str]]:
    """(detector, 'match'|'no_match', example) for every example that misbehaves."""
    from tracecheck.rules.matcher import detector_hits

    for det in pack.detectors:
        for example in det.examples_match:
            if not any(h.confidence >= pack.min_confidence
                       for h in detector_hits(det, example, example.lower())):
                yield det, "match", example
        for example in det.examples_no_match:
            if any(h.confidence >= pack.min_confidence
                   for h in detector_hits(det, example, example.lower())):
                yield det, "no_match", example


def load_packs(paths: Sequence[str | Path]) -> tuple[Pack, ...]:
    """Load several packs; detector ids must be unique across them."""
    packs = tuple(load_pack(p) for p in paths)
    seen: dict[str, str] = {}
    for pack in packs:
        for det in pack.detectors:
            if det.id in seen:
                raise RulePackError(
                    f"detector id {det.id!r} is already defined in {seen[det.id]}",
                    pack.path,
                    det.line,
                )
            seen[det.id] = pack.path
    return packs
