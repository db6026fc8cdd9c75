"""The HTML report is one self-contained file that a real browser renders, on screen and in
print: opened in headless Chromium, its text is checked and a screenshot is taken."""

from __future__ import annotations

import io
import re
import shutil
import sys
from pathlib import Path

import matplotlib.image
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "case"))
import case_scenario as sc  # noqa: E402

from tracecheck.reports.ico import load_config, render  # noqa: E402

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "ico"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("no Chromium found (/usr/bin/chromium); install it with scripts/setup-system.sh")


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    store = sc.build_case(tmp_path_factory.mktemp("html") / "case")
    text = render(store.snapshot(), load_config(GOLDEN / "tracecheck.toml"), "html")
    store.close()
    return text


def test_html_is_self_contained(html):
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    # every src/href/url() points inside the document (SVG clip paths and glyphs)
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html) + re.findall(r"url\(([^)]*)\)",
                                                                           html)
    assert refs and all(r.strip("'\"").startswith("#") for r in refs), refs
    assert html.count("<svg") == 3  # over time, per consumer domain, per sender
    assert "@media print" in html


@pytest.mark.browser
def test_chromium_renders_text_charts_and_a_screenshot(html, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = _chromium()
    page_file = tmp_path / "report.html"
    page_file.write_text(html, encoding="utf-8")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            text = page.inner_text("body")
            contained = page.inner_text("section#containment")
            svg_boxes = [el.bounding_box() for el in page.query_selector_all("figure svg")]
            shot = page.screenshot(full_page=True)
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4")
        finally:
            browser.close()
    assert "Personal data breach report (draft for the ICO)" in text
    assert "Example Contact Services Ltd" in text
    assert "Approximate number of data subjects" in text
    assert "72-hour deadline" in text and "j***@gmail.com" in text
    assert sc.NHS1 not in text and sc.JANE not in text
    # the containment section (issue 17): counts by status and the confirmation dates
    assert "What has been done to contain it" in contained
    assert re.search(r"deleted\s+1", contained) and re.search(r"requested\s+1", contained)
    assert re.search(r"First confirmation of deletion:?\s+2021-03-13T09:30:00Z", contained)
    assert sc.JANE not in contained and sc.BOB not in contained
    assert requests == [page_file.as_uri()]  # nothing fetched beyond the file itself
    assert len(svg_boxes) == 3 and all(b and b["width"] > 300 and b["height"] > 80
                                       for b in svg_boxes)
    # a PNG of sensible size that is not blank
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(shot[16:20], "big")
    height = int.from_bytes(shot[20:24], "big")
    assert width == 1200 and 2000 < height < 30000
    pixels = matplotlib.image.imread(io.BytesIO(shot), format="png")[..., :3]
    ink = (pixels.mean(axis=2) < 0.9).mean()  # share of pixels darker than near-white
    assert 0.01 < ink < 0.6, f"screenshot looks blank or solid (ink {ink:.3f})"
    assert len(set(map(tuple, pixels.reshape(-1, 3)[::97].round(2).tolist()))) > 10
    assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000
