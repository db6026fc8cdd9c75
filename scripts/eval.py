#!/usr/bin/env python3
"""Detection quality on the labelled corpus: the shipped pack against a checksum-only baseline.

Generates the labelled corpus (`samples/generate.py --scale 6` into `build/eval`, git-ignored),
scans it with `tracecheck.api.scan` (organisation domain tracecall.co.uk, every message's
content scanned so that internal and external flows are checked too), scores the findings with
`tracecheck.evaluation.evaluate`, and scores on the same messages the plain baseline "any
mod-11-valid 10-digit number on a consumer flow is a breach". Prints precision, recall and
counts side by side, a per-shape table and every miss of the pack by shape; `--markdown` prints
the same tables as Markdown (for docs/detection-quality.md). Never prints matched values: a
miss names the shape, the Message-ID and rule ids only.

Usage: python scripts/eval.py [--scale N] [--seed S] [--out DIR] [--markdown] [--no-generate]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO))

from tracecheck import api  # noqa: E402
from tracecheck.content.extract import ExtractLimits  # noqa: E402
from tracecheck.content.mime import Walker, message_info, parse_full  # noqa: E402
from tracecheck.domains import ConsumerDomains, classify  # noqa: E402
from tracecheck.evaluation import (  # noqa: E402
    HELD_OUT,
    TUNE,
    Evaluation,
    IdentifierScore,
    MessageText,
    PersonCount,
    evaluate,
    evaluate_baseline,
    evaluate_independent,
    evaluate_independent_baseline,
    half_of,
    labelled_persons,
    load_labels,
)
from tracecheck.model import Finding, RawMessage, Skipped, TextUnit  # noqa: E402
from tracecheck.sources.files import discover, open_stream, read_messages  # noqa: E402

ORG = "tracecall.co.uk"

CONTAINERS = ("mbox", "eml", "maildir", "archive")
GENERATOR = REPO / "samples" / "generate.py"


def generate(out: Path, scale: int, seed: int | None) -> None:
    """Write the labelled corpus with the repository's generator (its own process)."""
    cmd = [sys.executable, str(GENERATOR), "--out", str(out), "--scale", str(scale)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def message_texts(paths: list[str], org: tuple[str, ...]) -> Iterator[MessageText]:
    """Every readable message under `paths` with its flow and all its decoded text (subject,
    bodies, attachments), read with the scanner's own sources, MIME walk and flow classifier,
    so the baseline and the pack differ only in how they decide."""
    consumer = ConsumerDomains.load_default(())
    for inp in discover(paths):
        if isinstance(inp, Skipped) or inp.kind not in ("mbox", "eml"):
            continue
        with open_stream(inp) as (stream, _hasher):
            for raw in read_messages(inp, stream):
                if not isinstance(raw, RawMessage):
                    continue
                try:
                    yield _message_text(raw, consumer, org)
                except Exception:  # unreadable: the baseline predicts nothing for it
                    continue


def _message_text(raw: RawMessage, consumer: ConsumerDomains,
                  org: tuple[str, ...]) -> MessageText:
    full = parse_full(raw)
    info = message_info(raw, full)
    flow, _ = classify(info.senders, info.recipients, consumer, org)
    units = Walker(ExtractLimits()).units(full)
    text = "\n".join(u.text for u in units if isinstance(u, TextUnit))
    return MessageText(info.message_id, flow.value, text)


def run(out: Path, scale: int, seed: int | None, regenerate: bool = True,
        case_reference: str | None = None,
        ) -> tuple[Evaluation, Evaluation, list[dict[str, object]], dict[str, float],
                   PersonCount]:
    """Generate (unless told not to), scan, and score: (pack, baseline, labels, timings,
    persons counted against the labels).

    The scan uses the shipped packs and defaults (organisation tracecall.co.uk, every message's
    content scanned); `case_reference` sets the organisation's case-id pattern."""
    timings: dict[str, float] = {}
    if regenerate:
        started = time.perf_counter()
        generate(out, scale, seed)
        timings["generate"] = time.perf_counter() - started
    labels = load_labels(out / "labels.json")
    paths = [str(out / c) for c in CONTAINERS if (out / c).exists()]
    started = time.perf_counter()
    result = api.scan(paths, api.ScanOptions(org_domains=(ORG,), all_messages=True,
                                             case_reference=case_reference))
    timings["scan"] = time.perf_counter() - started
    started = time.perf_counter()
    baseline = evaluate_baseline(message_texts(paths, (ORG,)), labels)
    timings["baseline"] = time.perf_counter() - started
    started = time.perf_counter()
    persons = PersonCount(len(api.persons(result)), labelled_persons(labels))
    timings["persons"] = time.perf_counter() - started
    return evaluate(result, labels), baseline, labels, timings, persons


def _kinds(labels: list[dict[str, object]]) -> dict[str, str]:
    """Shape → kind as the labels imply it (positive, flagged, test-data, negative)."""
    kinds: dict[str, str] = {}
    for label in labels:
        shape = str(label.get("shape", ""))
        if label.get("positive"):
            kinds[shape] = "positive"
        elif label.get("test_data"):
            kinds.setdefault(shape, "test-data")
        elif label.get("rules"):
            kinds.setdefault(shape, "flagged")
        else:
            kinds.setdefault(shape, "negative")
    return kinds


def summary_rows(pack: Evaluation, base: Evaluation) -> list[tuple[str, ...]]:
    """(measure, pack, baseline) rows of the side-by-side summary."""
    return [
        ("precision", f"{pack.precision:.3f}", f"{base.precision:.3f}"),
        ("recall", f"{pack.recall:.3f}", f"{base.recall:.3f}"),
        ("true positives", str(pack.true_positives), str(base.true_positives)),
        ("false positives", str(pack.false_positives), str(base.false_positives)),
        ("false negatives", str(pack.false_negatives), str(base.false_negatives)),
    ]


def shape_rows(pack: Evaluation, base: Evaluation,
               labels: list[dict[str, object]]) -> list[tuple[str, ...]]:
    """Per shape: kind, messages, labelled positive, pack FP/FN/rule mismatches, baseline
    FP/FN."""
    kinds = _kinds(labels)
    base_by = {s.shape: s for s in base.shape_scores}
    rows: list[tuple[str, ...]] = []
    order = {"positive": 0, "test-data": 1, "flagged": 2, "negative": 3}
    for s in sorted(pack.shape_scores, key=lambda s: (order.get(kinds.get(s.shape, ""), 4),
                                                       s.shape)):
        b = base_by[s.shape]
        rows.append((s.shape, kinds.get(s.shape, ""), str(s.messages), str(s.positives),
                     str(s.false_positives), str(s.false_negatives), str(s.rule_mismatches),
                     str(b.false_positives), str(b.false_negatives)))
    return rows


SHAPE_HEADER = ("shape", "kind", "messages", "positive", "pack FP", "pack FN",
                "pack rule mismatches", "baseline FP", "baseline FN")
RULE_HEADER = ("rule", "TP", "FP", "FN", "precision", "recall")
MAX_VARIANTS = 12
"""Variant indices listed per kind of miss (the rest are elided)."""


def rule_rows(pack: Evaluation) -> list[tuple[str, ...]]:
    return [(r.rule, str(r.true_positives), str(r.false_positives), str(r.false_negatives),
             f"{r.precision:.3f}", f"{r.recall:.3f}") for r in pack.rule_scores]


def misses_by_shape(pack: Evaluation, labels: list[dict[str, object]]) -> dict[str, list[str]]:
    """Shape → one line per kind of miss and disagreement: how many, which variants (wordings
    cycle with the variant index, see samples/generate.py), expected vs got rule ids."""
    variant = {str(label["message_id"]): label.get("variant") for label in labels}
    grouped: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for m in pack.misses:
        grouped[(m.shape, m.kind, m.expected, m.got)].append(str(variant.get(m.message_id, "?")))
    out: dict[str, list[str]] = defaultdict(list)
    for (shape, kind, expected, got), variants in sorted(grouped.items()):
        ordered = sorted(variants, key=lambda v: (len(v), v))
        shown = ", ".join(ordered[:MAX_VARIANTS]) + (", ..." if len(ordered) > MAX_VARIANTS
                                                     else "")
        out[shape].append(f"{len(variants)} {kind}: expected {expected}, got {got} "
                          f"(variants {shown})")
    return dict(out)


def _plain_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def report(pack: Evaluation, base: Evaluation, labels: list[dict[str, object]],
           markdown: bool = False) -> str:
    """The printed report: summary side by side, per-shape table, per-rule table, misses."""
    table = _md_table if markdown else _plain_table
    test_data = sum(1 for label in labels if label.get("test_data"))
    positives = sum(1 for label in labels if label.get("positive"))
    head = (f"{pack.messages} labelled messages, {pack.shapes} shapes, {positives} positive, "
            f"{test_data} test-data only")
    parts = [head, table(("measure", "pack (uk-health)", "baseline (any mod-11 number)"),
                         summary_rows(pack, base)),
             "per shape:" if not markdown else "Per shape:",
             table(SHAPE_HEADER, shape_rows(pack, base, labels)),
             "per rule (pack):" if not markdown else "Per rule (pack, message level):",
             table(RULE_HEADER, rule_rows(pack))]
    missed = misses_by_shape(pack, labels)
    parts.append("per-shape misses (pack):" if missed else "per-shape misses (pack): none")
    for shape in sorted(missed):
        parts.append(f"- {shape}" if markdown else f"  {shape}")
        parts.extend(f"  - {line}" if markdown else f"    {line}" for line in missed[shape])
    return "\n\n".join(parts[:6]) + "\n\n" + "\n".join(parts[6:]) + "\n"


INDEPENDENT = REPO / "eval" / "independent"
"""Messages written by helper agents from ../shared/BRIEF.md alone, never from the rule pack:
one folder per writer, each with labels.jsonl and corpus.json (the writer's organisation)."""


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def independent(root: Path = INDEPENDENT, min_confidence: float | None = None,
                ) -> dict[str, tuple[IdentifierScore, IdentifierScore, list[dict[str, object]],
                                     list[str]]]:
    """Half → (pack, naive peer, labels, tune-half misses). Each writer's folder is scanned in
    the default mode with its own organisation; the halves are scored apart. Misses are kept
    for the tuning half only: nobody reads what the held-out half gets wrong."""
    labels_of: dict[str, list[dict[str, object]]] = {TUNE: [], HELD_OUT: []}
    texts_of: dict[str, list[MessageText]] = {TUNE: [], HELD_OUT: []}
    findings: list[Finding] = []
    """Every writer's findings: Message-IDs are unique across writers, so one list scores
    both halves."""
    for folder in sorted(p for p in root.iterdir() if (p / "labels.jsonl").is_file()):
        org = tuple(json.loads((folder / "corpus.json").read_text())["org_domains"])
        result = api.scan([str(folder)], api.ScanOptions(org_domains=org,
                                                         min_confidence=min_confidence))
        findings.extend(result.findings)
        texts = {m.message_id: m for m in message_texts([str(folder)], org)}
        for label in _jsonl(folder / "labels.jsonl"):
            half = half_of(str(label["file"]))
            labels_of[half].append({**label, "writer": folder.name})
            if label["message_id"] in texts:
                texts_of[half].append(texts[str(label["message_id"])])
    out = {}
    for half, labels in labels_of.items():
        pack = evaluate_independent(findings, labels)
        base = evaluate_independent_baseline(texts_of[half], labels)
        misses: list[str] = []
        if half == TUNE:
            where = {str(lb["message_id"]): lb for lb in labels}
            for m in pack.evaluation.misses:
                if m.kind in ("false-negative", "false-positive"):
                    lb = where[m.message_id]
                    misses.append(f"{lb['writer']}/{lb['file']} {m.kind} {m.shape}: "
                                  f"got {m.got or 'nothing'}")
        out[half] = (pack, base, labels, sorted(misses))
    return out


def independent_report(halves: dict[str, tuple[IdentifierScore, IdentifierScore,
                                                list[dict[str, object]], list[str]]],
                       markdown: bool = False) -> str:
    table = _md_table if markdown else _plain_table
    header = ("half", "detector", "messages", "positive", "precision", "recall",
              "identifier recall", "bogus identifiers")
    rows = []
    for half in (TUNE, HELD_OUT):
        pack, base, labels, _ = halves[half]
        positives = sum(1 for lb in labels if lb.get("positive"))
        for name, s in (("tracecheck", pack), ("naive mod-11", base)):
            rows.append((half, name, str(len(labels)), str(positives),
                         f"{s.evaluation.precision:.3f}", f"{s.evaluation.recall:.3f}",
                         f"{s.identifier_recall:.3f}", str(s.bogus_identifiers)))
    misses = halves[TUNE][3]
    lines = ["independent corpus (eval/independent; held-out = even file numbers, never read):",
             table(header, rows), f"tuning-half misses (pack): {len(misses)}"]
    lines += [f"  {m}" for m in misses]
    return "\n\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n"


THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def confidence_curve(root: Path = INDEPENDENT) -> list[tuple[float, str, float, float]]:
    """(threshold, half, precision, recall) of the pack on the independent corpus at each
    `--min-confidence` in `THRESHOLDS` (one scan per threshold, exactly as a user runs it)."""
    rows = []
    for threshold in THRESHOLDS:
        halves = independent(root, min_confidence=threshold)
        for half in (TUNE, HELD_OUT):
            ev = halves[half][0].evaluation
            rows.append((threshold, half, ev.precision, ev.recall))
    return rows


def plot_curve(rows: list[tuple[float, str, float, float]], out: Path) -> None:
    """Precision and recall against `--min-confidence`, one line per half, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for half, style in ((TUNE, ":"), (HELD_OUT, "-")):
        xs = [r[0] for r in rows if r[1] == half]
        ax.plot(xs, [r[2] for r in rows if r[1] == half], style, marker="o",
                label=f"precision ({half})", color="tab:blue")
        ax.plot(xs, [r[3] for r in rows if r[1] == half], style, marker="s",
                label=f"recall ({half})", color="tab:orange")
    ax.axvline(0.5, color="grey", linewidth=0.8)
    ax.set_xlabel("--min-confidence (default 0.5)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Independent corpus: precision and recall by threshold")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)


def curve_report(rows: list[tuple[float, str, float, float]], markdown: bool = False) -> str:
    table = _md_table if markdown else _plain_table
    body = [(f"{t:g}", h, f"{p:.3f}", f"{r:.3f}") for t, h, p, r in rows]
    return ("precision and recall by --min-confidence (independent corpus):\n\n"
            + table(("min-confidence", "half", "precision", "recall"), body) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=6, help="generator scale (default 6)")
    parser.add_argument("--seed", type=int, default=None, help="generator seed (default its own)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "eval",
                        help="corpus folder (default build/eval)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--no-generate", action="store_true",
                        help="score the corpus already in --out")
    parser.add_argument("--case-reference", default=None, metavar="REGEX",
                        help="organisation case-id pattern passed to the scan (default none)")
    parser.add_argument("--independent-only", action="store_true",
                        help="score only the independent corpus (eval/independent)")
    parser.add_argument("--min-confidence", type=float, default=None,
                        help="confidence threshold for the independent corpus")
    parser.add_argument("--curve", type=Path, default=None, metavar="PNG",
                        help="also score every threshold and plot precision/recall to PNG")
    args = parser.parse_args(argv)
    if args.independent_only:
        sys.stdout.write(independent_report(independent(min_confidence=args.min_confidence),
                                            args.markdown))
        if args.curve is not None:
            rows = confidence_curve()
            sys.stdout.write("\n" + curve_report(rows, args.markdown))
            plot_curve(rows, args.curve)
        return 0
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    if args.no_generate and not (args.out / "labels.json").is_file():
        parser.error(f"--no-generate: no labels.json in {args.out}")
    pack, base, labels, timings, persons = run(args.out, args.scale, args.seed,
                                               not args.no_generate, args.case_reference)
    sys.stdout.write(report(pack, base, labels, args.markdown))
    sys.stdout.write("\n" + persons.line() + "\n")
    sys.stdout.write("\n" + independent_report(independent(), args.markdown))
    if args.curve is not None:
        rows = confidence_curve()
        sys.stdout.write("\n" + curve_report(rows, args.markdown))
        plot_curve(rows, args.curve)
    spent = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    sys.stdout.write(f"\ncorpus {args.out} (scale {args.scale}); {spent}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
