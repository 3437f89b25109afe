"""Feeds (SPEC §3): every feed parsed back with feedparser and lxml, on fixture records."""

from __future__ import annotations

from datetime import date

import feedparser
import lxml.html
import pytest
from lxml import etree

from generator.errors import BuildError
from generator.render import feeds
from generator.render.outputs import Lazy, NewsItem, render_all

from .factory import AS_OF, NO_TERM, ORG_DEBTOR, record
from .renderctx import context, rendered, view_of

ATOM = "{http://www.w3.org/2005/Atom}"
AT = "{http://purl.org/atompub/tombstones/1.0}"
TAG = "tag:chenglai.invalid,2024:"

COURT2 = {"court": "东营市河口区人民法院", "region_code": "370503"}
STAFF = ("王某（书记员）", "李某（执行法官）")


def fixture_records() -> list[dict]:
    """Public: two persons (one shared listing day), an organization at another court.
    Gone: one removed (performed), one lapsed; never public: a future listing."""
    return [
        record(),  # 2024-lu0502-zhi-1234, listed 2025-06-01
        record(case_number="（2024）鲁0502执1240号", debtor__name="李小龙", listed_on=date(2026, 3, 2)),
        record(case_number="（2024）鲁0502执1239号", debtor__name="王五", listed_on=date(2026, 3, 2)),
        record(
            case_number="（2025）鲁0503执100号", debtor=dict(ORG_DEBTOR), listed_on=date(2026, 1, 5),
            vetting__vetted_on=date(2026, 1, 4), **COURT2,
        ),
        record(
            case_number="（2024）鲁0502执1300号", debtor__name="赵六", status="removed",
            removed_on=date(2026, 11, 20), removal_reason="performed", **NO_TERM,
        ),
        record(
            case_number="（2023）鲁0503执200号", debtor__name="钱七", debtor__id_masked="3705031980****1236", debtor__age=43,
            listed_on=date(2024, 9, 1), filed_on=date(2023, 3, 5), vetting__vetted_on=date(2024, 8, 30), **COURT2,
        ),  # term of 2 years: last public day 2026-09-01, gone 2026-09-02 (民法典 art. 202)
        record(
            case_number="（2024）鲁0502执1400号", debtor__name="孙八", listed_on=date(2026, 12, 1),
            vetting__vetted_on=date(2026, 11, 30),
        ),
    ]  # fmt: skip


NEWS = [
    NewsItem(
        "sweep", "集中执行行动\x0b通报", "news/sweep/", date(2026, 10, 8), "摘要\x01文字", "正文", "<p>正文\x08</p>"
    ),
    NewsItem("older", "执行局召开会议", "news/older/", date(2026, 5, 1), "会议", "会议正文", "<p>会议</p>"),
]


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return view_of(tmp_path_factory.mktemp("records"), fixture_records())


@pytest.fixture(scope="module")
def files(view):
    return made(context(view, news=NEWS))


def made(ctx):
    """Every file of the feeds renderer, made."""
    return rendered(feeds.RENDERER, ctx)


def feed_files(files):
    return {p: d for p, d in files.items() if p.endswith((".atom", ".rss"))}


def test_expected_feed_files(files):
    assert set(feed_files(files)) == {
        "feeds/listings.atom", "feeds/listings.rss", "feeds/removals.atom", "feeds/removals.rss",
        "feeds/news.atom", "feeds/news.rss", "feeds/restrictions.atom", "feeds/rewards.atom",
        "feeds/courts/lu0502.atom", "feeds/courts/lu0503.atom",
        "feeds/regions/370502.atom", "feeds/regions/370503.atom",
    }  # fmt: skip
    assert {"feeds/feeds.opml", "feeds/index.html"} <= set(files)


def test_every_feed_parses_without_bozo(files):
    for path, data in feed_files(files).items():
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.version == ("atom10" if path.endswith(".atom") else "rss20"), path


