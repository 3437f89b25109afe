"""Atom and RSS 2.0 feeds (feedgen), their OPML list and the /feeds/ page (SPEC §3).

Every feed is rendered from the PublicView, so it can hold nothing the site does not show.
Determinism: feedgen stamps now() and prepends entries by default; here every date comes
from the data (00:00 Asia/Shanghai of listed_on / removed_on / the news date), entries are
sorted explicitly and added with order="append".
Entry ids are `tag:` URIs from the record id (generator.render.siteurls), never the page URL.

Removal entries carry case number, court, date and reason only: a RemovalNotice has no
name or ID field to leak. The Atom removals feed also carries RFC 6721 `at:deleted-entry`
tombstones whose `ref` is the id the listing entry had, so a reader can drop the entry it
stored; so do the Atom listings feed and the court and region feeds the entry appeared in.
A feed's updated is its newest entry or tombstone date.

Each feed file is an outputs.Lazy named by what it is serialised from: its Feed (entries,
tombstones, titles), its Channel (the settings it states) and its updated date. An edit no
feed shows (e.g. of the obligation) leaves every feed's inputs as they were.
"""

from __future__ import annotations

import functools
import heapq
import html
import importlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from generator.domain import ids
from generator.domain.policy import PublicRecord, PublicView, RemovalNotice, newest_first, newest_removal_first
from generator.errors import BuildError
from generator.render.outputs import Lazy, NewsItem, RenderContext, Single
from generator.render.siteurls import day_start, setting, site_url, tag_uri, terms_url

TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"
ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
# XML 1.0 forbids these; lxml raises on them rather than writing a broken feed
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """Text without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    day: date
    link: str
    summary_html: str
    content_html: str | None = None
    categories: tuple[tuple[str, str], ...] = ()  # (term, label)


@dataclass(frozen=True)
class Tombstone:
    ref: str  # the id of the listing entry that is gone
    day: date
    comment: str


@dataclass
class Feed:
    """One feed before serialisation; `path` has no extension."""

    path: str
    title: str
    subtitle: str
    page: str  # the site page the feed mirrors (Atom alternate link, RSS channel link)
    entries: list[Entry]
    formats: tuple[str, ...] = ("atom",)
    tombstones: list[Tombstone] = field(default_factory=list)

    def file(self, fmt: str) -> str:
        return f"{self.path}.{fmt}"


@functools.cache
def _tombstone_extension() -> type:
    """Feed-level RFC 6721 `at:deleted-entry` elements; Atom only (RSS has no such thing).
    Made when a feed is first serialised: feedgen is imported only by a build that needs it."""
    from feedgen.ext.base import BaseExtension
    from lxml import etree

    class TombstoneExtension(BaseExtension):  # type: ignore[misc]
        def __init__(self) -> None:
            self.tombstones: list[Tombstone] = []

        def extend_ns(self) -> dict[str, str]:
            return {"at": TOMBSTONE_NS}

        def extend_atom(self, feed: Any) -> Any:
            for t in self.tombstones:
                el = etree.SubElement(
                    feed, f"{{{TOMBSTONE_NS}}}deleted-entry", ref=t.ref, when=day_start(t.day).isoformat()
                )
                etree.SubElement(el, f"{{{TOMBSTONE_NS}}}comment").text = clean(t.comment)
            return feed

    return TombstoneExtension


def _lines(pairs: Iterable[tuple[str, str | None]]) -> str:
    """A small HTML block of 'label：value' lines; values escaped, empty ones left out."""
    return "<p>" + "<br>".join(f"{html.escape(k)}：{html.escape(v)}" for k, v in pairs if v) + "</p>"


lines_html = _lines  # (public: the other kinds' feeds, generator.render.kindfeeds)
# "module:function" of the other kinds' feeds (SPEC §7): (view, settings) -> (group, Feed)…; named,
# not imported, since they are made of this module's Entry and Feed
MORE_FEEDS = ["generator.render.kindfeeds:feeds"]


def _amount(r: PublicRecord) -> str | None:
    return None if r.outstanding is None else f"{r.outstanding:.2f} 元"


def listing_id(settings: dict[str, Any], record_id: str) -> str:
    """The entry id of a record in every listing feed; tombstones refer to it."""
    return tag_uri(settings, f"debtor/{record_id}")


def listing_entry(settings: dict[str, Any], r: PublicRecord) -> Entry:
    if r.kind == "person":
        number = ("证件号码", r.id_masked)
    else:
        number = ("统一社会信用代码", r.uscc) if r.uscc else ("组织机构代码", r.org_code)
    summary = _lines([
        ("被执行人", r.name),
        ("类型", r.kind_label),
        number,
        ("法定代表人或负责人", r.legal_representative),
        ("执行案号", r.case_number),
        ("执行法院", r.court),
        ("地区", r.region_name),
        ("执行依据文号", r.basis_document),
        ("失信情形", "；".join(r.ground_labels)),
        ("履行情况", r.performance),
        ("未履行金额", _amount(r)),
        ("发布时间", r.listed_on.isoformat()),
        ("期限届满", r.term_ends_on.isoformat() if r.term_ends_on else None),
    ])  # fmt: skip
    return Entry(
        id=listing_id(settings, r.id),
        title=f"{r.name} · {r.case_number}",
        day=r.listed_on,
        link=site_url(settings, r.url),
        summary_html=summary,
        categories=tuple(zip(r.grounds, r.ground_labels, strict=True)),
    )


def removal_entry(settings: dict[str, Any], n: RemovalNotice) -> Entry:
    # Built from a RemovalNotice, which has no name or ID number to put here.
    summary = _lines([
        ("执行案号", n.case_number),
        ("执行法院", n.court),
        ("删除日期", n.removed_on.isoformat()),
        ("删除原因", n.reason_label),
    ])  # fmt: skip
    return Entry(
        id=tag_uri(settings, f"removal/{n.id}/{n.removed_on.isoformat()}"),
        title=f"删除公告 · {n.case_number}（{n.reason_label}）",
        day=n.removed_on,
        link=site_url(settings, f"removals/#{n.id}"),
        summary_html=summary,
        categories=((n.reason, n.reason_label),),
    )


def tombstone(settings: dict[str, Any], n: RemovalNotice) -> Tombstone:
    # The ref says which entry; the case number stays in the removal notices only.
    return Tombstone(listing_id(settings, n.id), n.removed_on, f"已删除：{n.reason_label}")


def news_entry(settings: dict[str, Any], item: NewsItem) -> Entry:
    return Entry(
        id=tag_uri(settings, f"news/{item.slug}"),
        title=item.title,
        day=item.date,
        link=site_url(settings, item.url),
        summary_html=f"<p>{html.escape(item.summary)}</p>",
        content_html=item.html,
    )


def _newest(records: Sequence[PublicRecord], limit: int) -> list[PublicRecord]:
    """= sorted(records, key=newest_first)[:limit], without sorting a court's whole list."""
    return heapq.nsmallest(limit, records, key=newest_first)


