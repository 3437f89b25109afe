"""What every renderer receives and returns: the seam between the build and its outputs.

The build computes one RenderContext (from the PublicView) and hands it to each renderer in
RENDERERS; a renderer yields files. A file is either made at once (`OutputFile`) or named with
the inputs it is made from (`Lazy`): the build's sink (generator.build.sink) then calls `make`
only when no kept build holds the bytes made from the same inputs — the one fast path
(ARCHITECTURE.md, "the rule for fast paths"). A renderer never reads content or state itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from generator.domain.policy import PublicRecord, PublicView, RemovalNotice
from generator.state.store import DIGEST_ONCE, Namespace, Store, digest_of


@dataclass(frozen=True)
class OutputFile:
    """One file of the public output: a path relative to the output folder ('/'-separated)."""

    path: str
    data: bytes


@dataclass(frozen=True)
class Lazy:
    """A file named by what it is made from: `make()` gives its bytes, and is a pure function
    of `inputs` (and of the theme, settings and code: RenderContext.fingerprint)."""

    path: str
    inputs: tuple[Any, ...]
    make: Callable[[], bytes]


Output = OutputFile | Lazy
# records and notices sit in many outputs' inputs: each digested once per build (store.DIGEST_ONCE)
DIGEST_ONCE.update({PublicRecord, RemovalNotice})


@dataclass(frozen=True)
class NewsItem:
    """A published news article, as renderers other than Pelican's need it."""

    slug: str
    title: str
    url: str  # relative to the site root, e.g. "news/some-slug/"
    date: date
    summary: str  # plain text
    text: str  # plain text of the body, for search
    html: str  # sanitised body HTML


@dataclass(frozen=True)
class PageItem:
    """A static page (content/pages/*.md) that one of our renderers shows: /data/ lists the open
    data files (their sizes are known only once they are made) above the page's own text."""

    slug: str
    title: str
    url: str  # relative to the site root, e.g. "data/"
    summary: str  # plain text
    html: str  # sanitised body HTML


@dataclass
class RenderContext:
    view: PublicView
    settings: dict[str, Any]  # Pelican settings (SITEURL, SITENAME, PORTAL_*…)
    news: list[NewsItem] = field(default_factory=list)
    env: Any = None  # the theme's jinja2.Environment (autoescape on)
    # the store of this build (memos of smaller pure functions, e.g. one record's CSV row); a
    # store that reads nothing on `--full` builds and outside a build
    store: Store = field(default_factory=lambda: Store(None, reading=False, version="-"))
    # digest of the theme, the settings and the code: part of every memo's digest
    fingerprint: str = ""
    # what renderers recorded in the live build for the next one (by renderer name; e.g. the
    # open data's daily change history), read-only; and what they record in this one
    previous: dict[str, Any] = field(default_factory=dict)
    recorded: dict[str, Any] = field(default_factory=dict)
    # CHENGLAI_CERT_SECRET of this build (None: unset, no /verify/ pages); in memory only: an
    # output names it by certificates.key_id, never in clear
    cert_secret: bytes | None = field(default=None, repr=False)
    # the static pages our renderers write themselves (generator.build.plugin.OWN_PAGES), by slug
    pages: dict[str, PageItem] = field(default_factory=dict)

    def digest(self, *values: Any) -> str:
        """The digest of a producing function's inputs, for this theme, settings and code."""
        return digest_of(self.fingerprint, *values)

    def memo(self, name: str) -> Namespace:
        """A memo namespace of the build's store (rule 3: a smaller pure function memoised)."""
        return self.store.ns(name)


@runtime_checkable
class Renderer(Protocol):
    """One family of outputs. `jobs(ctx)` splits the work into units (one or many); `run(ctx,
    job)` yields the files of one unit. With `parallel` True the units may run in forked
    workers (they then must not set ctx.recorded); otherwise all run in the build's process."""

    name: str
    parallel: bool

    def jobs(self, ctx: RenderContext) -> Sequence[Any]: ...

    def run(self, ctx: RenderContext, job: Any) -> Iterable[Output]: ...


class Single:
    """A Renderer of one unit from a function `render(ctx) -> files` (run in the build's process)."""

    parallel = False

    def __init__(self, name: str, render: Callable[[RenderContext], Iterable[Output]]):
        self.name = name
        self._render = render

    def jobs(self, ctx: RenderContext) -> Sequence[Any]:
        return [None]

    def run(self, ctx: RenderContext, job: Any) -> Iterable[Output]:
        return self._render(ctx)


def render_all(renderer: Renderer, ctx: RenderContext) -> Iterable[Output]:
    """Every file of one renderer, in this process (tests, small sites)."""
    for job in renderer.jobs(ctx):
        yield from renderer.run(ctx, job)


# "module:attribute" names of Renderer objects, in the order they run.
RENDERERS: list[str] = [
    "generator.render.pages:RENDERER",
    "generator.render.sitemap:RENDERER",
    "generator.render.feeds:RENDERER",
    "generator.render.exports:RENDERER",
    "generator.render.notices:RENDERER",
    "generator.render.verify:RENDERER",
    "generator.render.stats:RENDERER",
    "generator.render.kindpages:RENDERER",
    "generator.render.kindexports:RENDERER",
    "generator.render.favicon:RENDERER",
    "search.pages:RENDERER",
]


# "module:function" of the search index writer: (ctx, index_dir, live_index, live_docs) -> IndexResult
INDEXER = "search.indexer:build"


def _resolve(name: str) -> Any:
    module, attr = name.split(":")
    return getattr(importlib.import_module(module), attr)


def renderers() -> list[Renderer]:
    return [_resolve(n) for n in RENDERERS]


def indexer() -> Any:
    return _resolve(INDEXER)