def test_atom_has_rfc4287_required_elements(files):
    for path, data in feed_files(files).items():
        if not path.endswith(".atom"):
            continue
        root = etree.fromstring(data)
        assert root.tag == f"{ATOM}feed"
        for name in ("id", "title", "updated"):
            assert len(root.findall(f"{ATOM}{name}")) == 1, (path, name)
        feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
        assert root.find(f"{ATOM}link[@rel='self']") is not None
        assert root.findtext(f"{ATOM}id").startswith(TAG + "feed/")
        for entry in root.iter(f"{ATOM}entry"):
            for name in ("id", "title", "updated"):
                assert len(entry.findall(f"{ATOM}{name}")) == 1, (path, name)
            assert feed_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
            links = entry.findall(f"{ATOM}link")
            assert any(link.get("rel", "alternate") == "alternate" for link in links), path
            assert entry.findtext(f"{ATOM}id").startswith(TAG)


def test_listings_ids_dates_and_order(files, view):
    parsed = feedparser.parse(files["feeds/listings.atom"])
    # newest listing first; the two of 2026-03-02 by record id
    assert [e.id for e in parsed.entries] == [
        TAG + "debtor/2024-lu0502-zhi-1239",
        TAG + "debtor/2024-lu0502-zhi-1240",
        TAG + "debtor/2025-lu0503-zhi-100",
        TAG + "debtor/2024-lu0502-zhi-1234",
    ]
    assert [e.updated for e in parsed.entries] == [
        "2026-03-02T00:00:00+08:00", "2026-03-02T00:00:00+08:00",
        "2026-01-05T00:00:00+08:00", "2025-06-01T00:00:00+08:00",
    ]  # fmt: skip
    assert all(e.published == e.updated for e in parsed.entries)
    # the newest date in the feed (a tombstone of 2026-11-20), not the build time
    assert parsed.feed.updated == "2026-11-20T00:00:00+08:00"
    assert parsed.entries[0].link == "/debtors/2024-lu0502-zhi-1239/"
    assert "王五" in parsed.entries[0].title and "（2024）鲁0502执1239号" in parsed.entries[0].title
    assert [t.term for t in parsed.entries[0].tags] == ["evades_by_fraud"]

    rss = feedparser.parse(files["feeds/listings.rss"])
    assert [e.id for e in rss.entries] == [e.id for e in parsed.entries]  # guid = the same tag: id
    assert rss.feed.updated_parsed[:3] == (2026, 11, 19)  # 2026-11-20 00:00 +08:00 is 19 November UTC
    assert rss.entries[0].published == "Mon, 02 Mar 2026 00:00:00 +0800"
    assert "孙八" not in files["feeds/listings.atom"].decode()  # listed after AS_OF


def test_feed_limit_keeps_the_newest(view):
    out = made(context(view, {"PORTAL_FEED_LIMIT": 2}))
    parsed = feedparser.parse(out["feeds/listings.atom"])
    assert [e.id.rsplit("/", 1)[1] for e in parsed.entries] == ["2024-lu0502-zhi-1239", "2024-lu0502-zhi-1240"]


def test_removal_entries_carry_no_personal_data(files, view):
    gone_names = ("赵六", "钱七")
    for path in ("feeds/removals.atom", "feeds/removals.rss"):
        text = files[path].decode("utf-8")
        for secret in (*gone_names, "3705031980", "****", ORG_DEBTOR["uscc"], *STAFF):
            assert secret not in text, (path, secret)
        parsed = feedparser.parse(files[path])
        assert parsed.bozo == 0
        assert [e.id for e in parsed.entries] == [
            TAG + "removal/2024-lu0502-zhi-1300/2026-11-20",
            TAG + "removal/2023-lu0503-zhi-200/2026-09-02",
        ]
        first = parsed.entries[0]
        for shown in ("（2024）鲁0502执1300号", "东营市东营区人民法院", "2026-11-20", "已履行完毕"):
            assert shown in first.summary, shown
        assert "期限届满" in parsed.entries[1].summary
    atom = feedparser.parse(files["feeds/removals.atom"])
    assert atom.feed.updated == "2026-11-20T00:00:00+08:00"
    assert atom.entries[0].updated == "2026-11-20T00:00:00+08:00"


