"""robots.txt and the sitemaps: an index at /sitemap.xml, at most 50,000 URLs per file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date
from operator import attrgetter
from xml.sax.saxutils import escape

from generator.domain.policy import PublicView
from generator.domain.records import GROUNDS
from generator.render.outputs import OutputFile, RenderContext
from generator.render.pages import paginate, records_of
from generator.settings import portal_settings

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
        yield from ((r.url, r.listed_on) for r in sorted(view.public, key=attrgetter("id")))


def _url_line(siteurl: str, path: str, lastmod: date | None) -> str:
    mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(absolute(siteurl, path))}</loc>{mod}</url>"


def _urlset(siteurl: str, urls: Iterable[tuple[str, date | None]]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{_NS}">']
    lines += (_url_line(siteurl, path, lastmod) for path, lastmod in urls)
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


MEMO = "sitemap"  # RenderContext.memo: "@key" → (key, [paths]); each file → (key, its bytes)
# Past this many changed records the files are made again rather than checked line by line.
CHECK_MAX = 1000


def _kept(ctx: RenderContext, key: str, siteurl: str, records: bool) -> list[tuple[str, bytes]] | None:
    """The live build's sitemaps, when this build's are the same bytes (None: unknown, make
    them): the same URLs but the records' (`key`: settings, every other URL, how many records),
    no record added or removed (the same ids, in the same order), and each changed record's
    line — its lastmod, its listing date — found as it is in the live build's files."""
    delta = ctx.delta
    head = ctx.memo.get(MEMO, {}).get("@key")
    if delta is None or head is None or head[0] != key or delta.added or delta.removed:
        return None
    known = ctx.memo[MEMO]
    files = [(path, known[path][1]) for path in head[1] if known.get(path, ("",))[0] == key]
    if len(files) != len(head[1]):
        return None
    if records and delta.changed:
        if len(delta.changed) > CHECK_MAX:
            return None
        for r in records_of(ctx.view.public, delta.changed):
            line = _url_line(siteurl, r.url, r.listed_on).encode() + b"\n"
            if not any(line in data for path, data in files if path.startswith("sitemaps/")):
                return None
    return files


def render(ctx: RenderContext, extra: Iterable[str] = ()) -> Iterator[OutputFile]:
    """sitemap.xml (an index) + sitemaps/sitemap-<n>.xml + robots.txt. An incremental build
    whose records changed in place, their listing dates kept, has the live build's sitemaps
    (ctx.memo, ctx.delta): 100,000 URLs are not sorted and written again."""
    portal = portal_settings(ctx.settings)
    siteurl = ctx.settings.get("SITEURL", "")
    news = [n.url for n in ctx.news]
    records = not portal["PORTAL_NOINDEX_RECORDS"]
    others = list(site_urls(ctx.view, portal["PORTAL_PER_PAGE"], [*news, *extra], False))
    count = len(ctx.view.public) if records else 0
    key = hashlib.blake2b(repr((siteurl, records, others, count)).encode(), digest_size=16).hexdigest()
    files = _kept(ctx, key, siteurl, records)
    if files is None:
        files = list(_files(ctx.view, siteurl, others, records))
    ctx.memo[MEMO] = {"@key": (key, [path for path, _data in files]), **{path: (key, data) for path, data in files}}
    for path, data in files:
        yield OutputFile(path, data)
    robots = [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /search/?",
        "Allow: /",
        f"Sitemap: {absolute(siteurl, 'sitemap.xml')}",
        "",
    ]
    yield OutputFile("robots.txt", "\n".join(robots).encode("utf-8"))


def _files(
    view: PublicView, siteurl: str, others: list[tuple[str, date | None]], records: bool
) -> Iterator[tuple[str, bytes]]:
    urls = others
    if records:
        urls = [*others, *((r.url, r.listed_on) for r in sorted(view.public, key=attrgetter("id")))]
    index = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{_NS}">']
    for pager, chunk in paginate("", urls, MAX_URLS):
        path = f"sitemaps/sitemap-{pager.number}.xml"
        yield path, _urlset(siteurl, chunk)
        index.append(f"<sitemap><loc>{escape(absolute(siteurl, path))}</loc></sitemap>")
    index.append("</sitemapindex>\n")
    yield "sitemap.xml", "\n".join(index).encode("utf-8")
