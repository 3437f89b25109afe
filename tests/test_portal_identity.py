"""The portal as people use it (issue 18): the court's own contact details where a person needs
them, the footer's registration lines, emblem and favicon, the download buttons of /data/, visible
subscribe links, and what search engines are given (meta description, rel=canonical, sitemap) —
for the pages meant to be found, never for a natural person's record page."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from lxml import etree

from generator.errors import UsageError
from generator.render.datapage import human_size
from generator.settings import portal_settings

from .sitefixture import make_site

SITEURL = "https://court.example.gov.cn"
DONGYING = "东营市东营区人民法院"
COURTS = {
    DONGYING: {"address": "东营市东营区测试路 9 号", "phone": "12368", "hours": "工作日 9:00—17:00",
               "window": "诉讼服务中心 3 号窗口"},
}  # fmt: skip
FOOTER = {
    "PORTAL_SPONSOR": "东营市中级人民法院（测试）",
    "PORTAL_ICP": "鲁ICP备12345678号",
    "PORTAL_GOV_SITE_CODE": "3705000001",
    "PORTAL_PSB_RECORD": "鲁公网安备37050202000001号",
    "PORTAL_EMBLEM": "theme/images/emblem-demo.svg",
}
DATA_PAGE = """Title: 数据说明
Slug: data
Summary: 开放数据的字段与许可协议。

本站的开放数据说明（测试）。
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    site = make_site(tmp_path_factory.mktemp("identity"))
    (site.content / "pages" / "data.md").write_text(DATA_PAGE, encoding="utf-8")
    site.build(settings={"SITEURL": SITEURL, "PORTAL_PER_PAGE": 1, "PORTAL_COURTS": COURTS, **FOOTER})
    return site