def test_removals_atom_has_rfc6721_tombstones(files, tmp_path):
    root = etree.fromstring(files["feeds/removals.atom"])
    stones = root.findall(f"{AT}deleted-entry")
    assert [(s.get("ref"), s.get("when")) for s in stones] == [
        (TAG + "debtor/2024-lu0502-zhi-1300", "2026-11-20T00:00:00+08:00"),
        (TAG + "debtor/2023-lu0503-zhi-200", "2026-09-02T00:00:00+08:00"),
    ]
    assert stones[0].findtext(f"{AT}comment") == "已删除：已履行完毕"
    # a removed case number is said by the removal notices only, not by the tombstones elsewhere
    said = {p for p, d in files.items() if "（2024）鲁0502执1300号".encode() in d}
    assert said == {"feeds/removals.atom", "feeds/removals.rss"}
    # the ref is exactly the id the listing entry had while it was public (before `chenglai remove`)
    recs = fixture_records()
    recs[4]["status"] = "listed"
    del recs[4]["removed_on"], recs[4]["removal_reason"]
    before = view_of(tmp_path, recs)
    listed = feedparser.parse(made(context(before))["feeds/listings.atom"])
    assert stones[0].get("ref") in {e.id for e in listed.entries}
    # the Atom listings feed carries them too; RSS has no tombstones and no foreign namespace
    listings = etree.fromstring(files["feeds/listings.atom"])
    assert [s.get("ref") for s in listings.findall(f"{AT}deleted-entry")] == [s.get("ref") for s in stones]
    assert b"tombstones" not in files["feeds/removals.rss"] + files["feeds/listings.rss"]


def test_court_and_region_feeds(files):
    lu0503 = feedparser.parse(files["feeds/courts/lu0503.atom"])
    assert [e.id for e in lu0503.entries] == [TAG + "debtor/2025-lu0503-zhi-100"]
    assert lu0503.feed.title.startswith("东营市河口区人民法院")
    root = etree.fromstring(files["feeds/courts/lu0503.atom"])
    assert [s.get("ref") for s in root.findall(f"{AT}deleted-entry")] == [TAG + "debtor/2023-lu0503-zhi-200"]
    region = feedparser.parse(files["feeds/regions/370502.atom"])
    assert len(region.entries) == 3
    assert region.feed.links[1].href == "/regions/370502/"


def test_news_feed_strips_control_characters(files):
    for path in ("feeds/news.atom", "feeds/news.rss"):
        parsed = feedparser.parse(files[path])
        assert parsed.bozo == 0
        assert [e.title for e in parsed.entries] == ["集中执行行动通报", "执行局召开会议"]
        assert parsed.entries[0].link == "/news/sweep/"
    atom = feedparser.parse(files["feeds/news.atom"])
    assert atom.entries[0].id == TAG + "news/sweep"
    assert atom.entries[0].updated == "2026-10-08T00:00:00+08:00"
    assert atom.entries[0].content[0].value == "<p>正文</p>"


def test_opml_lists_every_feed(files):
    root = etree.fromstring(files["feeds/feeds.opml"])
    assert root.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert len(urls) == len(set(urls))
    assert {u.lstrip("/") for u in urls} == set(feed_files(files))


def test_feeds_page_links_every_feed(files):
    doc = lxml.html.fromstring(files["feeds/index.html"])
    assert doc.cssselect("title")[0].text.startswith("订阅")
    hrefs = {a.get("href") for a in doc.cssselect("main a")}
    assert {"/" + p for p in feed_files(files)} | {"/feeds/feeds.opml"} <= hrefs
    assert doc.cssselect("p.demo-banner")  # extends base.html
    assert "不含姓名或证件号码" in doc.text_content()


