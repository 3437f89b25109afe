"""The template variables every page of ours starts from: the Pelican settings, PORTAL_*
defaults filled in, and the view's date. Renderers add their own variables on top."""

from __future__ import annotations

from typing import Any

from generator.render.outputs import RenderContext
from generator.settings import PORTAL_DEFAULTS


def settings_context(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings part alone: for a page that does not show the date (and whose inputs,
    outputs.Lazy, therefore do not hold it)."""
    out: dict[str, Any] = {name: default for name, (default, _help) in PORTAL_DEFAULTS.items()}
    out.update(settings)
    out["SITEURL"] = str(out.get("SITEURL") or "").rstrip("/")
    return out


def page_context(ctx: RenderContext) -> dict[str, Any]:
    out = settings_context(ctx.settings)
    out["as_of"] = ctx.view.as_of
    return out