def _by_removal(notices: Iterable[RemovalNotice]) -> list[RemovalNotice]:
    return sorted(notices, key=newest_removal_first)


def feeds(view: PublicView, news: list[NewsItem], settings: dict[str, Any]) -> Iterator[tuple[str, Feed]]:
    """Every feed of the site with its group (综合 / 法院 / 地区) and entries, in a stable order."""
    limit = int(setting(settings, "PORTAL_FEED_LIMIT"))
    listing: dict[str, Entry] = {}  # a record is in three feeds (listings, court, region): made once

    def listed(records: Sequence[PublicRecord]) -> list[Entry]:
        out = []
        for r in _newest(records, limit):
            entry = listing.get(r.id)
            if entry is None:
                entry = listing[r.id] = listing_entry(settings, r)
            out.append(entry)
        return out

    def stones(notices: Iterable[RemovalNotice]) -> list[Tombstone]:
        return [tombstone(settings, n) for n in notices]

    notices = _by_removal(view.notices)
    yield "综合", Feed(
        "feeds/listings", "新纳入失信被执行人名单", f"最新发布的 {limit} 条失信被执行人名单信息", "debtors/",
        listed(view.public), ("atom", "rss"), stones(notices),
    )  # fmt: skip
    yield "综合", Feed(
        "feeds/removals", "失信名单删除公告", "已删除的失信信息：案号、执行法院、删除日期与原因", "removals/",
        [removal_entry(settings, n) for n in notices], ("atom", "rss"), stones(notices),
    )  # fmt: skip
    items = sorted(news, key=lambda n: (-n.date.toordinal(), n.slug))[:limit]
    yield (
        "综合",
        Feed(
            "feeds/news",
            "执行新闻",
            "执行工作动态与新闻",
            "news/",
            [news_entry(settings, n) for n in items],
            ("atom", "rss"),
        ),
    )

    for name in MORE_FEEDS:
        module, attr = name.split(":")
        yield from getattr(importlib.import_module(module), attr)(view, settings)

    # a court's or region's feed: its newest records, and tombstones of its removals (in the
    # order of `notices`)
    by_court, by_region = view.by_court(), view.by_region()
    court_notices: dict[str, list[RemovalNotice]] = {}
    region_notices: dict[str, list[RemovalNotice]] = {}
    for n in notices:
        court_notices.setdefault(n.court_slug, []).append(n)
        region_notices.setdefault(n.region_code, []).append(n)
    # a court or region whose last record was removed keeps its feed while the notice runs; a
    # court is named as the last of its records names it (or else its first notice)
    courts = {slug: rows[-1].court for slug, rows in by_court.items()}
    for slug, mine in court_notices.items():
        courts.setdefault(slug, mine[0].court)
    for slug, court in sorted(courts.items()):
        yield "法院", Feed(
            f"feeds/courts/{slug}", f"{court}：失信被执行人名单", f"{court}最新发布的名单信息", f"courts/{slug}/",
            listed(by_court.get(slug, [])), tombstones=stones(court_notices.get(slug, [])),
        )  # fmt: skip
    for code in sorted(set(by_region) | set(region_notices)):
        name = ids.region_name(code) or code
        yield "地区", Feed(
            f"feeds/regions/{code}", f"{name}（{code}）：失信被执行人名单", f"{name}各法院最新发布的名单信息",
            f"regions/{code}/", listed(by_region.get(code, [])), tombstones=stones(region_notices.get(code, [])),
        )  # fmt: skip