def ids(site) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Record ids by kind: the person and the organization of the Dongying court."""
    doc = site.page("courts/")
    slugs = {a.text_content(): a.get("href") for a in doc.cssselect("main tbody a")}
    court = site.page(urlsplit(slugs[DONGYING]).path.lstrip("/") + "page/2/")  # one record a page
    first = site.page(urlsplit(slugs[DONGYING]).path.lstrip("/"))
    out = {}
    for page in (first, court):
        for a in page.cssselect("main tbody th a"):
            path = urlsplit(a.get("href")).path.lstrip("/")
            kind = "org" if "公司" in a.text_content() else "person"
            out[kind] = path
    return out


# -- the court's identity ------------------------------------------------------------------
def test_court_contacts_on_the_court_record_notice_and_correction_pages(built):
    slug_page = next(
        a.get("href") for a in built.page("courts/").cssselect("main tbody a") if a.text_content() == DONGYING
    )
    court_path = urlsplit(slug_page).path.lstrip("/")
    person = ids(built)["person"]
    pages = {
        "court": built.page(court_path),
        "record": built.page(person),
        "correction": built.page("correction/"),
    }
    for name, doc in pages.items():
        section = doc.cssselect("main .court-contact")
        assert section, name
        text = section[0].text_content()
        for value in COURTS[DONGYING].values():
            assert value in text, (name, value)
        assert section[0].cssselect("a[href='tel:12368']"), name
    notice = built.page(person + "notice/").cssselect(".notice-contact")[0].text_content()
    assert "东营市东营区测试路 9 号" in notice and "12368" in notice and "诉讼服务中心 3 号窗口" in notice
    # a court without settings: no empty section
    hekou = next(a.get("href") for a in built.page("courts/").cssselect("main tbody a") if "河口" in a.text_content())
    assert built.page(urlsplit(hekou).path.lstrip("/")).cssselect(".court-contact") == []


def test_footer_registration_lines_emblem_and_favicon(built):
    doc = built.page("")
    footer = doc.cssselect("footer")[0]
    text = footer.text_content()
    for value in FOOTER.values():
        if not value.startswith("theme/"):
            assert value in text, value
    assert "主办单位：东营市中级人民法院（测试）" in text and "政府网站标识码：3705000001" in text
    assert footer.cssselect("a[href='https://beian.miit.gov.cn/']")[0].text_content() == "鲁ICP备12345678号"
    assert footer.cssselect("a[href^='https://beian.mps.gov.cn/']")[0].text_content() == "鲁公网安备37050202000001号"
    emblem = doc.cssselect("header .site-name img.emblem")[0]
    assert emblem.get("src") == f"{SITEURL}/theme/images/emblem-demo.svg" and emblem.get("alt") == ""
    assert (built.output / "theme/images/emblem-demo.svg").is_file()
    icon = built.output / "favicon.ico"
    assert icon.read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert doc.cssselect("link[rel='icon']")[0].get("href") == f"{SITEURL}/favicon.ico"


@pytest.mark.parametrize(
    "courts, message",
    [
        ([], "应为字典"),
        ({DONGYING: "12368"}, "应为字典"),
        ({DONGYING: {"tel": "12368"}}, "未知项：tel"),
        ({DONGYING: {"phone": ""}}, "phone 应为非空文字"),
        ({DONGYING: {"phone": 12368}}, "phone 应为非空文字"),
    ],
)
def test_bad_court_settings_are_a_usage_error(courts, message):
    with pytest.raises(UsageError, match=message):
        portal_settings({"PORTAL_COURTS": courts})


@pytest.mark.parametrize("emblem", ["/theme/x.svg", "https://elsewhere.example/x.svg", "../x.svg"])
def test_the_emblem_is_a_path_inside_the_site(emblem):
    with pytest.raises(UsageError, match="PORTAL_EMBLEM"):
        portal_settings({"PORTAL_EMBLEM": emblem})


def test_hostile_setting_values_are_escaped(tmp_path):
    """A court's settings are text, never markup: a pasted tag or quote stays text."""
    site = make_site(tmp_path)
    hostile = {DONGYING: {"address": '<script>alert(1)</script>路"1号', "phone": '12368" onclick="x'}}
    site.build(settings={"PORTAL_COURTS": hostile, "PORTAL_SPONSOR": "<b>法院</b>"})
    person = "debtors/2024-lu0502-zhi-1234/"
    html = (site.output / person / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;路&#34;1号" in html
    assert 'onclick="x' not in html
    assert "&lt;b&gt;法院&lt;/b&gt;" in html
    notice = (site.output / person / "notice/index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in notice


def test_footer_settings_must_be_text():
    with pytest.raises(UsageError, match="PORTAL_ICP"):
        portal_settings({"PORTAL_ICP": ""})


def test_a_favicon_that_is_not_an_ico_stops_the_build(tmp_path):
    from generator.errors import BuildError

    site = make_site(tmp_path)
    (site.content / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(BuildError, match="PORTAL_FAVICON"):
        site.build(settings={"PORTAL_FAVICON": "icon.png"})


# -- downloads and subscriptions -------------------------------------------------------------
def test_data_page_offers_each_file_as_a_download_with_size_and_date(built):
    doc = built.page("data/")
    buttons = doc.cssselect("main a.download")
    hrefs = [urlsplit(a.get("href")).path for a in buttons]
    assert hrefs == ["/data/debtors.csv", "/data/debtors.json", "/data/schema.json", "/data/changes/index.json"]
    for a in buttons:
        item = a.getparent()
        size = (built.output / urlsplit(a.get("href")).path.lstrip("/")).stat().st_size
        assert human_size(size) in item.text_content(), a.get("href")
        assert "数据日期 2026-11-25" in item.text_content()
        assert a.get("download") is not None
    assert "本站的开放数据说明（测试）。" in doc.text_content()  # the page's own text, below the buttons
    assert doc.cssselect("h1")[0].text_content() == "数据说明"


def test_human_sizes():
    assert [human_size(n) for n in (0, 1023, 1024, 12_600, 4_781_506)] == [
        "0 字节", "1023 字节", "1.0 KB", "12.3 KB", "4.56 MB"]  # fmt: skip


def test_visible_subscribe_links_on_footer_news_removals_and_court_pages(built):
    footer = built.page("").cssselect("footer a.subscribe")[0]
    assert footer.text_content() == "订阅" and footer.get("href") == f"{SITEURL}/feeds/"
    court = next(a.get("href") for a in built.page("courts/").cssselect("main tbody a") if a.text_content() == DONGYING)
    slug = urlsplit(court).path.strip("/").split("/")[-1]
    wanted = {"news/": "feeds/news.atom", "removals/": "feeds/removals.atom",
              f"courts/{slug}/": f"feeds/courts/{slug}.atom"}  # fmt: skip
    for path, feed in wanted.items():
        links = built.page(path).cssselect("main a.subscribe")
        assert links, path
        assert "订阅" in links[0].text_content()
        assert links[0].get("href") == f"{SITEURL}/{feed}", path
        assert (built.output / feed).is_file()


# -- what search engines are given -----------------------------------------------------------
def head(doc) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    return ([m.get("content") for m in doc.cssselect("meta[name='description']")],
            [link.get("href") for link in doc.cssselect("link[rel='canonical']")])  # fmt: skip


def test_pages_meant_to_be_found_have_a_description_and_a_canonical_url(built):
    court = next(a.get("href") for a in built.page("courts/").cssselect("main tbody a") if a.text_content() == DONGYING)
    court_path = urlsplit(court).path.lstrip("/")
    found = ["", "debtors/", "debtors/page/2/", court_path, "courts/", "regions/", "grounds/", "removals/", "news/",
             "news/action/", "stats/", "feeds/", "data/", "correction/", ids(built)["org"]]  # fmt: skip
    for path in found:
        descriptions, canonical = head(built.page(path))
        assert len(descriptions) == 1 and len(descriptions[0]) > 10, path
        assert canonical == [f"{SITEURL}/{path}"], path


def test_a_persons_page_gets_no_description_and_no_canonical_url(built):
    person = ids(built)["person"]
    for path in (person, person + "notice/"):
        assert head(built.page(path)) == ([], []), path
    assert "3705" not in " ".join(head(built.page("debtors/"))[0])  # no ID in a list's description


def test_sitemap_lists_every_page_of_every_list_news_stats_feeds_and_data(built):
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = []
    for f in sorted((built.output / "sitemaps").glob("*.xml")):
        urls += [loc.text for loc in etree.parse(str(f)).iter(ns + "loc")]
    paths = [urlsplit(u).path for u in urls]
    for wanted in ("/news/", "/stats/", "/feeds/", "/data/", "/debtors/page/2/", "/debtors/page/3/", "/removals/"):
        assert wanted in paths, wanted
    assert any(p.startswith("/courts/") and "/page/2/" in p for p in paths)
    assert len(paths) == len(set(paths))
    for p in paths:  # every URL is a page of the site: no dead link handed to a crawler
        assert (built.output / p.lstrip("/") / "index.html").is_file() or (built.output / p.lstrip("/")).is_file(), p
    assert date(2026, 11, 25)  # the fixture's date: the lists are those of that day


def test_no_canonical_url_on_record_pages_kept_out_of_search_engines(tmp_path):
    site = make_site(tmp_path)
    site.build(settings={"PORTAL_NOINDEX_RECORDS": True})
    org = "debtors/2025-lu0502-zhi-77/"
    assert head(site.page(org)) == ([], [])
    assert site.page(org).cssselect("meta[name='robots']")[0].get("content") == "noindex"
