"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG text.

Owns the three charts (flagged messages over time, per consumer domain, per sending account)
and making their SVG deterministic and self-contained (no external fonts or images, fixed ids,
no timestamp). Every label is plain text: mathtext (`$...$`) and TeX are off for every
artist drawn here, so an address such as `x$^$y@org.example` is drawn as written and can
neither fail the report nor recurse in matplotlib's parser. Never touches pyplot's global
state and never draws an unmasked value: it plots only the labels the report model already
masked.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn (start-up time)
    from matplotlib.figure import Figure

COLOUR = "#1d5fa8"
MAX_BARS = 15
_RC: Any = {"svg.hashsalt": "tracecheck", "svg.fonttype": "none", "font.size": 9.0,
            # labels come from the evidence (addresses, domains): never markup
            "text.parse_math": False, "text.usetex": False}


def _svg(fig: Figure) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:].strip() if start >= 0 else text


def _bucket(by_day: Sequence[tuple[str, int]]) -> tuple[list[str], list[int], str]:
    if not by_day:
        return [], [], "day"
    first, last = by_day[0][0], by_day[-1][0]
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:  # not a calendar date: plot the labels as they are
        return [d for d, _ in by_day], [n for _, n in by_day], "day"
    months = (end.year - start.year) * 12 + end.month - start.month
    if months < 4:
        # every day of the span, so quiet days show as gaps rather than vanish
        counts = dict(by_day)
        cur = start
        labels: list[str] = []
        while cur <= end:
            labels.append(cur.isoformat())
            cur += timedelta(days=1)
        return labels, [counts.get(d, 0) for d in labels], "day"
    per_month: Counter[str] = Counter()
    for day_text, n in by_day:
        per_month[day_text[:7]] += n
    keys = sorted(per_month)
    return keys, [per_month[k] for k in keys], "month"


def timeline(by_day: Sequence[tuple[str, int]]) -> str | None:
    """Bar chart of flagged messages per day (or per month over longer spans)."""
    labels, values, unit = _bucket(by_day)
    if not labels:
        return None
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.0, 2.6))
        ax = fig.subplots()
        xs = list(range(len(labels)))
        ax.bar(xs, values, color=COLOUR)
        step = max(1, len(labels) // 12)
        ax.set_xticks(xs[::step], labels[::step], rotation=45, ha="right")
        ax.set_ylabel("flagged messages")
        ax.set_title(f"Flagged messages per {unit}")
        ax.spines[["top", "right"]].set_visible(False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(fig)


def bars(items: Sequence[tuple[str, int]], title: str) -> str | None:
    """Horizontal bar chart of the largest counts (at most 15 bars, largest on top)."""
    if not items:
        return None
    top = list(items[:MAX_BARS])
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.0, 0.9 + 0.28 * len(top)))
        ax = fig.subplots()
        ys = list(range(len(top)))[::-1]
        ax.barh(ys, [n for _, n in top], color=COLOUR)
        ax.set_yticks(ys, [label for label, _ in top])
        ax.set_xlabel("flagged messages")
        more = f" (top {MAX_BARS} of {len(items)})" if len(items) > MAX_BARS else ""
        ax.set_title(title + more)
        ax.spines[["top", "right"]].set_visible(False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(fig)