@dataclass(frozen=True)
class Channel:
    """What one feed file states of itself besides its Feed: from the settings and its format."""

    fmt: str  # "atom" | "rss"
    id: str
    self_link: str
    page_link: str  # the site page the feed mirrors (Atom alternate link, RSS channel link)
    author: str
    rights: str


def channel(settings: dict[str, Any], feed: Feed, fmt: str) -> Channel:
    sitename = str(settings.get("SITENAME") or "失信被执行人名单公示")
    return Channel(
        fmt=fmt,
        id=tag_uri(settings, f"feed/{feed.path.removeprefix('feeds/')}"),
        self_link=site_url(settings, feed.file(fmt)),
        page_link=site_url(settings, feed.page),
        author=clean(sitename),
        rights=clean(f"{setting(settings, 'PORTAL_DATA_LICENSE')} {terms_url(settings)}"),
    )


def updated(feed: Feed, as_of: date) -> date:
    """A feed's newest entry or tombstone date; an empty feed is as fresh as the build date,
    the only date the data offers."""
    return max([e.day for e in feed.entries] + [t.day for t in feed.tombstones], default=as_of)


def serialise(feed: Feed, ch: Channel, day: date) -> bytes:
    """One feed file (Atom or RSS 2.0, ch.fmt) updated on `day`; the same input gives the same bytes."""
    from feedgen.feed import FeedGenerator

    atom = ch.fmt == "atom"
    when_updated = day_start(day)
    fg = FeedGenerator()
    if atom and feed.tombstones:
        fg.register_extension("tombstones", _tombstone_extension(), None, atom=True, rss=False)
        fg.tombstones.tombstones = feed.tombstones
    fg.id(ch.id)
    fg.title(clean(feed.title))
    fg.subtitle(clean(feed.subtitle))  # also the RSS channel description
    fg.author({"name": ch.author})
    fg.language("zh-CN")
    fg.generator("chenglai")
    fg.rights(ch.rights)
    fg.link(href=ch.self_link, rel="self", type=ATOM_TYPE if atom else RSS_TYPE)
    fg.link(href=ch.page_link, rel="alternate", type="text/html")  # last: RSS channel link
    fg.updated(when_updated)
    fg.lastBuildDate(when_updated)
    fg.pubDate(when_updated)
    for e in feed.entries:
        fe = fg.add_entry(order="append")
        fe.id(e.id)
        fe.title(clean(e.title))
        fe.link(href=e.link, rel="alternate", type="text/html")
        when = day_start(e.day)
        fe.updated(when)
        fe.published(when)
        if e.content_html is not None:
            fe.content(clean(e.content_html), type="html")
        fe.summary(clean(e.summary_html), type="html")
        for term, label in e.categories:
            fe.category(term=term, label=clean(label))
    out: bytes = fg.atom_str(pretty=True) if atom else fg.rss_str(pretty=True)
    return out


