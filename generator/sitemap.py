"""robots.txt and the sitemaps: an index at /sitemap.xml, at most 50,000 URLs per file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from xml.sax.saxutils import escape

from .outputs import OutputFile, RenderContext
from .pages import paginate
from .policy import PublicView
from .records import GROUNDS
from .settings import portal_settings

MAX_URLS = 50_000  # sitemaps.org: at most 50,000 URLs (and 50 MB) per file
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def absolute(siteurl: str, path: str) -> str:
    """The URL of a site path; root-relative when SITEURL is empty (local builds)."""
    return f"{siteurl.rstrip('/')}/{path}"


def site_urls(
    view: PublicView, per_page: int, extra: Iterable[str], records: bool
) -> Iterator[tuple[str, date | None]]:
    """Every page a crawler should know, in a stable order; first pages of lists only."""
    yield "", None
    yield "debtors/", None
    yield "courts/", None
    yield from ((f"courts/{slug}/", None) for slug in view.by_court())
    yield "regions/", None
    yield from ((f"regions/{code}/", None) for code in view.by_region())
    yield "grounds/", None
    yield from ((f"grounds/{code}/", None) for code in GROUNDS)
    yield "removals/", None
    yield from ((url, None) for url in extra)
    if records:
        yield from ((r.url, r.listed_on) for r in sorted(view.public, key=lambda r: r.id))


def _urlset(siteurl: str, urls: Iterable[tuple[str, date | None]]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{_NS}">']
    for path, lastmod in urls:
        loc = escape(absolute(siteurl, path))
        mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{loc}</loc>{mod}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def render(ctx: RenderContext, extra: Iterable[str] = ()) -> Iterator[OutputFile]:
    """sitemap.xml (an index) + sitemaps/sitemap-<n>.xml + robots.txt."""
    portal = portal_settings(ctx.settings)
    siteurl = ctx.settings.get("SITEURL", "")
    news = [n.url for n in ctx.news]
    urls = list(site_urls(ctx.view, portal["PORTAL_PER_PAGE"], [*news, *extra], not portal["PORTAL_NOINDEX_RECORDS"]))
    index = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{_NS}">']
    for pager, chunk in paginate("", urls, MAX_URLS):
        path = f"sitemaps/sitemap-{pager.number}.xml"
        yield OutputFile(path, _urlset(siteurl, chunk))
        index.append(f"<sitemap><loc>{escape(absolute(siteurl, path))}</loc></sitemap>")
    index.append("</sitemapindex>\n")
    yield OutputFile("sitemap.xml", "\n".join(index).encode("utf-8"))
    robots = [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /search/?",
        "Allow: /",
        f"Sitemap: {absolute(siteurl, 'sitemap.xml')}",
        "",
    ]
    yield OutputFile("robots.txt", "\n".join(robots).encode("utf-8"))
