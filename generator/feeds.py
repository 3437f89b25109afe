"""Atom and RSS 2.0 feeds (feedgen), their OPML list and the /feeds/ page (SPEC §3).

Every feed is rendered from the PublicView, so it can hold nothing the site does not show.
Determinism: feedgen stamps now() and prepends entries by default; here every date comes
from the data (00:00 Asia/Shanghai of listed_on / removed_on / the news date), entries are
sorted explicitly and added with order="append".
Entry ids are `tag:` URIs from the record id (generator.siteurls), never the page URL.

Removal entries carry case number, court, date and reason only: a RemovalNotice has no
name or ID field to leak. The Atom removals feed also carries RFC 6721 `at:deleted-entry`
tombstones whose `ref` is the id the listing entry had, so a reader can drop the entry it
stored; so do the Atom listings feed and the court and region feeds the entry appeared in.
A feed's updated is its newest entry or tombstone date.
"""

from __future__ import annotations

import hashlib
import heapq
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from . import ids
from .errors import BuildError
from .outputs import NewsItem, OutputFile, RenderContext
from .policy import PublicRecord, PublicView, RemovalNotice
from .siteurls import day_start, setting, site_url, tag_uri

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


class TombstoneExtension(BaseExtension):
    """Feed-level RFC 6721 `at:deleted-entry` elements; Atom only (RSS has no such thing)."""

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


def _lines(pairs: Iterable[tuple[str, str | None]]) -> str:
    """A small HTML block of 'label：value' lines; values escaped, empty ones left out."""
    return "<p>" + "<br>".join(f"{html.escape(k)}：{html.escape(v)}" for k, v in pairs if v) + "</p>"


def _amount(r: PublicRecord) -> str | None:
    return None if r.outstanding is None else f"{r.outstanding:.2f} 元"


def listing_id(settings: dict[str, Any], record_id: str) -> str:
    """The entry id of a record in every listing feed; tombstones refer to it."""
    return tag_uri(settings, f"debtor/{record_id}")


def listing_entry(settings: dict[str, Any], r: PublicRecord) -> Entry:
    number = ("证件号码", r.id_masked) if r.kind == "person" else ("统一社会信用代码", r.uscc)
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


def _newest(records: Iterable[PublicRecord], limit: int) -> list[PublicRecord]:
    # = sorted(...)[:limit], without sorting a court's whole list for its newest hundred
    return heapq.nsmallest(limit, records, key=lambda r: (-r.listed_on.toordinal(), r.id))


def _by_removal(notices: Iterable[RemovalNotice]) -> list[RemovalNotice]:
    return sorted(notices, key=lambda n: (-n.removed_on.toordinal(), n.id))


def feeds(view: PublicView, news: list[NewsItem], settings: dict[str, Any]) -> Iterator[tuple[str, Feed]]:
    """Every feed of the site with its group (综合 / 法院 / 地区), in a stable order."""
    limit = int(setting(settings, "PORTAL_FEED_LIMIT"))
    notices = _by_removal(view.notices)
    stones = [tombstone(settings, n) for n in notices]
    yield "综合", Feed(
        "feeds/listings", "新纳入失信被执行人名单", f"最新发布的 {limit} 条失信被执行人名单信息",
        "debtors/", [listing_entry(settings, r) for r in _newest(view.public, limit)], ("atom", "rss"), stones,
    )  # fmt: skip
    yield "综合", Feed(
        "feeds/removals", "失信名单删除公告", "已删除的失信信息：案号、执行法院、删除日期与原因",
        "removals/", [removal_entry(settings, n) for n in notices], ("atom", "rss"), stones,
    )  # fmt: skip
    items = sorted(news, key=lambda n: (-n.date.toordinal(), n.slug))[:limit]
    yield "综合", Feed(
        "feeds/news", "执行新闻", "执行工作动态与新闻", "news/",
        [news_entry(settings, n) for n in items], ("atom", "rss"),
    )  # fmt: skip

    by_notice = {id(n): t for n, t in zip(notices, stones, strict=True)}  # made once, not once per feed

    def subset(kind: str, key: str, title: str, subtitle: str, records: list[PublicRecord]) -> Feed:
        """A court's or region's feed: its newest records, and tombstones of its removals."""
        mine = [n for n in notices if (n.court_slug if kind == "courts" else n.region_code) == key]
        return Feed(
            f"feeds/{kind}/{key}", title, subtitle, f"{kind}/{key}/",
            [listing_entry(settings, r) for r in _newest(records, limit)],
            tombstones=[by_notice[id(n)] for n in mine],
        )  # fmt: skip

    # a court or region whose last record was removed keeps its feed while the notice runs
    courts: dict[str, str] = {r.court_slug: r.court for r in view.public}
    for n in notices:
        courts.setdefault(n.court_slug, n.court)
    by_court = view.by_court()
    for slug, court in sorted(courts.items()):
        yield (
            "法院",
            subset("courts", slug, f"{court}：失信被执行人名单", f"{court}最新发布的名单信息", by_court.get(slug, [])),
        )
    by_region = view.by_region()
    for code in sorted(set(by_region) | {n.region_code for n in notices}):
        name = ids.region_name(code) or code
        title = f"{name}（{code}）：失信被执行人名单"
        yield "地区", subset("regions", code, title, f"{name}各法院最新发布的名单信息", by_region.get(code, []))


