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
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import html
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from generator.domain import ids
from generator.domain.policy import PublicRecord, PublicView, RemovalNotice, newest_first, newest_removal_first
from generator.errors import BuildError
from generator.render.outputs import NewsItem, OutputFile, RenderContext
from generator.render.siteurls import day_start, setting, site_url, tag_uri

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


def _amount(r: PublicRecord) -> str | None:
    return None if r.outstanding is None else f"{r.outstanding:.2f} 元"


def listing_id(settings: dict[str, Any], record_id: str) -> str:
    """The entry id of a record in every listing feed; tombstones refer to it."""
    return tag_uri(settings, f"debtor/{record_id}")


# What listing_entry reads of a record (tests/test_feeds.py checks that no other field changes
# an entry): a feed is keyed by these, not by the record's digest, so an edit of a field no feed
# shows (e.g. the obligation) leaves every feed as it is.
LISTED = ("id", "name", "kind", "id_masked", "uscc", "legal_representative", "case_number", "court",
          "region_name", "basis_document", "grounds", "performance", "outstanding", "listed_on", "term_ends_on")  # fmt: skip
_listed = operator.attrgetter(*LISTED)


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


def in_feed_order(records: Sequence[PublicRecord]) -> bool:
    """Newest listing first, then by id: the order of PublicView.public (policy.decide) and of
    the view's groups, checked in C (three maps over 100,000 records: a few milliseconds)."""
    days = list(map(operator.attrgetter("listed_on"), records))
    if not all(map(operator.ge, days, days[1:])):
        return False
    keys = list(map(operator.attrgetter("id"), records))
    # a pair of neighbours is in order when its days differ (then newer first, as checked) or
    # its ids ascend
    return all(map(operator.or_, map(operator.ne, days, days[1:]), map(operator.lt, keys, keys[1:])))


def _newest(records: Sequence[PublicRecord], limit: int, ordered: bool = False) -> list[PublicRecord]:
    """= sorted(...)[:limit]; `ordered`: the records are in feed order already (in_feed_order)."""
    if ordered:
        return list(records[:limit])
    # without sorting a court's whole list for its newest hundred
    return heapq.nsmallest(limit, records, key=newest_first)


def _by_removal(notices: Iterable[RemovalNotice]) -> list[RemovalNotice]:
    return sorted(notices, key=newest_removal_first)


@dataclass
class Source:
    """One feed before its entries are made: what they are made from. Its `key` names its
    bytes (with the settings and date): a feed whose key the previous build serialised is not
    made again (RenderContext.memo), and its entries are made only when it is serialised."""

    path: str
    title: str
    subtitle: str
    page: str
    formats: tuple[str, ...] = ("atom",)
    records: Sequence[PublicRecord] = ()  # listing entries
    removals: Sequence[RemovalNotice] = ()  # removal entries
    news: Sequence[NewsItem] = ()  # news entries
    stones: Sequence[RemovalNotice] = ()  # tombstones (Atom)

    @property
    def count(self) -> int:
        return len(self.records) + len(self.removals) + len(self.news)

    def file(self, fmt: str) -> str:
        return f"{self.path}.{fmt}"

    def key(self, base: bytes, record_key: Callable[[PublicRecord], bytes]) -> bytes:
        """What the feed's bytes are made from besides the code: `base` (settings, date, every
        removal notice: a feed's removals and tombstones are the notices of its court, region
        or site), its titles and its items — a record by what its listing entry shows."""
        h = hashlib.blake2b(base, digest_size=16)
        h.update(repr((self.path, self.title, self.subtitle, self.page, self.formats)).encode())
        h.update(repr((len(self.removals), len(self.stones), tuple(self.news))).encode())
        h.update(b"".join(map(record_key, self.records)))
        return h.digest()

    def feed(self, settings: dict[str, Any], listing: dict[str, Entry]) -> Feed:
        """The Feed to serialise; `listing`: listing entries made so far, by record id (a record
        is in the listings, its court's and its region's feeds)."""
        entries = [_listing(settings, r, listing) for r in self.records]
        entries += [removal_entry(settings, n) for n in self.removals]
        entries += [news_entry(settings, n) for n in self.news]
        stones = [tombstone(settings, n) for n in self.stones]
        return Feed(self.path, self.title, self.subtitle, self.page, entries, self.formats, stones)


def _listing(settings: dict[str, Any], r: PublicRecord, made: dict[str, Entry]) -> Entry:
    entry = made.get(r.id)
    if entry is None:
        entry = made[r.id] = listing_entry(settings, r)
    return entry


def sources(
    view: PublicView, news: list[NewsItem], settings: dict[str, Any], ordered: bool | None = None
) -> Iterator[tuple[str, Source]]:
    """Every feed of the site with its group (综合 / 法院 / 地区), in a stable order. `ordered`:
    the view is in feed order (None: check, in_feed_order)."""
    limit = int(setting(settings, "PORTAL_FEED_LIMIT"))
    # the view's groups keep its order: in feed order, a feed's newest records are its first
    if ordered is None:
        ordered = in_feed_order(view.public)
    notices = _by_removal(view.notices)
    yield "综合", Source(
        "feeds/listings", "新纳入失信被执行人名单", f"最新发布的 {limit} 条失信被执行人名单信息",
        "debtors/", ("atom", "rss"), records=_newest(view.public, limit, ordered), stones=notices,
    )  # fmt: skip
    yield "综合", Source(
        "feeds/removals", "失信名单删除公告", "已删除的失信信息：案号、执行法院、删除日期与原因",
        "removals/", ("atom", "rss"), removals=notices, stones=notices,
    )  # fmt: skip
    items = sorted(news, key=lambda n: (-n.date.toordinal(), n.slug))[:limit]
    yield "综合", Source("feeds/news", "执行新闻", "执行工作动态与新闻", "news/", ("atom", "rss"), news=items)

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
        yield "法院", Source(
            f"feeds/courts/{slug}", f"{court}：失信被执行人名单", f"{court}最新发布的名单信息", f"courts/{slug}/",
            records=_newest(by_court.get(slug, []), limit, ordered), stones=court_notices.get(slug, []),
        )  # fmt: skip
    for code in sorted(set(by_region) | set(region_notices)):
        name = ids.region_name(code) or code
        yield "地区", Source(
            f"feeds/regions/{code}", f"{name}（{code}）：失信被执行人名单", f"{name}各法院最新发布的名单信息",
            f"regions/{code}/", records=_newest(by_region.get(code, []), limit, ordered),
            stones=region_notices.get(code, []),
        )  # fmt: skip


