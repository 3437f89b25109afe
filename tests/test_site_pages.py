"""Every page kind of SPEC §3, built from fixture records and checked with HTML selectors."""

from __future__ import annotations

import os
from datetime import date

import pytest
from lxml import etree

from generator.render import sitemap

from .factory import NO_TERM, write
from .sitefixture import REPO, grep_tree, make_site, record

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = make_site(tmp_path_factory.mktemp("pages"))
    s.build(settings={"PORTAL_PER_PAGE": 2})
    return s


def texts(doc, selector):
    return [" ".join(e.text_content().split()) for e in doc.cssselect(selector)]


def rows(doc):
    return [[c.text_content().strip() for c in tr] for tr in doc.cssselect("tbody tr")]


def fields(doc):
    """The record page's <dl>: dt text → dd text."""
    dts = doc.cssselect("dl.fields > dt")
    return {dt.text_content().strip(): " ".join(dt.getnext().text_content().split()) for dt in dts}


def test_every_html_page_is_zh_cn_with_demo_banner_landmarks_and_unique_ids(site):
    pages = sorted(site.output.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        doc = site.page(str(path.relative_to(site.output)))
        assert doc.get("lang") == "zh-CN", path
        assert "虚构" in texts(doc, ".demo-banner")[0], path
        assert len(doc.cssselect("main#main")) == 1, path
        assert doc.cssselect("header[role=banner] nav[aria-label]"), path
        assert doc.cssselect("footer[role=contentinfo]"), path
        ids = [e.get("id") for e in doc.iter() if isinstance(e.tag, str) and e.get("id")]
        assert len(ids) == len(set(ids)), (path, ids)
        for inp in doc.cssselect("input"):
            assert doc.cssselect(f'label[for="{inp.get("id")}"]'), (path, inp.get("id"))
        assert not doc.cssselect("script"), path


def test_person_record_page_has_every_art6_field(site):
    doc = site.page("debtors/2024-lu0502-zhi-1234/")
    f = fields(doc)
    assert texts(doc, "h1") == ["张三丰"]
    assert f["被执行人姓名/名称"] == "张三丰"
    assert f["身份证号码"] == "3705021985****1234"
    assert f["性别"] == "男"
    assert f["年龄"] == "40 岁"
    assert f["执行法院"] == "东营市东营区人民法院"
    assert f["地区"] == "东营区"
    assert f["执行案号"] == "（2024）鲁0502执1234号"
    assert f["立案时间"] == "2024年3月5日"
    assert f["执行依据文号"] == "（2023）鲁0502民初5678号"
    assert f["作出执行依据单位"] == "东营市东营区人民法院"
    assert f["生效法律文书确定的义务"] == "支付货款120000元及利息"
    assert f["履行情况"] == "全部未履行"
    assert f["未履行金额"] == "120,000.00 元"
    assert f["失信情形"] == "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行"
    assert f["发布时间"] == "2025年6月1日"
    assert f["公布期限"] == "2 年，至 2027年6月1日 届满"
    law = texts(doc, "section[aria-labelledby=law] p")[0]
    assert "《最高人民法院关于公布失信被执行人名单信息的若干规定》" in law and "第一条第三项" in law
    assert doc.cssselect('dl.fields a[href="/courts/lu0502/"]')
    assert doc.cssselect('dl.fields a[href="/regions/370502/"]')
    assert doc.cssselect('dl.fields a[href="/grounds/evades_by_fraud/"]')
    # a natural person's page: noindex by default (PORTAL_NOINDEX_PERSONS; tests/test_privacy_pipl.py)
    assert [m.get("content") for m in doc.cssselect('meta[name="robots"]')] == ["noindex"]


def test_record_page_carries_the_correction_notice(site):
    doc = site.page("debtors/2024-lu0502-zhi-1234/")
    notice = texts(doc, "section.notice")[0]
    for words in (
        "书面纠正申请",
        "十五日内审查",
        "三个工作日内纠正",
        "十日内向上一级人民法院申请复议",
        "东营市东营区人民法院",
    ):
        assert words in notice
    assert doc.cssselect('section.notice a[href="/correction/"]')


def test_organization_and_no_fixed_term_records(site):
    org = fields(site.page("debtors/2025-lu0502-zhi-77/"))
    assert org["统一社会信用代码"].startswith("91370502MA3C0ABCD")
    assert org["法定代表人或负责人"] == "李四"
    assert "身份证号码" not in org and "性别" not in org
    refuses = site.page("debtors/2025-lu0503-zhi-12/")
    assert fields(refuses)["公布期限"].startswith("无固定期限")
    assert "第一条第一项" in texts(refuses, "section[aria-labelledby=law] p")[0]


def test_record_page_weight_and_css_budget(site):
    for page in (site.output / "debtors").glob("*/index.html"):
        assert page.stat().st_size <= 10 * 1024, page
    css = sum(p.stat().st_size for p in (site.output / "theme").rglob("*.css"))
    assert 0 < css <= 20 * 1024


def test_debtor_list_is_paginated_newest_first(site):
    first = site.page("debtors/")
    assert texts(first, "table tbody th") == ["赵六", "东营鑫盛商贸有限公司"]
    assert first.cssselect('nav.pager a[rel=next][href="/debtors/page/2/"]')
    assert first.cssselect('nav.pager a[aria-current=page][href="/debtors/"]')
    second = site.page("debtors/page/2/")
    assert texts(second, "table tbody th") == ["张三丰"]
    assert second.cssselect('nav.pager a[rel=prev][href="/debtors/"]')
    assert not (site.output / "debtors/page/3").exists()
    assert "共 3 条" in texts(first, "main p")[0]


def test_browse_indexes_and_lists_with_their_feeds(site):
    courts = site.page("courts/")
    assert rows(courts) == [["东营市东营区人民法院", "2"], ["东营市河口区人民法院", "1"]]
    court = site.page("courts/lu0502/")
    assert texts(court, "h1") == ["东营市东营区人民法院"]
    assert court.cssselect('link[rel=alternate][href="/feeds/courts/lu0502.atom"]')
    assert court.cssselect('link[rel=alternate][href="/feeds/listings.atom"]')  # super() kept
    regions = site.page("regions/")
    assert rows(regions) == [["东营区", "370502", "2"], ["河口区", "370503", "1"]]
    region = site.page("regions/370503/")
    assert region.cssselect('link[rel=alternate][href="/feeds/regions/370503.atom"]')
    assert texts(region, "table tbody th") == ["赵六"]
    grounds = site.page("grounds/")
    assert len(grounds.cssselect("tbody tr")) == 6  # every ground of art. 1, even empty ones
    fraud = site.page("grounds/evades_by_fraud/")
    assert texts(fraud, "table tbody th") == ["东营鑫盛商贸有限公司", "张三丰"]
    assert "第一条第三项" in fraud.text_content()
    assert "暂无公开记录" in site.page("grounds/breaks_settlement/").text_content()


def test_home_page(site):
    home = site.page("")
    stats = dict(zip(texts(home, ".stats dt"), texts(home, ".stats dd"), strict=True))
    assert stats == {
        "公开记录": "3 条",
        "自然人": "2 条",
        "法人或其他组织": "1 条",
        "执行法院": "2 个",
        "近期删除公告": "1 条",
    }
    assert texts(home, "table tbody th") == ["赵六", "东营鑫盛商贸有限公司", "张三丰"]
    assert home.cssselect('a[href="/news/action/"]')
    form = home.cssselect('form[role=search][aria-label="查询失信被执行人"]')[0]
    assert form.get("action") == "/search/" and form.cssselect("input[name=q]")
    assert "2026年11月25日" in home.text_content()


def test_removals_page_has_case_court_date_reason_but_no_name(site):
    doc = site.page("removals/")
    assert rows(doc) == [["（2024）鲁0502执2001号", "东营市东营区人民法院", "2026-11-01", "已履行完毕"]]
    assert "钱removed" not in doc.text_content()


def test_news_and_static_pages_go_through_pelican_sanitised(site):
    news = site.page("news/")
    assert texts(news, ".news-list h2") == ["东营法院集中执行行动"]
    article = site.page("news/action/")
    assert texts(article, "h1") == ["东营法院集中执行行动"]
    assert article.cssselect("article strong")
    assert not article.cssselect("script")
    assert b"alert(" not in (site.output / "news/action/index.html").read_bytes()
    page = site.page("correction/")
    assert texts(page, "h1") == ["纠正申请"]
    assert site.page("").cssselect('footer a[href="/correction/"]')


def test_404_robots_and_sitemap(site):
    assert texts(site.page("404.html"), "h1") == ["页面不存在"]
    robots = (site.output / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: /sitemap.xml" in robots and "User-agent: *" in robots
    index = etree.fromstring((site.output / "sitemap.xml").read_bytes())
    assert index.tag == SM + "sitemapindex"
    locs = [loc.text for loc in index.iter(SM + "loc")]
    assert locs == ["/sitemaps/sitemap-1.xml"]
    urls = [u.text for u in etree.parse(str(site.output / "sitemaps/sitemap-1.xml")).iter(SM + "loc")]
    for path in ("/", "/debtors/", "/courts/lu0502/", "/regions/370503/", "/grounds/evades_by_fraud/",
                 "/removals/", "/news/action/", "/correction/", "/debtors/2025-lu0502-zhi-77/"):  # fmt: skip
        assert path in urls
    assert "/debtors/2024-lu0502-zhi-1234/" not in urls  # a natural person (PORTAL_NOINDEX_PERSONS)
    assert len(urls) == len(set(urls))
    for path in urls:  # every URL in the sitemap exists
        rel = path.lstrip("/")
        assert (site.output / rel / "index.html").exists() or (site.output / rel).is_file(), path


def test_sitemap_splits_at_max_urls(tmp_path, monkeypatch):
    monkeypatch.setattr(sitemap, "MAX_URLS", 5)
    s = make_site(tmp_path)
    s.build()
    index = etree.fromstring((s.output / "sitemap.xml").read_bytes())
    files = [loc.text for loc in index.iter(SM + "loc")]
    assert len(files) >= 4
    counts = [len(etree.parse(str(s.output / f.lstrip("/"))).getroot()) for f in files]
    assert all(c <= 5 for c in counts) and sum(counts) > 15


def test_noindex_records_setting(tmp_path):
    s = make_site(tmp_path)
    s.build(settings={"PORTAL_NOINDEX_RECORDS": True})
    doc = s.page("debtors/2025-lu0502-zhi-77/")  # an organisation: noindex only by this setting
    assert doc.cssselect("meta[name=robots][content=noindex]")
    assert not s.page("debtors/").cssselect("meta[name=robots]")
    assert b"/debtors/2025-lu0502-zhi-77/" not in (s.output / "sitemaps/sitemap-1.xml").read_bytes()


def test_debtor_name_is_escaped_everywhere(tmp_path):
    evil = "<script>alert(1)</script>"
    s = make_site(tmp_path, {"a.yaml": record(debtor__name=evil, obligation='支付"<b>x</b>"&')})
    s.build()
    doc = s.page("debtors/2024-lu0502-zhi-1234/")
    assert texts(doc, "h1") == [evil]
    assert not doc.cssselect("script") and not doc.cssselect("dd b")
    # data files (CSV/JSON) carry the text as written; every markup file must escape it
    assert [f for f, _ in grep_tree(s.output, evil) if not f.startswith("data/")] == []
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in (s.output / "debtors/index.html").read_bytes()


def test_demo_banner_off_without_portal_demo(tmp_path):
    s = make_site(tmp_path)
    s.build(settings={"PORTAL_DEMO": False})
    assert not s.page("").cssselect(".demo-banner")


def test_repository_demo_site_builds(tmp_path):
    """The demo content in the repository builds with `chenglai build` and renders every record."""
    from generator.build.pipeline import build_site

    result = build_site(REPO / "pelicanconf.py", output=tmp_path / "out", overrides={"PORTAL_AS_OF": "2026-11-25"})
    assert result.public > 100
    assert len(list((tmp_path / "out" / "debtors").glob("*/index.html"))) == result.public
    assert os.path.exists(tmp_path / "out" / "index.html")


def test_records_dir_setting(tmp_path):
    s = make_site(tmp_path, {})
    write(s.content / "elsewhere", "a.yaml", record())
    s.build(settings={"PORTAL_RECORDS_DIR": "elsewhere"})
    assert (s.output / "debtors/2024-lu0502-zhi-1234/index.html").exists()


def test_fast_page_falls_back_when_the_chrome_depends_on_the_page():
    import jinja2

    from generator.render import pages

    env = jinja2.Environment(
        loader=jinja2.DictLoader({
            "base.html": "<title>{% block title %}{% endblock %}</title>{% block content %}{% endblock %}<p>{{ x }}</p>",
            "page.html": '{% extends "base.html" %}{% block title %}{{ t }}{% endblock %}{% block content %}{{ c }}{% endblock %}',
        }),
        autoescape=True,
    )  # fmt: skip
    tpl = env.get_template("page.html")
    render = pages.fast_or_full(tpl, {"t": "a", "c": "b", "x": 1}, {"t": "c", "c": "d", "x": 2})
    assert render == tpl.render  # x is in the chrome: no fast path
    fast = pages.fast_or_full(tpl, {"t": "a", "c": "b<", "x": 1}, {"t": "c", "c": "d", "x": 1})
    assert fast != tpl.render
    assert fast(t="z", c="<y>", x=1) == tpl.render(t="z", c="<y>", x=1) == "<title>z</title>&lt;y&gt;<p>1</p>"


def test_site_with_no_public_record(tmp_path):
    removed = record(status="removed", removed_on=date(2026, 11, 1), removal_reason="performed", **NO_TERM)
    s = make_site(tmp_path, {"a.yaml": removed}, news=False)
    result = s.build()
    assert result.public == 0
    assert "暂无公开记录" in s.page("debtors/").text_content()
    assert "暂无新闻" in s.page("").text_content()
    assert [c.text_content() for c in s.page("removals/").cssselect("tbody th")] == ["（2024）鲁0502执1234号"]
    assert grep_tree(s.output, "张三丰") == []


# -- the pages renderer alone (no build) -------------------------------------------------
def _pages_ctx(folder, recs, **settings):
    from generator.render import pages
    from generator.render.outputs import NewsItem, RenderContext

    from .renderctx import view_of

    s = {"SITENAME": "测试", "SITEURL": "", "PORTAL_DEMO": True, "THEME": str(REPO / "theme"), "PORTAL_PER_PAGE": 2,
         **settings}  # fmt: skip
    env = pages.theme_env(s)
    env.globals["site_pages"] = [{"title": "纠正申请", "url": "correction/"}]
    news = [NewsItem("action", "行动", "news/action/", date(2026, 11, 1), "摘要", "正文", "<p>正文</p>")]
    return RenderContext(view_of(folder, recs), s, news, env)


def _unit_records():
    from .sitefixture import standard_records

    recs = list(standard_records().values())
    recs += [record(case_number=f"（2025）鲁0502执{300 + i}号", debtor__name=f"测试{i}", listed_on=date(2026, 2, i + 1))
             for i in range(5)]  # fmt: skip
    return recs


def test_every_page_is_a_lazy_of_its_template_inputs(tmp_path):
    """Each page is named by exactly what its template is rendered with, and make() gives a
    full render of the template with those values (FastPage changes no byte)."""
    from generator.render import pages
    from generator.render.outputs import Lazy, render_all

    ctx = _pages_ctx(tmp_path / "r", _unit_records())
    site = pages.RENDERER.site(ctx)
    out = list(render_all(pages.RENDERER, ctx))
    assert all(isinstance(f, Lazy) for f in out)
    by_path = {f.path: f for f in out}
    assert len(by_path) == len(out)
    env = ctx.env
    for r in ctx.view.public:
        f = by_path.pop(f"debtors/{r.id}/index.html")
        assert f.inputs == (r,)
        assert f.make().decode() == env.get_template("record.html").render(r=r)
    for spec in site.specs:
        pages_n = max(1, -(-len(spec.rows) // 2))
        for n in range(1, pages_n + 1):
            pager = pages.Pager(spec.base, n, pages_n, len(spec.rows))
            f = by_path.pop(pager.save_as)
            rows = spec.rows[(n - 1) * 2 : n * 2]
            fixed = {"heading": spec.heading, "nav_active": spec.nav, "feed": spec.feed, "crumb": spec.crumb,
                     "ground": spec.ground, "court": spec.court, "court_column": spec.court is None}  # fmt: skip
            assert f.inputs == (pager, rows, fixed)
            row = site.row if spec.court is None else site.row_without_court
            assert f.make().decode() == env.get_template("list.html").render(
                pager=pager, rows=rows, **fixed, row=row
            )
    home = by_path.pop("index.html")
    counts, as_of, newest, news, kinds = home.inputs[1:]
    assert kinds == {"restrictions": 0, "lifts": 0, "rewards": 0, "batches": 0}  # (SPEC §7: none here)
    assert (as_of, list(newest), news) == (ctx.view.as_of, list(ctx.view.public[:10]), ctx.news[:5])
    assert counts["public"] == len(ctx.view.public)
    assert by_path.pop("404.html").inputs == ()
    removals = by_path.pop("removals/index.html")
    assert removals.inputs[-2:] == (ctx.view.as_of, "removals")
    assert sorted(by_path) == ["courts/index.html", "grounds/index.html", "regions/index.html"]


def test_jobs_cover_every_page_once(tmp_path, monkeypatch):
    from generator.render import pages
    from generator.render.outputs import render_all

    ctx = _pages_ctx(tmp_path / "r", _unit_records())
    whole = [f.path for f in render_all(pages.RENDERER, ctx)]
    monkeypatch.setattr(pages, "RECORDS_PER_JOB", 1)
    monkeypatch.setattr(pages, "PAGES_PER_JOB", 1)
    again = _pages_ctx(tmp_path / "r", _unit_records())
    jobs = pages.RENDERER.jobs(again)
    assert len(jobs) > len(again.view.public)
    split = {f.path: f.make() for job in jobs for f in pages.RENDERER.run(again, job)}
    assert sorted(split) == sorted(whole)
    assert split == {f.path: f.make() for f in render_all(pages.RENDERER, ctx)}


def test_an_edited_record_changes_the_inputs_of_the_pages_that_show_it(tmp_path):
    """What a changed record touches: its page, the list pages that hold it, and home when it is
    among the newest; every other page keeps its inputs (the sink keeps its bytes)."""
    from generator.render import pages
    from generator.render.outputs import render_all

    def inputs(ctx):
        return {f.path: ctx.digest(*f.inputs) for f in render_all(pages.RENDERER, ctx)}

    recs = _unit_records()
    before = inputs(_pages_ctx(tmp_path / "r", recs))
    recs[0] = {**recs[0], "obligation": "已改"}  # 张三丰, lu0502/370502, the oldest listing
    after = inputs(_pages_ctx(tmp_path / "r", recs))
    changed = {p for p in after if after[p] != before.get(p)}
    assert changed == {
        "debtors/2024-lu0502-zhi-1234/index.html", "debtors/page/4/index.html", "courts/lu0502/page/4/index.html",
        "regions/370502/page/4/index.html", "grounds/evades_by_fraud/page/4/index.html", "index.html",
    }  # fmt: skip
