"""robots.txt and the sitemaps: an index at /sitemap.xml, at most 50,000 URLs per file.

Each sitemap file is an outputs.Lazy named by the URLs it lists (and the site URL they are
made absolute with): an edit that moves no URL and no listing date leaves them all as they were.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from operator import attrgetter
from xml.sax.saxutils import escape

from generator.domain.policy import PublicView
from generator.domain.records import GROUNDS
from generator.render.outputs import Lazy, OutputFile, RenderContext, Single
from generator.render.pages import paginate
from generator.settings import portal_settings

MAX_URLS = 50_000  # sitemaps.org: at most 50,000 URLs (and 50 MB) per file
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

Url = tuple[str, date | None]  # a site path and its lastmod


def absolute(siteurl: str, path: str) -> str:
    """The URL of a site path; root-relative when SITEURL is empty (local builds)."""
    return f"{siteurl.rstrip('/')}/{path}"


def list_pages(base: str, count: int, per_page: int) -> Iterator[Url]:
    """Every page of a paginated list: /base/, /base/page/2/, … (pages.Pager's URLs)."""
    for pager, _rows in paginate(base, range(count), per_page):
        yield pager.url(pager.number), None


def site_urls(
    view: PublicView, per_page: int, extra: Iterable[str], records: bool, persons: bool = True,
    news: int = 0, news_per_page: int = 20,
) -> Iterator[Url]:
    """Every page a crawler should know, in a stable order: every page of every list, the
    news, statistics, feeds and static pages; record pages when `records` (`persons`: those of natural persons too). `news`: the number of
    news articles (Pelican paginates /news/ by `news_per_page`)."""
    yield "", None
    yield from list_pages("debtors/", len(view.public), per_page)
    yield "courts/", None
    for slug, rows in view.by_court().items():
        yield from list_pages(f"courts/{slug}/", len(rows), per_page)
    yield "regions/", None
    for code, rows in view.by_region().items():
        yield from list_pages(f"regions/{code}/", len(rows), per_page)
    yield "grounds/", None
    groups = view.by_ground()
    for code in GROUNDS:
        yield from list_pages(f"grounds/{code}/", len(groups.get(code, [])), per_page)
    yield from list_pages("removals/", len(view.notices), per_page)
    yield from list_pages("news/", news, news_per_page)
    # the other kinds' lists (SPEC §7); an item's page names a debtor, as a record page does
    yield from ((url, None) for url in ("publicity/", "restrictions/", "rewards/", "exposure/"))
    yield from ((b.url, b.published_on) for b in view.batches)
    yield "stats/", None
    yield "feeds/", None
    yield from ((url, None) for url in extra)
    if records:
        shown = view.public if persons else [r for r in view.public if r.kind != "person"]
        yield from ((r.url, r.listed_on) for r in sorted(shown, key=attrgetter("id")))


def _url_line(siteurl: str, path: str, lastmod: date | None) -> str:
    mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(absolute(siteurl, path))}</loc>{mod}</url>"


def urlset(siteurl: str, urls: Sequence[Url]) -> bytes:
    """One sitemap file."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{_NS}">']
    lines += (_url_line(siteurl, path, lastmod) for path, lastmod in urls)
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def sitemap_index(siteurl: str, paths: Sequence[str]) -> bytes:
    """/sitemap.xml: the list of the sitemap files."""
    index = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{_NS}">']
    index += (f"<sitemap><loc>{escape(absolute(siteurl, path))}</loc></sitemap>" for path in paths)
    index.append("</sitemapindex>\n")
    return "\n".join(index).encode("utf-8")


def static_pages(ctx: RenderContext) -> list[str]:
    """The URLs of Pelican's static pages: the theme's `site_pages` global (their footer links)."""
    globals_ = getattr(ctx.env, "globals", None) or {}
    return [str(p["url"]) for p in globals_.get("site_pages") or ()]


def render(ctx: RenderContext, extra: Iterable[str] | None = None) -> Iterator[OutputFile | Lazy]:
    """sitemap.xml (an index) + sitemaps/sitemap-<n>.xml + robots.txt. `extra`: the static
    pages' URLs (by default static_pages(ctx)); news URLs are added here."""
    portal = portal_settings(ctx.settings)
    siteurl = str(ctx.settings.get("SITEURL") or "")
    news = [n.url for n in ctx.news]
    pages = static_pages(ctx) if extra is None else list(extra)
    per_news_page = int(ctx.settings.get("DEFAULT_PAGINATION") or len(news) or 1)  # Pelican's /news/ pages
    urls = list(site_urls(ctx.view, portal["PORTAL_PER_PAGE"], [*news, *pages], not portal["PORTAL_NOINDEX_RECORDS"],
                          not portal["PORTAL_NOINDEX_PERSONS"], len(news), per_news_page))  # fmt: skip
    paths = []
    for pager, chunk in paginate("", urls, MAX_URLS):
        path = f"sitemaps/sitemap-{pager.number}.xml"
        paths.append(path)
        yield Lazy(path, (siteurl, chunk), functools.partial(urlset, siteurl, chunk))
    yield Lazy("sitemap.xml", (siteurl, paths), functools.partial(sitemap_index, siteurl, paths))
    robots = [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /search/?",
        "Allow: /",
        f"Sitemap: {absolute(siteurl, 'sitemap.xml')}",
        "",
    ]
    yield OutputFile("robots.txt", "\n".join(robots).encode("utf-8"))


RENDERER = Single("sitemap", render)