def feeds(view: PublicView, news: list[NewsItem], settings: dict[str, Any]) -> Iterator[tuple[str, Feed]]:
    """Every feed of the site with its group and entries, in a stable order."""
    listing: dict[str, Entry] = {}
    for group, source in sources(view, news, settings):
        yield group, source.feed(settings, listing)


def serialise(feed: Feed, fmt: str, settings: dict[str, Any], as_of: date) -> bytes:
    """One feed as Atom or RSS 2.0 bytes; the same input gives the same bytes."""
    days = [e.day for e in feed.entries] + [t.day for t in feed.tombstones]
    # an empty feed is as fresh as the build date, the only date the data offers
    updated = day_start(max(days, default=as_of))
    sitename = clean(str(settings.get("SITENAME") or "失信被执行人名单公示"))
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    if fmt == "atom" and feed.tombstones:
        fg.register_extension("tombstones", _tombstone_extension(), None, atom=True, rss=False)
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


def opml(groups: list[tuple[str, Source]], settings: dict[str, Any]) -> bytes:
    """OPML 2.0 list of every feed file, grouped, for one-click import into a reader."""
    from lxml import etree  # here: a build that keeps every feed does not import lxml

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


def page(ctx: RenderContext, groups: list[tuple[str, Source]]) -> bytes:
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
            "count": feed.count,
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


MEMO = "feeds"  # RenderContext.memo: feed file (and the OPML, the page) → (key of its bytes, its bytes)
NOTICES = "@notices"  # in MEMO: (digest of the view's removal notices, None)
# what else than the feeds' items their bytes are made from
KEY_SETTINGS = ("SITEURL", "SITENAME", "PORTAL_TAG_AUTHORITY", "PORTAL_DATA_LICENSE", "PORTAL_DATA_LICENSE_URL",
                "PORTAL_FEED_LIMIT", "PORTAL_DEMO", "PORTAL_SEARCH_URL", "PORTAL_REMOVAL_NOTICE_DAYS")  # fmt: skip


def render(ctx: RenderContext) -> Iterator[OutputFile]:
    """Every feed file, /feeds/feeds.opml and /feeds/index.html. A file whose key (what it is
    made from: Source.key) is the one the previous build wrote (ctx.memo) is not made again:
    an incremental build serialises only the feeds an edited record sits in."""
    settings, as_of = ctx.settings, ctx.view.as_of
    # an incremental build's view is policy.decide's, in feed order: not checked again (a pass
    # over 100,000 records); any other may be a view made by hand
    groups = list(sources(ctx.view, ctx.news, settings, True if ctx.delta is not None else None))
    known = ctx.memo.get(MEMO, {})
    memo: dict[str, tuple[str, Any]] = {}
    # the removal notices, by the digest the live build had when they are its (Delta)
    kept = known.get(NOTICES) if ctx.delta is not None and ctx.delta.same_notices else None
    notices = kept[0] if kept is not None else hashlib.blake2b(repr(ctx.view.notices).encode()).hexdigest()
    memo[NOTICES] = (notices, None)
    base = repr(([settings.get(k) for k in KEY_SETTINGS], as_of, notices)).encode()
    record_keys: dict[int, bytes] = {}  # a record is in three feeds: its key made once

    def record_key(r: PublicRecord) -> bytes:
        k = record_keys.get(id(r))
        if k is None:
            k = record_keys[id(r)] = repr(_listed(r)).encode() + b"\n"
        return k

    listing: dict[str, Entry] = {}  # listing entries made this build, by record id
    for _group, source in groups:
        key = source.key(base, record_key)
        feed: Feed | None = None
        for fmt in source.formats:
            path = source.file(fmt)
            fkey = hashlib.blake2b(key + fmt.encode(), digest_size=16).hexdigest()
            hit = known.get(path)
            if hit is not None and hit[0] == fkey:
                data = hit[1]
            else:
                feed = feed or source.feed(settings, listing)
                data = serialise(feed, fmt, settings, as_of)
            memo[path] = (fkey, data)
            yield OutputFile(path, data)
    # the OPML and the page: from the feeds' titles, pages, formats and counts
    text = repr(([settings.get(k) for k in KEY_SETTINGS],
                 [(g, s.path, s.title, s.subtitle, s.page, s.formats, s.count) for g, s in groups])).encode()  # fmt: skip
    for path, make in (
        ("feeds/feeds.opml", lambda: opml(groups, settings)),
        ("feeds/index.html", lambda: page(ctx, groups)),
    ):
        fkey = hashlib.blake2b(text + path.encode(), digest_size=16).hexdigest()
        hit = known.get(path)
        data = hit[1] if hit is not None and hit[0] == fkey else make()
        memo[path] = (fkey, data)
        yield OutputFile(path, data)
    ctx.memo[MEMO] = memo
