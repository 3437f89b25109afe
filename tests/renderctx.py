"""Build a RenderContext the way the site build does, from fixture record files, and make a
renderer's files the way the build's sink does when it keeps nothing (every Lazy made)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from generator.domain.policy import PublicView, decide, facts
from generator.read.checker import check_paths
from generator.render.outputs import Lazy, NewsItem, Output, RenderContext, Renderer, render_all

from .factory import AS_OF, write

THEME_TEMPLATES = Path(__file__).resolve().parent.parent / "theme" / "templates"


def view_of(folder: Path, recs: Iterable[dict[str, Any]], as_of: date = AS_OF) -> PublicView:
    """Write the records into `folder` (replacing what was there), check them, decide."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for i, rec in enumerate(recs):
        write(folder, f"r{i:03d}.yaml", rec)
    result = check_paths([folder])
    assert not result.errors, result.errors
    return decide([facts(src) for src in result.records], as_of)


def theme_env(settings: dict[str, Any]) -> jinja2.Environment:
    """The theme's Environment with the globals base.html needs (the build uses Pelican's,
    which, like this one, leaves undefined optional globals empty)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEME_TEMPLATES), autoescape=True)
    env.globals.update(
        SITENAME=settings.get("SITENAME", ""),
        SITEURL=settings.get("SITEURL", ""),
        PORTAL_DEMO=settings.get("PORTAL_DEMO", False),
        PORTAL_SEARCH_URL=settings.get("PORTAL_SEARCH_URL", "/search/"),
        query="",
    )
    return env


SETTINGS: dict[str, Any] = {"SITENAME": "失信被执行人名单公示（测试）", "SITEURL": "", "PORTAL_DEMO": True}


def context(
    view: PublicView,
    settings: dict[str, Any] | None = None,
    news: list[NewsItem] | None = None,
    previous: dict[str, Any] | None = None,
) -> RenderContext:
    """`previous`: what renderers recorded in the build before (its ctx.recorded)."""
    s = {**SETTINGS, **(settings or {})}
    return RenderContext(view, s, news or [], theme_env(s), previous=dict(previous or {}))


def materialise(files: Iterable[Output]) -> dict[str, bytes]:
    """path → bytes of a renderer's files: an OutputFile's data, a Lazy's make()."""
    return {f.path: f.make() if isinstance(f, Lazy) else f.data for f in files}


def rendered(renderer: Renderer, ctx: RenderContext) -> dict[str, bytes]:
    """Every file of `renderer`, made."""
    return materialise(render_all(renderer, ctx))
