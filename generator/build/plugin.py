"""The Pelican plugin: records in, site pages and every other output out.

Registered from pelicanconf.py (PLUGINS = ["generator.build.plugin"]; the former name
"generator.pelican_plugin" still works). It touches Pelican only at its extension points:

- `initialized`: a plain `pelican content` run starts a Build here (generator.build.pipeline):
  the records are checked and the PublicView decided before Pelican writes anything, and the
  output goes into a new generation folder. `chenglai build` starts its Build itself and hands
  it to Pelican on the Pelican object (never inside the settings dict).
- `generator_init`: autoescape on, the theme's filters and globals, in every generator;
- `get_generators`: RecordsGenerator, which renders every renderer's files through the Build;
- `finalized`: a plain `pelican` run finishes its Build here (leak gate, commit).

News and static pages stay on Pelican's Markdown path; their HTML is sanitised with nh3 by the
`sanitize` filter the templates use.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pelican import signals
from pelican.generators import Generator

from generator.build.pipeline import BUILD_ATTR, PENDING, Build
from generator.render import pages
from generator.render.markup import plain, sanitize
from generator.render.outputs import NewsItem, PageItem

PLUGIN = "generator.build.plugin"
PLUGIN_NAMES = (PLUGIN, "generator.pelican_plugin")  # the second: its former name
# Static pages written by a renderer of ours, not by Pelican: /data/ shows the open data files'
# sizes, known only once generator.render.exports has made them (after Pelican writes its pages).
OWN_PAGES = ("data",)


def _ours(settings: dict[str, Any]) -> bool:
    # Pelican's signals are process-wide: stay out of runs that did not load this plugin
    return any(getattr(p, "__name__", p) in PLUGIN_NAMES for p in (settings.get("PLUGINS") or []))


def _initialized(pelican: Any) -> None:
    if not _ours(pelican.settings) or getattr(pelican, BUILD_ATTR, None) is not None:
        return
    build = PENDING.get()  # `chenglai build` (generator.build.pipeline.build_site)
    if build is None:  # a plain `pelican content` run: its own Build, finished in `finalized`
        build = Build.start(pelican.settings)
        build.finish_in_finalized = True
    build.attach(pelican)


def _generator_init(generator: Any) -> None:
    if not _ours(generator.settings):
        return
    env = generator.env
    env.autoescape = True  # whatever JINJA_ENVIRONMENT says: no unescaped value reaches a page
    env.filters.update({"sanitize": sanitize, "plain": plain})
    pages.install(env, generator.settings)


def _get_generators(pelican: Any) -> Any:
    build = getattr(pelican, BUILD_ATTR, None)
    if build is None or not _ours(pelican.settings):
        return None
    # a class per build: Pelican makes the generator itself, from its class
    return type("RecordsGenerator", (RecordsGenerator,), {"build": build})


def _finalized(pelican: Any) -> None:
    build = getattr(pelican, BUILD_ATTR, None)
    if build is not None and getattr(build, "finish_in_finalized", False):
        build.finish()


def register() -> None:
    signals.initialized.connect(_initialized)
    signals.generator_init.connect(_generator_init)
    signals.get_generators.connect(_get_generators)
    signals.finalized.connect(_finalized)


def news_items(articles: list[Any]) -> list[NewsItem]:
    """Pelican's published articles as NewsItems (sanitised HTML, plain text), newest first."""
    items = []
    for a in articles:
        body = str(sanitize(a.content))
        when = a.date.date() if isinstance(a.date, datetime) else a.date
        assert isinstance(when, date)
        items.append(
            NewsItem(
                slug=a.slug, title=plain(a.title), url=a.url, date=when, summary=plain(getattr(a, "summary", "")),
                text=plain(body), html=body,
            )  # fmt: skip
        )
    items.sort(key=lambda n: (-n.date.toordinal(), n.slug))
    return items


class RecordsGenerator(Generator):
    """Hands the theme, the news and the static pages' menu to the Build, which renders."""

    build: Any = None

    def generate_context(self) -> None:
        site_pages = [
            {"title": plain(p.title), "url": p.url}
            for p in sorted(self.context.get("pages", []), key=lambda p: (getattr(p, "menu_order", 0), p.slug))
        ]
        # shared with Pelican's own templates (news, static pages) through the context
        self.context["site_pages"] = site_pages
        self.env.globals["site_pages"] = site_pages
        self.own_pages: dict[str, PageItem] = {}
        for p in self.context.get("pages", []):
            if p.slug in OWN_PAGES:
                # Pelican's writer skips an empty save_as (its own `Save_as:` metadata does the same)
                p.override_save_as = ""
                self.own_pages[p.slug] = PageItem(
                    slug=p.slug, title=plain(p.title), url=p.url, summary=plain(getattr(p, "summary", "")),
                    html=str(sanitize(p.content)),
                )  # fmt: skip

    def generate_output(self, writer: Any) -> None:
        news = news_items(self.context.get("articles", []))
        self.build.render(self.env, news, self.context["site_pages"], self.own_pages)
