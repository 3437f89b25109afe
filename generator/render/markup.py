"""The two filters that turn Markdown HTML into what the theme may show: `sanitize` (nh3's
allow-list) and `plain` (text only). Used by the theme's templates (in the Pelican build and
in pages.theme_env) and for news items; here, below every caller, so none imports upward."""

from __future__ import annotations

import html as htmllib
from typing import Any

import nh3
from markupsafe import Markup


def sanitize(value: Any) -> Markup:
    """Markdown HTML → HTML safe to embed: nh3's allow-list (no script, style, on*…)."""
    return Markup(nh3.clean(str(value or "")))


def plain(value: Any) -> str:
    """HTML → its text, for summaries and the search index."""
    return " ".join(htmllib.unescape(nh3.clean(str(value or ""), tags=set())).split())
