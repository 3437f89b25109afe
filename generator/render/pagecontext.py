"""The template variables every page of ours starts from: the Pelican settings, PORTAL_*
defaults filled in, and the view's date. Renderers add their own variables on top."""

from __future__ import annotations

from typing import Any

from generator.render.outputs import RenderContext
from generator.settings import PORTAL_DEFAULTS


def page_context(ctx: RenderContext) -> dict[str, Any]:
    out: dict[str, Any] = {name: default for name, (default, _help) in PORTAL_DEFAULTS.items()}
    out.update(ctx.settings)
    out["SITEURL"] = str(out.get("SITEURL") or "").rstrip("/")
    out["as_of"] = ctx.view.as_of
    return out
