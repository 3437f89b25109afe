"""The other kinds of exposure (SPEC §7) end to end in the real built site: pages and lists, the
Atom feeds parsed back with feedparser, search through the service, open data, the batch's
print view and column.txt — and no trace of what is not public, anywhere in the output or index."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import feedparser
import pytest

from generator.state import paths
from search.service import make_app

from .factory import record, write
from .kindsfactory import KINDS_NON_PUBLIC, batch, standard_kinds, write_kinds
from .sitefixture import grep_tree, make_site
from .test_search_service import call

DISCLAIMER = "并不因此成为失信被执行人"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = make_site(tmp_path_factory.mktemp("kinds"))
    write_kinds(s.content, standard_kinds())
    s.result = s.build()
    return s


def text(site, path):
    return " ".join(site.page(path).text_content().split())


def search(site, **query):
    status, _headers, body = call(make_app(paths.index_dir(site.output)), "/api/search", query)
    assert status == 200, body
    return json.loads(body)


# -- pages ------------------------------------------------------------------------------------


def test_restriction_pages_and_list(site):
    ids = [r.id for r in site.result.view.restrictions]
    assert ids == ["2025-lu0502-zhi-3001", "2025-lu0502-zhi-3002"]
    listing = text(site, "restrictions/")
    assert "褚限甲" in listing and "东营限消测试贸易有限公司" in listing and DISCLAIMER in listing
    org = text(site, "restrictions/2025-lu0502-zhi-3002/")
    assert "卫受限" in org and "冯法代" in org and "（2025）鲁0502执3002号之二" in org and DISCLAIMER in org
    person = site.page("restrictions/2025-lu0502-zhi-3001/")
    assert person.cssselect("meta[name=robots][content=noindex]")  # a natural person: not for crawlers
    assert "3705021980****1234" in person.text_content()
    # not even the footer says an order is published under the 失信 rules
    for path in ("restrictions/", "restrictions/2025-lu0502-zhi-3001/", "restrictions/lifted/", "rewards/"):
        footer = site.page(path).cssselect("footer")[0].text_content()
        assert "公布失信被执行人名单信息的若干规定" not in footer and "规定" in footer, path
    # the 失信 list knows nothing of them
    assert "褚限甲" not in text(site, "debtors/")


def test_lift_notice_names_the_debtor_not_the_persons(site):
    (n,) = site.result.view.lifts
    assert n.url == "restrictions/lifted/2025-lu0502-zhi-3003/"
    page = text(site, n.url)
    assert "解除限制消费令公告" in page and "东营解除测试有限公司" in page and "被执行人已履行完毕" in page
    assert "杨隐名" not in page
    assert "东营解除测试有限公司" in text(site, "restrictions/lifted/")
    assert not (site.output / "restrictions" / "2025-lu0502-zhi-3003").exists()  # the order itself is gone


def test_reward_pages_have_no_form_and_no_tracking(site):
    assert [w.id for w in site.result.view.rewards] == ["2025-lu0502-zhi-4001"]
    doc = site.page("rewards/2025-lu0502-zhi-4001/")
    page = " ".join(doc.text_content().split())
    assert "许悬赏" in page and "0546-8888888" in page and "依法保密" in page
    main = doc.cssselect("main")[0]
    assert not main.cssselect("form") and not doc.cssselect("script")
    # no image but the site's own emblem (PORTAL_EMBLEM): nothing that could count a visitor elsewhere
    assert [img.get("src") for img in doc.cssselect("img") if not img.get("src", "").endswith("emblem-demo.svg")] == []
    assert "许悬赏" in text(site, "rewards/")


def test_batches_show_only_what_is_public_today(site):
    batches = {b.date: b for b in site.result.view.batches}
    assert sorted(batches) == [date(2026, 11, 20), date(2026, 11, 21)]  # the 12-01 batch is not out yet
    assert [r.name for r in batches[date(2026, 11, 20)].records] == ["张三丰"]
    assert {r.name for r in batches[date(2026, 11, 21)].records} == {"张三丰", "东营鑫盛商贸有限公司"}
    page = text(site, "exposure/2026-11-20/")
    assert "张三丰" in page and "钱removed" not in page and "孙expired" not in page
    assert not (site.output / "exposure" / "2026-12-01").exists()
    assert "第一期失信被执行人曝光台" in text(site, "exposure/")


def test_batch_print_view_and_column(site):
    doc = site.page("exposure/2026-11-21/print/")
    cards = doc.cssselect("li.batch-card")
    assert len(cards) == 2
    css = (site.output / "theme" / "css" / "print.css").read_text(encoding="utf-8")
    assert "@page" in css and ".batch-card" in css  # several records a page, none split
    column = (site.output / "exposure" / "2026-11-21" / "column.txt").read_text(encoding="utf-8")
    assert column.startswith("第二期失信被执行人曝光台\n")
    assert "张三丰" in column and "东营鑫盛商贸有限公司" in column and "<" not in column
    assert max(len(line) for line in column.splitlines()) <= 40


def test_home_and_navigation_show_the_kinds(site):
    home = site.page("")
    nav = [a.text_content() for a in home.cssselect("nav[aria-label=主导航] a")]
    assert "其他公示" in nav and "限制消费令" not in nav  # one entry, not three
    section = home.cssselect("section[aria-labelledby=other-kinds]")[0].text_content()
    assert "限制消费令" in section and "悬赏执行公告" in section and "集中曝光" in section
    # the newest 失信 list is still the newest records only
    assert "褚限甲" not in home.cssselect("section[aria-labelledby=newest]")[0].text_content()
    hub = text(site, "publicity/")
    assert "限制消费令（2 份）" in hub and "悬赏执行公告（1 份）" in hub and "集中曝光（2 期）" in hub


# -- feeds ------------------------------------------------------------------------------------


def test_restrictions_feed_parsed_back(site):
    raw = (site.output / "feeds" / "restrictions.atom").read_bytes()
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [e.title for e in feed.entries]
    assert any("褚限甲" in t for t in titles) and any("东营限消测试贸易有限公司" in t for t in titles)
    lift = [e for e in feed.entries if e.title.startswith("解除限制消费令公告")]
    assert len(lift) == 1 and "东营解除测试有限公司" in lift[0].title
    assert b"deleted-entry" in raw and b"restriction/2025-lu0502-zhi-3003" in raw  # the order's tombstone
    assert "不是失信被执行人名单" in feed.feed.subtitle


def test_rewards_feed_parsed_back(site):
    feed = feedparser.parse((site.output / "feeds" / "rewards.atom").read_bytes())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["悬赏执行公告 · 许悬赏 · （2025）鲁0502执4001号"]
    assert "0546-8888888" in feed.entries[0].summary


def test_feeds_are_listed_in_the_opml_and_feeds_page(site):
    opml = (site.output / "feeds" / "feeds.opml").read_text(encoding="utf-8")
    assert "feeds/restrictions.atom" in opml and "feeds/rewards.atom" in opml
    assert "其他公示" in text(site, "feeds/")


# -- search -----------------------------------------------------------------------------------


def test_search_finds_the_kinds_through_the_service(site):
    hits = search(site, q="褚限甲")["results"]
    assert [(h["kind"], h["url"]) for h in hits] == [("restriction", "/restrictions/2025-lu0502-zhi-3001/")]
    assert "不是失信被执行人名单" in hits[0]["snippet"]
    assert [h["kind"] for h in search(site, q="许悬赏")["results"]] == ["reward"]
    # an art. 3 ¶2 person of a public order finds it
    assert [h["url"] for h in search(site, q="卫受限")["results"]] == ["/restrictions/2025-lu0502-zhi-3002/"]
    # the kind filter: restrictions only, rewards only, and 失信 persons without them
    assert {h["kind"] for h in search(site, q="鲁0502", kind="restriction")["results"]} == {"restriction"}
    assert {h["kind"] for h in search(site, q="鲁0502", kind="reward")["results"]} == {"reward"}
    assert "restriction" not in {h["kind"] for h in search(site, q="鲁0502", kind="person")["results"]}


def test_search_page_offers_the_kind_filter(site):
    status, _h, body = call(make_app(paths.index_dir(site.output)), "/search/", {"q": "褚限甲"})
    assert status == 200
    html = body.decode("utf-8") if isinstance(body, bytes) else body
    assert 'value="restriction"' in html and 'value="reward"' in html and "限制消费令" in html


# -- open data --------------------------------------------------------------------------------


def test_restrictions_data_holds_organisations_only(site):
    raw = (site.output / "data" / "restrictions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["被执行人姓名/名称"] for r in rows] == ["东营限消测试贸易有限公司"]
    assert rows[0]["同受限制的人员"] == "冯法代、卫受限"
    data = json.loads((site.output / "data" / "restrictions.json").read_text(encoding="utf-8"))
    assert data["count"] == 1 and data["persons_included"] is False
    assert "褚限甲" not in raw.decode("utf-8-sig")


def test_a_setting_includes_persons_in_the_data(tmp_path):
    s = make_site(tmp_path)
    write_kinds(s.content, {"restrictions/a.yaml": standard_kinds()["restrictions/lu0502/person.yaml"]})
    s.build(settings={"PORTAL_DATA_PERSONS": True})
    data = json.loads((s.output / "data" / "restrictions.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in data["records"]] == ["褚限甲"] and data["persons_included"] is True


# -- no trace ---------------------------------------------------------------------------------


@pytest.mark.parametrize("which", sorted(KINDS_NON_PUBLIC))
def test_non_public_items_leave_no_trace(site, which):
    name, case = KINDS_NON_PUBLIC[which]
    needles = [name] + ([case, case[6:-1]] if case else [])
    assert grep_tree(site.output, *needles) == []
    assert grep_tree(paths.index_dir(site.output), *needles) == []
    for q in needles:
        assert search(site, q=q)["results"] == [] or all(name not in json.dumps(h, ensure_ascii=False)
                                                       for h in search(site, q=q)["results"])  # fmt: skip


def test_the_leak_gate_knows_the_withheld_names_of_the_kinds(site):
    view = site.result.view
    for name in ("韩久解", "杨隐名", "尤未来", "东营秦将来限有限公司", "何关闭赏", "吕过期赏"):
        assert name in view.withheld_names
    for case in ("（2024）鲁0502执3004号", "（2026）鲁0502执3006号", "（2025）鲁0502执4002号"):
        assert case in view.withheld_case_numbers
    assert "申请执行人" not in view.withheld_names  # a closed reward's unnamed applicant is no name
    # shown ones are not needles: the lifted unit is named in its notice
    assert "东营解除测试有限公司" not in view.withheld_names and "褚限甲" not in view.withheld_names


def test_the_leak_gate_stops_a_withheld_restricted_person_in_a_news_article(tmp_path):
    from generator.errors import BuildError

    s = make_site(tmp_path)
    write_kinds(s.content, standard_kinds())
    (s.content / "news" / "leak.md").write_text(
        "Title: 限消人员\nDate: 2026-11-02\nSlug: leak\nSummary: x\n\n受限制人员尤未来。\n", encoding="utf-8"
    )
    with pytest.raises(BuildError) as failed:
        s.build()
    assert "news/leak/" in str(failed.value) and "泄露" in str(failed.value)


def test_a_record_that_stops_being_public_leaves_every_batch_at_once(tmp_path):
    s = make_site(tmp_path)
    write_kinds(s.content, standard_kinds())
    s.build()
    assert "张三丰" in (s.output / "exposure" / "2026-11-20" / "column.txt").read_text(encoding="utf-8")
    write(s.records, "lu0502/person.yaml", record(status="removed", removed_on=date(2026, 11, 24),
                                                  removal_reason="corrected"))  # fmt: skip
    result = s.build(allow_drop=True)
    assert all(r.name != "张三丰" for b in result.view.batches for r in b.records)
    assert grep_tree(s.output, "张三丰") == []  # not on a batch page, print view, column or anywhere
    assert "张三丰" not in text(s, "exposure/2026-11-21/")


def test_a_batch_naming_no_record_stops_the_build(tmp_path):
    from generator.errors import ContentErrors

    s = make_site(tmp_path)
    write_kinds(s.content, {"exposure/2026-11-20.yaml": batch(records=["2024-lu0502-zhi-1235"])})
    with pytest.raises(ContentErrors) as failed:
        s.build()
    assert [e.code for e in failed.value.errors] == ["E184"]


# -- hostile input ----------------------------------------------------------------------------


def test_a_disguised_withheld_person_in_the_news_is_still_caught(tmp_path):
    from generator.errors import BuildError

    s = make_site(tmp_path)
    write_kinds(s.content, standard_kinds())
    # spaced, Traditional, full-width: a reader still reads 尤未来 (an art. 3 ¶2 person of an order not yet out)
    (s.content / "news" / "leak.md").write_text(
        "Title: 限消\nDate: 2026-11-02\nSlug: leak\nSummary: x\n\n限制消费人员尤 未 來。\n", encoding="utf-8"
    )
    with pytest.raises(BuildError) as failed:
        s.build()
    assert "news/leak/" in str(failed.value)


def test_drafts_and_formulas(tmp_path):
    from .kindsfactory import org, restriction, reward

    s = make_site(tmp_path)
    write_kinds(s.content, {
        "restrictions/draft.yaml": restriction(case_number="（2026）鲁0502执3010号", debtor__name="郑草稿限",
                                               vetting__vetted_by=None, vetting__vetted_on=None),
        "rewards/draft.yaml": reward(case_number="（2026）鲁0502执4010号", debtor__name="郑草稿赏",
                                     vetting__vetted_by=None, vetting__vetted_on=None),
        "restrictions/formula.yaml": restriction(case_number="（2025）鲁0502执3011号",
                                                 debtor=org("=HYPERLINK(\"http://x.example\",\"点此\")")),
    })  # fmt: skip
    result = s.build(drafts_ok=True)  # a draft is accepted by the check, and never public
    assert [r.id for r in result.view.restrictions] == ["2025-lu0502-zhi-3011"] and result.view.rewards == ()
    assert grep_tree(s.output, "郑草稿限", "郑草稿赏", "鲁0502执3010", "鲁0502执4010") == []
    assert grep_tree(paths.index_dir(s.output), "郑草稿限", "郑草稿赏") == []
    rows = list(csv.reader(io.StringIO((s.output / "data" / "restrictions.csv").read_bytes().decode("utf-8-sig"))))
    assert rows[1][2].startswith("'=HYPERLINK(")  # a spreadsheet shows it as text, never runs it


# -- incremental = full -----------------------------------------------------------------------


def _lift(s):
    items = standard_kinds()
    write_kinds(s.content, {"restrictions/lu0502/person.yaml": {
        **items["restrictions/lu0502/person.yaml"], "status": "lifted", "lifted_on": date(2026, 11, 24),
        "lift_reason": "security_provided"}})  # fmt: skip


def _edit_reward(s):
    item = standard_kinds()["rewards/open.yaml"]
    write_kinds(s.content, {"rewards/open.yaml": {**item, "conditions": "提供线索经查证属实"}})


def _close_reward(s):
    write_kinds(s.content, {"rewards/open.yaml": {**standard_kinds()["rewards/open.yaml"], "status": "closed"}})


def _remove_debtor(s):
    write(s.records, "lu0502/person.yaml", record(status="removed", removed_on=date(2026, 11, 24),
                                                  removal_reason="early_deletion"))  # fmt: skip


@pytest.mark.parametrize("change", [_lift, _edit_reward, _close_reward, _remove_debtor])
def test_incremental_build_after_a_change_equals_a_full_one(tmp_path, change):
    import shutil

    from .sitefixture import Site, tree

    s = make_site(tmp_path / "a")
    write_kinds(s.content, standard_kinds())
    s.build()
    change(s)
    copy = tmp_path / "full"
    shutil.copytree(s.root, copy, symlinks=True, ignore=shutil.ignore_patterns("trash"))
    full = Site(copy, copy / "content", copy / "output")
    result = s.build(allow_drop=True)
    reference = full.build(incremental=False, allow_drop=True)
    assert result.incremental and not reference.incremental and result.files_written > 0
    assert tree(s.output) == tree(full.output)
    # the updated index answers as the full one does
    for q in ("褚限甲", "许悬赏", "鲁0502", "卫受限", "张三丰"):
        assert search(s, q=q) == search(full, q=q), q
