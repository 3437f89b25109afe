"""Page weight: what a phone on a slow line downloads (issue 8).

A record page ≤ 10 KB of HTML, all the theme's CSS ≤ 20 KB, and no web fonts: the system's CJK
fonts are used, never downloaded.
"""

from __future__ import annotations

import re
from pathlib import Path

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