def test_absolute_links_and_authority_from_siteurl(view):
    settings = {"SITEURL": "https://zxgk.example.gov.cn/sx"}
    out = made(context(view, settings, NEWS))
    parsed = feedparser.parse(out["feeds/listings.atom"])
    assert parsed.entries[0].id == "tag:zxgk.example.gov.cn,2024:debtor/2024-lu0502-zhi-1239"
    assert parsed.entries[0].link == "https://zxgk.example.gov.cn/sx/debtors/2024-lu0502-zhi-1239/"
    for data in feed_files(out).values():
        root = etree.fromstring(data)
        for el in root.iter(f"{ATOM}link", "link"):
            href = el.get("href") if el.tag.endswith("}link") else el.text
            assert href.startswith("https://zxgk.example.gov.cn/sx/"), href
    urls = [o.get("xmlUrl") for o in etree.fromstring(out["feeds/feeds.opml"]).iter("outline") if o.get("xmlUrl")]
    assert all(u.startswith("https://zxgk.example.gov.cn/sx/feeds/") for u in urls)
    pinned = made(context(view, {**settings, "PORTAL_TAG_AUTHORITY": "court.example"}))
    assert feedparser.parse(pinned["feeds/listings.atom"]).entries[0].id.startswith("tag:court.example,2024:")


def test_non_public_records_leave_no_trace(files):
    everything = b"".join(files.values()).decode("utf-8")
    for secret in ("孙八", "（2024）鲁0502执1400号", "2024-lu0502-zhi-1400", *STAFF):
        assert secret not in everything, secret


def test_empty_view_gives_valid_feeds(tmp_path):
    empty = view_of(tmp_path, [])
    out = made(context(empty))
    parsed = feedparser.parse(out["feeds/listings.atom"])
    assert parsed.bozo == 0 and parsed.entries == []
    assert parsed.feed.updated == "2026-11-25T00:00:00+08:00"  # the build date: nothing newer exists
    assert set(feed_files(out)) == {
        f"feeds/{n}.{x}" for n in ("listings", "removals", "news") for x in ("atom", "rss")
    } | {"feeds/restrictions.atom", "feeds/rewards.atom"}  # SPEC §7: there even when empty


def test_same_input_gives_identical_bytes(tmp_path, files):
    again = view_of(tmp_path, fixture_records(), as_of=AS_OF)
    assert made(context(again, news=NEWS)) == files


def test_page_needs_the_theme_environment(view):
    ctx = context(view)
    ctx.env = None
    with pytest.raises(BuildError):
        list(render_all(feeds.RENDERER, ctx))


def test_tag_authority_setting_is_checked():
    from generator.errors import UsageError
    from generator.settings import portal_settings

    assert portal_settings({"PORTAL_TAG_AUTHORITY": "court.example.gov.cn"})["PORTAL_TAG_AUTHORITY"]
    for bad in ("https://court.example.gov.cn/", "court", "a b.cn"):
        with pytest.raises(UsageError):
            portal_settings({"PORTAL_TAG_AUTHORITY": bad})
    with pytest.raises(UsageError):
        portal_settings({"PORTAL_FEED_LIMIT": 0})


def inputs(ctx) -> dict[str, str]:
    """path → the digest of what each feeds file is made from (outputs.Lazy.inputs)."""
    out = {}
    for f in render_all(feeds.RENDERER, ctx):
        assert isinstance(f, Lazy), f.path
        out[f.path] = ctx.digest(*f.inputs)
    return out


