"""What every renderer receives and returns: the seam between the build and its outputs.

The build computes one RenderContext (from the PublicView) and hands it to each renderer
listed here; renderers return files, the build writes them into the staging folder, runs
the leak gate over everything, and swaps. A renderer never reads content itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from generator.domain.policy import PublicView


@dataclass(frozen=True)
class OutputFile:
    """One file of the public output: a path relative to the output folder ('/'-separated)."""

    path: str
    data: bytes
    # True: written under the state folder (manifests a later build reads), never public
    state: bool = False


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
class Delta:
    """What changed since the live build, for a renderer that updates its outputs from what it
    kept (its `memo`) instead of recomputing them over every record: the public records by id.
    Set on incremental builds only (generator.build.incremental.Session.begin): the live build had
    the same code, theme and settings, and left its output in `live`."""

    added: frozenset[str]  # public now, not in the live build
    removed: frozenset[str]  # public in the live build, not now
    changed: frozenset[str]  # public in both, with a different digest
    same_as_of: bool  # the live build's as_of was this build's
    same_news: bool  # the news items are the live build's
    same_withheld: bool  # the withheld names and case numbers are the live build's
    same_notices: bool  # the removal notices are the live build's
    live: Path  # the live output folder (its files are the live build's, read-only)

    @property
    def records_only(self) -> bool:
        """Only public records changed, in place: none added or removed, the same date, news,
        withheld strings and notices."""
        return (not self.added and not self.removed and self.same_as_of and self.same_news
                and self.same_withheld and self.same_notices)  # fmt: skip


@dataclass
class RenderContext:
    view: PublicView
    settings: dict[str, Any]  # Pelican settings (SITEURL, SITENAME, PORTAL_*…)
    news: list[NewsItem] = field(default_factory=list)
    env: Any = None  # the theme's jinja2.Environment (autoescape on)
    state: Path | None = None  # the previous build's state folder (manifests…); read-only
    # incremental builds (generator.build.incremental): a renderer that writes one page per public
    # record and names its path pattern in RECORD_PAGES (e.g. "{url}notice/index.html") renders
    # only the records whose id is in `changed` (None: every record); the others keep the page
    # the live build has
    changed: frozenset[str] | None = None
    # per-record results of a renderer kept from the previous build, keyed by record id, each
    # (record digest, value); what a renderer puts here is kept for the next build
    memo: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    # incremental builds: what changed since the live build (None: a full build, or unknown)
    delta: Delta | None = None


Renderer = Callable[[RenderContext], Iterable[OutputFile]]
# A renderer of one page per record may also offer, in its module, `prepare(ctx) -> prep` (with
# `prep.wanted`: the records whose pages it renders), `pages(ctx, prep, records)` and
# `finish(ctx, prep)` (everything else, state files included): the site build then renders the
# pages on every core (render(ctx) stays prepare + pages of prep.wanted + finish).
SPLIT_RENDERER = ("RECORD_PAGES", "prepare", "pages", "finish")
Indexer = Callable[[RenderContext, Path], None]

# "module:function" names; each issue's module adds itself here.
RENDERERS: list[str] = [
    "generator.render.feeds:render",
    "generator.render.exports:render",
    "generator.render.notices:render",
    "generator.render.stats:render",
    "search.pages:render",
]
INDEXERS: list[str] = [
    "search.indexer:build",
]


def _resolve(name: str) -> Callable[..., Any]:
    module, func = name.split(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def renderers() -> list[Renderer]:
    return [_resolve(n) for n in RENDERERS]


def indexers() -> list[Indexer]:
    return [_resolve(n) for n in INDEXERS]
