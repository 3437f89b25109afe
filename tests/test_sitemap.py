"""Sitemaps (generator.render.sitemap): each file is named by the URLs it lists, so an edit that
moves no URL and no listing date leaves every sitemap's inputs (and bytes) as they were."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from generator.render import sitemap
from generator.render.outputs import Lazy, render_all

from .factory import record
from .renderctx import context, rendered, view_of

EXTRA = ["about/", "news/sweep/"]
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _records() -> list[dict]:
    return [
        record(),
        record(case_number="（2024）鲁0502执1240号", debtor__name="李小龙", listed_on=date(2026, 3, 2)),
        record(case_number="（2025）鲁0503执100号", court="东营市河口区人民法院", region_code="370503",
               debtor__name="王五", listed_on=date(2026, 1, 5)),
    ]  # fmt: skip


def _inputs(ctx) -> dict[str, str]:
    return {f.path: ctx.digest(*f.inputs) for f in render_all(sitemap.RENDERER, ctx) if isinstance(f, Lazy)}


@pytest.mark.parametrize("noindex", [False, True])
def test_sitemaps_keep_their_inputs_while_their_urls_stay(tmp_path, monkeypatch, noindex):
    monkeypatch.setattr(sitemap, "MAX_URLS", 5)  # several files, a record in each
    # persons' pages in the sitemap too (PORTAL_NOINDEX_PERSONS off): these records are persons
    settings = {"PORTAL_NOINDEX_RECORDS": noindex, "PORTAL_NOINDEX_PERSONS": False, "SITEURL": "https://example.gov.cn"}
    recs = _records()
    ctx = context(view_of(tmp_path / "r", recs), settings)
    ctx.env.globals["site_pages"] = [{"title": "关于", "url": "about/"}]
    previous, keys = rendered(sitemap.RENDERER, ctx), _inputs(ctx)

    def step(label: str, kept: bool, as_of: date = date(2026, 11, 25)) -> None:
        nonlocal previous, keys
        now = context(view_of(tmp_path / "r", recs, as_of), settings)
        now.env.globals["site_pages"] = [{"title": "关于", "url": "about/"}]
        out, inputs = rendered(sitemap.RENDERER, now), _inputs(now)
        assert (inputs == keys) == kept, label
        for path, key in inputs.items():
            if keys.get(path) == key:
                assert out[path] == previous[path], (label, path)
        previous, keys = out, inputs

    recs[1] = {**recs[1], "obligation": "已改"}
    step("obligation", kept=True)
    recs[0] = {**recs[0], "debtor": {**recs[0]["debtor"], "name": "张三"}}
    step("name", kept=True)
    recs[1] = {**recs[1], "listed_on": date(2026, 3, 3)}  # its lastmod
    step("listed_on", kept=noindex)
    recs.append(record(case_number="（2024）鲁0502执1500号", debtor__name="周九", listed_on=date(2026, 11, 1)))
    step("added", kept=noindex)
    recs[2] = {**recs[2], "court": "东营市东营区人民法院", "region_code": "370502",
               "case_number": "（2025）鲁0502执100号"}  # fmt: skip
    step("court", kept=False)  # a court without records: its list page is not in the sitemap any more
    step("as_of", kept=True, as_of=date(2026, 11, 26))  # the URLs and dates are the same


def test_sitemap_lists_static_pages_news_and_records(tmp_path):
    from generator.render.outputs import NewsItem

    news = [NewsItem("sweep", "行动", "news/sweep/", date(2026, 10, 8), "摘要", "正文", "<p>正文</p>")]
    settings = {"SITEURL": "https://example.gov.cn/sx/", "PORTAL_NOINDEX_PERSONS": False}  # these records are persons
    ctx = context(view_of(tmp_path / "r", _records()), settings, news)
    ctx.env.globals["site_pages"] = [{"title": "纠正申请", "url": "correction/"}]
    out = rendered(sitemap.RENDERER, ctx)
    assert set(out) == {"sitemap.xml", "sitemaps/sitemap-1.xml", "robots.txt"}
    index = etree.fromstring(out["sitemap.xml"])
    assert [loc.text for loc in index.iter(SM + "loc")] == ["https://example.gov.cn/sx/sitemaps/sitemap-1.xml"]
    urls = [u.text for u in etree.fromstring(out["sitemaps/sitemap-1.xml"]).iter(SM + "loc")]
    assert urls[:2] == ["https://example.gov.cn/sx/", "https://example.gov.cn/sx/debtors/"]
    news_at, page_at = (
        urls.index("https://example.gov.cn/sx/news/sweep/"),
        urls.index("https://example.gov.cn/sx/correction/"),
    )
    assert news_at < page_at < urls.index("https://example.gov.cn/sx/debtors/2024-lu0502-zhi-1234/")
    assert "Sitemap: https://example.gov.cn/sx/sitemap.xml" in out["robots.txt"].decode()
    # an explicit list of static pages instead of the theme's
    explicit = {f.path: f for f in sitemap.render(ctx, extra=EXTRA)}
    assert b"/about/" in explicit["sitemaps/sitemap-1.xml"].make()
