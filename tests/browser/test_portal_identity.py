"""In the browser: the court's contact details, the footer's registration lines and emblem, the
favicon (no failed request on any page), the download buttons of /data/ and the subscribe links,
on a desktop and on a 375 px phone."""

from __future__ import annotations

import re

import feedparser
import pytest

from .artifacts import screenshot
from .pages import PAGE_NAMES, path_for

DEMO_COURT_PHONE = "12368"


@pytest.mark.parametrize("kind", [k for k in PAGE_NAMES if k != "not-found"])
def test_no_request_of_any_page_fails(page, site, kind):
    """favicon.ico, stylesheets, the emblem: every request a page makes is answered."""
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(path_for(site, kind))
    page.wait_for_load_state("networkidle")
    assert failed == [], kind
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"


def test_the_emblem_and_the_footer_registration_lines_show(page, site):
    page.goto("/")
    emblem = page.locator("header img.emblem")
    assert emblem.is_visible()
    assert page.evaluate("document.querySelector('header img.emblem').naturalWidth") > 0  # the image loaded
    footer = page.locator("footer")
    for text in ("主办单位：", "政府网站标识码：", "ICP备", "公网安备", "演示"):
        assert footer.get_by_text(re.compile(re.escape(text))).first.is_visible(), text


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_download_buttons_with_size_and_date(page, phone_page, site, viewport):
    p = page if viewport == "desktop" else phone_page
    p.goto("/data/")
    buttons = p.locator("main a.download")
    assert buttons.count() == 4
    for i in range(buttons.count()):
        button = buttons.nth(i)
        assert button.is_visible()
        box = button.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= p.viewport_size["width"]
        item = button.locator("xpath=..").inner_text()
        assert re.search(r"\d+(\.\d+)? (KB|MB|字节)", item) and "数据日期 2026-11-25" in item, item
        answer = p.request.get(button.get_attribute("href"))
        assert answer.status == 200 and len(answer.body()) > 0
    screenshot(p, f"data-downloads-{viewport}", full_page=False)


@pytest.mark.parametrize("kind, feed", [("news", "feeds/news.atom"), ("removals", "feeds/removals.atom"),
                                        ("court", "feeds/courts/"), ("home", "feeds/")])  # fmt: skip
def test_visible_subscribe_links(phone_page, site, kind, feed):
    phone_page.goto(path_for(site, kind))
    scope = phone_page.locator("footer" if kind == "home" else "main")
    link = scope.locator("a.subscribe").first
    link.scroll_into_view_if_needed()
    assert link.is_visible() and "订阅" in link.inner_text()
    href = link.get_attribute("href")
    assert feed in href
    answer = phone_page.request.get(href)
    assert answer.status == 200
    if href.endswith(".atom"):
        parsed = feedparser.parse(answer.body())
        assert parsed.version == "atom10" and not parsed.bozo


@pytest.mark.parametrize("kind", ["court", "record", "correction"])
def test_court_contact_details_show_where_people_need_them(phone_page, site, kind):
    phone_page.goto(path_for(site, kind))
    section = phone_page.locator("main .court-contact").first
    section.scroll_into_view_if_needed()
    assert section.is_visible()
    text = section.inner_text()
    for label in ("地址", "联系电话", "办公时间", "缴款与纠正申请窗口"):
        assert label in text, (kind, label)
    assert section.locator(f"a[href='tel:{DEMO_COURT_PHONE}']").first.is_visible()
    width = phone_page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert width[0] <= width[1]
    screenshot(phone_page, f"phone-court-contact-{kind}", full_page=False)


def test_the_printed_notice_gives_the_courts_address_phone_and_window(page, site):
    page.goto(path_for(site, "notice"))
    page.emulate_media(media="print")
    contact = page.locator(".notice-contact")
    assert contact.is_visible()
    text = contact.inner_text()
    assert "地址：" in text and "联系电话：12368" in text and "缴款与纠正申请窗口：" in text