def _records_steps() -> list[tuple[str, list[dict], date]]:
    """Edits one after the other, as successive builds see them."""
    recs = fixture_records()
    steps = []

    def step(label: str, as_of: date = AS_OF) -> None:
        steps.append((label, [dict(r) for r in recs], as_of))

    recs[0] = record(obligation="支付货款120000元（已改）")  # shown by no feed
    step("obligation")
    recs[1] = {**recs[1], "debtor": {**recs[1]["debtor"], "name": "李大龙"}}  # in listings, its court and region
    step("name")
    recs[2] = {**recs[2], "listed_on": date(2026, 3, 3)}  # the order of the feeds
    step("listed_on")
    step("as_of", date(2026, 11, 26))
    recs[0] = {**recs[0], "status": "removed", "removed_on": date(2026, 11, 26), "removal_reason": "performed", **NO_TERM}
    step("removed", date(2026, 11, 26))
    recs.append(record(case_number="（2024）鲁0502执1500号", debtor__name="周九", listed_on=date(2026, 11, 1)))
    step("added", date(2026, 11, 26))
    return steps


@pytest.mark.parametrize("limit", [100, 1])
def test_a_feed_keeps_its_inputs_while_its_bytes_stay(tmp_path, limit):
    """Over successive edits, a feed file whose inputs are the previous build's has the previous
    build's bytes (the sink may keep them), and the inputs of the feeds an edit shows in change."""
    settings = {"PORTAL_FEED_LIMIT": limit}
    ctx = context(view_of(tmp_path / "r", fixture_records()), settings, NEWS)
    previous, keys = made(ctx), inputs(ctx)
    for label, recs, as_of in _records_steps():
        ctx = context(view_of(tmp_path / "r", recs, as_of), settings, NEWS)
        out, now = made(ctx), inputs(ctx)
        for path, key in now.items():
            if keys.get(path) == key:
                assert out[path] == previous[path], (label, path)
        if label == "obligation":  # no feed shows it
            assert now == keys and out == previous
        if label == "name":
            changed = {p for p in now if now[p] != keys[p]}
            if limit == 1:  # 王五, listed the same day, comes first: 李小龙 is in no feed
                assert changed == set()
            else:
                assert {"feeds/listings.atom", "feeds/courts/lu0502.atom", "feeds/regions/370502.atom"} <= changed
                assert "feeds/courts/lu0503.atom" not in changed
        if label == "as_of":  # no entry changed: the feeds with entries keep their inputs
            assert now["feeds/listings.atom"] == keys["feeds/listings.atom"]
        previous, keys = out, now


def test_feeds_of_a_view_out_of_order_are_the_newest(tmp_path, view):
    """A view whose records are not newest first (not made by policy.decide): sorted, as before."""
    import dataclasses

    shuffled = dataclasses.replace(view, public=tuple(reversed(view.public)))
    limited = {"PORTAL_FEED_LIMIT": 2}
    assert made(context(shuffled, limited)) == made(context(view, limited))


def test_a_record_listed_and_removed_the_same_day_gets_a_tombstone(tmp_path):
    # SPEC §6: public for hours (most likely a wrongly listed person): re-users need the tombstone
    same_day = record(case_number="（2026）鲁0502执7号", debtor__name="吴十", listed_on=date(2026, 11, 24),
                      filed_on=date(2026, 3, 5), vetting__vetted_on=date(2026, 11, 24), status="removed",
                      removed_on=date(2026, 11, 24), removal_reason="corrected")  # fmt: skip
    files = made(context(view_of(tmp_path, [same_day]), news=NEWS))
    root = etree.fromstring(files["feeds/removals.atom"])
    stones = root.findall(f"{AT}deleted-entry")
    assert [(s.get("ref"), s.get("when")) for s in stones] == [
        (TAG + "debtor/2026-lu0502-zhi-7", "2026-11-24T00:00:00+08:00")
    ]
    assert stones[0].findtext(f"{AT}comment") == "已删除：纠正（不应纳入）"
    assert "吴十".encode() not in files["feeds/removals.atom"] + files["feeds/removals.rss"]
