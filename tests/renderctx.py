"""Build a RenderContext the way the site build does, from fixture record files, and write a
renderer's output the way the build does (public files in the output, state=True files in
the state folder)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from generator.domain.policy import PublicView, decide
from generator.read.checker import check_paths
from generator.render.outputs import Delta, NewsItem, OutputFile, RenderContext

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
    return decide(result.records, as_of)


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
    state: Path | None = None,
) -> RenderContext:
    s = {**SETTINGS, **(settings or {})}
    return RenderContext(view, s, news or [], theme_env(s), state)


def write_outputs(files: Iterable[OutputFile], output: Path, state: Path) -> dict[str, bytes]:
    """Write files as the build does; return the public ones by path."""
    public: dict[str, bytes] = {}
    for f in files:
        target = (state if f.state else output) / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
        if not f.state:
            public[f.path] = f.data
    return public


def delta_of(before: PublicView, after: PublicView, live: Path, news_same: bool = True) -> Delta:
    """The Delta an incremental build from `before` to `after` gets (generator.build.incremental)."""
    old = {r.id: r.digest for r in before.public}
    new = {r.id: r.digest for r in after.public}
    return Delta(
        added=frozenset(new.keys() - old.keys()),
        removed=frozenset(old.keys() - new.keys()),
        changed=frozenset(k for k in new.keys() & old.keys() if new[k] != old[k]),
        same_as_of=before.as_of == after.as_of,
        same_news=news_same,
        same_withheld=(before.withheld_names, before.withheld_case_numbers)
        == (after.withheld_names, after.withheld_case_numbers),
        same_notices=repr(before.notices) == repr(after.notices),
        live=live,
    )


def rendered(render: Any, ctx: RenderContext, **kwargs: Any) -> dict[str, bytes]:
    return {f.path: f.data for f in render(ctx, **kwargs)}
