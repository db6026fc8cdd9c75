"""HTML → plain text for scanning, on the stdlib `html.parser` tokenizer.

Owns only the conversion: drops script/style/head, puts line breaks at block elements and
cell/row boundaries (so table cells do not run together), unescapes entities. It does not
sanitise HTML for display (reports escape their own output).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = frozenset(
    "p div br tr li ul ol table h1 h2 h3 h4 h5 h6 blockquote pre section article header "
    "footer hr dt dd title".split()
)
_CELL = frozenset({"td", "th"})
_SPACES = re.compile(r"[^\S\t]+")
_DROP = frozenset({"script", "style", "head", "template", "noscript"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.drop = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.drop += 1
        elif tag in _BLOCK:
            self.out.append("\n")
        elif tag in _CELL:
            self.out.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop = max(0, self.drop - 1)
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.drop:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, one block per line."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything else keeps what was read so far
        pass
    text = "".join(parser.out).replace("\xa0", " ")
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
