"""Page weight: what a phone on a slow line downloads (issue 8).

A record page ≤ 10 KB of HTML, all the theme's CSS ≤ 20 KB, and no web fonts: the system's CJK
fonts are used, never downloaded.
"""

from __future__ import annotations

import re
from pathlib import Path

from .factory import ORG_DEBTOR, record
from .sitefixture import make_site

STATIC = Path(__file__).resolve().parent.parent / "theme" / "static"
FONT_FILES = re.compile(r"\.(woff2?|ttf|otf|eot)$", re.IGNORECASE)


def test_theme_css_at_most_20_kb_and_no_web_fonts():
    css = sorted(STATIC.rglob("*.css"))
    assert css, "theme/static has no CSS"
    total = sum(p.stat().st_size for p in css)
    assert total <= 20 * 1024, f"CSS {total} bytes: " + ", ".join(f"{p.name} {p.stat().st_size}" for p in css)
    for p in css:
        text = p.read_text(encoding="utf-8")
        assert "@font-face" not in text, p
        assert "@import" not in text, p  # would fetch more CSS behind the measured files
    assert not [p for p in STATIC.rglob("*") if FONT_FILES.search(p.name)]


def test_record_pages_at_most_10_kb_and_no_fonts_in_output(tmp_path):
    """Built with the longest obligation a record may hold (500 characters) and three grounds."""
    longest = record(
        obligation=("支付货款及利息" * 72)[:500],
        grounds=["evades_by_fraud", "violates_asset_report", "violates_consumption_ban"],
        debtor__name="欧阳长义",
    )
    org = record(
        case_number="（2025）鲁0502执77号", debtor=dict(ORG_DEBTOR), vetting__decision="（2025）鲁0502执77号之一"
    )
    site = make_site(tmp_path, {"lu0502/long.yaml": longest, "lu0502/org.yaml": org})
    site.build()
    pages = sorted(site.output.glob("debtors/*/index.html"))
    assert len(pages) == 2
    for page in pages:
        assert page.stat().st_size <= 10 * 1024, f"{page}: {page.stat().st_size} bytes"
    css = sorted(site.output.rglob("*.css"))
    assert css and sum(p.stat().st_size for p in css) <= 20 * 1024
    assert not [p for p in site.output.rglob("*") if FONT_FILES.search(p.name)]
    for p in site.output.rglob("*.html"):
        assert b"@font-face" not in p.read_bytes(), p