Outline = tuple[str, str, str, str]  # group, label, feed file URL, page URL


def opml_outlines(groups: list[tuple[str, Feed]], settings: dict[str, Any]) -> tuple[str, list[Outline]]:
    """The OPML's title and one outline per feed file."""
    title = clean(f"{settings.get('SITENAME') or '失信被执行人名单公示'}：全部订阅")
    outlines = [
        (group, clean(f"{feed.title}（{'RSS' if fmt == 'rss' else 'Atom'}）"), site_url(settings, feed.file(fmt)),
         site_url(settings, feed.page))
        for group, feed in groups
        for fmt in feed.formats
    ]  # fmt: skip
    return title, outlines


def opml(title: str, outlines: list[Outline]) -> bytes:
    """OPML 2.0 list of every feed file, grouped, for one-click import into a reader."""
    from lxml import etree  # here: a build that keeps every feed does not import lxml

    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    parents: dict[str, Any] = {}
    for group, label, xml_url, html_url in outlines:
        if group not in parents:
            parents[group] = etree.SubElement(body, "outline", text=group, title=group)
        etree.SubElement(
            parents[group], "outline", type="rss", text=label, title=label, xmlUrl=xml_url, htmlUrl=html_url
        )
    return etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True)  # type: ignore[no-any-return]


def page_values(settings: dict[str, Any], groups: list[tuple[str, Feed]]) -> dict[str, Any]:
    """What the human /feeds/ page (theme/templates/feeds.html) is rendered with."""
    s = settings
    rows: dict[str, list[dict[str, Any]]] = {}
    for group, feed in groups:
        rows.setdefault(group, []).append({
            "title": feed.title,
            "subtitle": feed.subtitle,
            "page": site_url(s, feed.page),
            "files": [(fmt, site_url(s, feed.file(fmt))) for fmt in feed.formats],
            "count": len(feed.entries),
        })  # fmt: skip
    return {
        "SITENAME": s.get("SITENAME", ""),
        "SITEURL": s.get("SITEURL", ""),
        "PORTAL_DEMO": setting(s, "PORTAL_DEMO"),
        "PORTAL_SEARCH_URL": setting(s, "PORTAL_SEARCH_URL"),
        "groups": rows,
        "opml_url": site_url(s, "feeds/feeds.opml"),
        "data_url": site_url(s, "data/"),
        "feed_limit": setting(s, "PORTAL_FEED_LIMIT"),
        "notice_days": setting(s, "PORTAL_REMOVAL_NOTICE_DAYS"),
        "license": setting(s, "PORTAL_DATA_LICENSE"),
        "license_url": terms_url(s),
        "data_persons": setting(s, "PORTAL_DATA_PERSONS"),
    }


def render(ctx: RenderContext) -> Iterator[Lazy]:
    """Every feed file, /feeds/feeds.opml and /feeds/index.html, each named by its inputs."""
    if ctx.env is None:
        raise BuildError("订阅页需要主题模板环境（RenderContext.env 未设置）")
    settings, as_of = ctx.settings, ctx.view.as_of
    groups = list(feeds(ctx.view, ctx.news, settings))
    for _group, feed in groups:
        for fmt in feed.formats:
            ch, day = channel(settings, feed, fmt), updated(feed, as_of)
            yield Lazy(feed.file(fmt), (feed, ch, day), functools.partial(serialise, feed, ch, day))
    title, outlines = opml_outlines(groups, settings)
    yield Lazy("feeds/feeds.opml", (title, outlines), functools.partial(opml, title, outlines))
    values = page_values(settings, groups)
    template = ctx.env.get_template("feeds.html")
    yield Lazy("feeds/index.html", (values,), lambda: template.render(**values).encode("utf-8"))


RENDERER = Single("feeds", render)
