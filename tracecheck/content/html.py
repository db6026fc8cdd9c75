"""HTML → plain text for scanning, on the lexbor HTML5 parser (selectolax).

Owns only the conversion: drops script/style/head/template, keeps every text node on its
own line (so table cells and paragraphs never run together), and folds white space within a
line. A document the parser cannot handle falls back to the stdlib `html.parser` tokenizer.
It does not sanitise HTML for display (reports escape their own output).
"""

from __future__ import annotations

from html.parser import HTMLParser

_DROP_CSS = "script, style, head, template, noscript"
_BLOCK = frozenset(
    "p div br tr li ul ol table h1 h2 h3 h4 h5 h6 blockquote pre section article header "
    "footer hr dt dd title td th".split()
)
_DROP = frozenset({"script", "style", "head", "template", "noscript"})


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, one text run per line."""
    return fold_lines(html_text(html))


def html_text(html: str) -> str:
    """`html_to_text` before `fold_lines`: the text runs with their white space as written
    (the MIME walker folds an HTML part only when it keeps it)."""
    try:
        return _lexbor(html)
    except Exception:  # selectolax/lexbor refusing hostile input: use html.parser
        return _stdlib(html)


def fold_lines(text: str) -> str:
    """Runs of white space within a line folded to one space, lines stripped, empty lines
    dropped (str.split and the regex `\\s` agree on what white space is)."""
    return "\n".join(folded for folded in (" ".join(line.split()) for line in text.split("\n"))
                     if folded)


def _lexbor(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css(_DROP_CSS):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    return str(root.text(separator="\n"))


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

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop = max(0, self.drop - 1)
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.drop:
            self.out.append(data)


def _stdlib(html: str) -> str:
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # stdlib html.parser failing: keep what was read so far
        pass
    return "".join(parser.out)
