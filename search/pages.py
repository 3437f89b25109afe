"""The static /search/ page: the service's form page, written with the site (works with no service)."""

from __future__ import annotations

from collections.abc import Iterable

import jinja2

from generator.render.outputs import OutputFile, RenderContext, Single

from .indexer import site_info, templates_dir
from .service import render_page


def render(ctx: RenderContext) -> Iterable[OutputFile]:
    """search/index.html: the form with filter choices and a note that results need the service."""
    env = ctx.env
    if env is None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir(ctx))), autoescape=True)
    yield OutputFile("search/index.html", render_page(env, site_info(ctx), static=True))


RENDERER = Single("search", render)