def serialise(feed: Feed, fmt: str, settings: dict[str, Any], as_of: date) -> bytes:
    """One feed as Atom or RSS 2.0 bytes; the same input gives the same bytes."""
    days = [e.day for e in feed.entries] + [t.day for t in feed.tombstones]
    # an empty feed is as fresh as the build date, the only date the data offers
    updated = day_start(max(days, default=as_of))
    sitename = clean(str(settings.get("SITENAME") or "失信被执行人名单公示"))
    fg = FeedGenerator()
    if fmt == "atom" and feed.tombstones:
        fg.register_extension("tombstones", TombstoneExtension, None, atom=True, rss=False)
        fg.tombstones.tombstones = feed.tombstones
    fg.id(tag_uri(settings, f"feed/{feed.path.removeprefix('feeds/')}"))
    fg.title(clean(feed.title))
    fg.subtitle(clean(feed.subtitle))  # also the RSS channel description
    fg.author({"name": sitename})
    fg.language("zh-CN")
    fg.generator("chenglai")
    fg.rights(clean(f"{setting(settings, 'PORTAL_DATA_LICENSE')} {setting(settings, 'PORTAL_DATA_LICENSE_URL')}"))
    fg.link(href=site_url(settings, feed.file(fmt)), rel="self", type=ATOM_TYPE if fmt == "atom" else RSS_TYPE)
    fg.link(href=site_url(settings, feed.page), rel="alternate", type="text/html")  # last: RSS channel link
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.pubDate(updated)
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
    out: bytes = fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)
    return out


def opml(groups: list[tuple[str, Feed]], settings: dict[str, Any]) -> bytes:
    """OPML 2.0 list of every feed file, grouped, for one-click import into a reader."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = clean(f"{settings.get('SITENAME') or '失信被执行人名单公示'}：全部订阅")
    body = etree.SubElement(root, "body")
    outlines: dict[str, Any] = {}
    for group, feed in groups:
        if group not in outlines:
            outlines[group] = etree.SubElement(body, "outline", text=group, title=group)
        for fmt in feed.formats:
            label = clean(f"{feed.title}（{'RSS' if fmt == 'rss' else 'Atom'}）")
            etree.SubElement(
                outlines[group], "outline", type="rss", text=label, title=label,
                xmlUrl=site_url(settings, feed.file(fmt)), htmlUrl=site_url(settings, feed.page),
            )  # fmt: skip
    return etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True)  # type: ignore[no-any-return]


def page(ctx: RenderContext, groups: list[tuple[str, Feed]]) -> bytes:
    """The human /feeds/ page that explains each feed, from theme/templates/feeds.html."""
    if ctx.env is None:
        raise BuildError("订阅页需要主题模板环境（RenderContext.env 未设置）")
    s = ctx.settings
    rows: dict[str, list[dict[str, Any]]] = {}
    for group, feed in groups:
        rows.setdefault(group, []).append({
            "title": feed.title,
            "subtitle": feed.subtitle,
            "page": site_url(s, feed.page),
            "files": [(fmt, site_url(s, feed.file(fmt))) for fmt in feed.formats],
            "count": len(feed.entries),
        })  # fmt: skip
    template = ctx.env.get_template("feeds.html")
    text = template.render(
        SITENAME=s.get("SITENAME", ""),
        SITEURL=s.get("SITEURL", ""),
        PORTAL_DEMO=setting(s, "PORTAL_DEMO"),
        PORTAL_SEARCH_URL=setting(s, "PORTAL_SEARCH_URL"),
        groups=rows,
        opml_url=site_url(s, "feeds/feeds.opml"),
        data_url=site_url(s, "data/"),
        feed_limit=setting(s, "PORTAL_FEED_LIMIT"),
        notice_days=setting(s, "PORTAL_REMOVAL_NOTICE_DAYS"),
        license=setting(s, "PORTAL_DATA_LICENSE"),
        license_url=setting(s, "PORTAL_DATA_LICENSE_URL"),
    )
    return text.encode("utf-8")


MEMO = "feeds"  # RenderContext.memo: feed file → (hash of the Feed, its bytes)


def render(ctx: RenderContext) -> Iterator[OutputFile]:
    """Every feed file, /feeds/feeds.opml and /feeds/index.html. A feed whose entries are what
    the previous build serialised (ctx.memo; same settings) is not serialised again."""
    groups = list(feeds(ctx.view, ctx.news, ctx.settings))
    known, memo = ctx.memo.get(MEMO, {}), {}
    for _group, feed in groups:
        text = repr((feed, ctx.view.as_of)).encode()  # once for both formats
        for fmt in feed.formats:
            path = feed.file(fmt)
            key = hashlib.blake2b(text + fmt.encode(), digest_size=16).hexdigest()
            hit = known.get(path)
            data = hit[1] if hit is not None and hit[0] == key else serialise(feed, fmt, ctx.settings, ctx.view.as_of)
            memo[path] = (key, data)
            yield OutputFile(path, data)
    ctx.memo[MEMO] = memo
    yield OutputFile("feeds/feeds.opml", opml(groups, ctx.settings))
    yield OutputFile("feeds/index.html", page(ctx, groups))
