"""Browsing by clicking, with and without JavaScript: home → list → record → notice, pagination."""

from __future__ import annotations

import re

from .artifacts import screenshot
from .sitefixture import PER_PAGE

RECORD_HREF = re.compile(r"/debtors/(\d{4}-[a-z0-9]+-[a-z]+-\d+(?:-\d+)?)/$")


def _record_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Record ids linked from the page's main content, in page order, once each."""
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    ids: list[str] = []
    for href in hrefs:
        m = RECORD_HREF.search(href)
        if m and m.group(1) not in ids:
            ids.append(m.group(1))
    return ids


def _home_to_record(page, site, name: str) -> str:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator("nav a[href$='/debtors/']").first.click()
    page.wait_for_url(re.compile(r"/debtors/$"))
    ids = _record_ids(page)
    assert ids[:PER_PAGE] == [p.id for p in site.view.public[:PER_PAGE]]
    screenshot(page, f"{name}-debtors")
    newest = site.view.public[0]
    page.locator(f"main a[href$='/debtors/{newest.id}/']").first.click()
    page.wait_for_url(re.compile(rf"/debtors/{newest.id}/$"))
    assert newest.name in page.locator("h1").inner_text()
    assert newest.case_number in page.locator("main").inner_text()
    screenshot(page, f"{name}-record")
    return newest.id


def test_home_list_record_notice_by_clicking(page, site):
    record_id = _home_to_record(page, site, "js")
    page.locator(f"main a[href$='/debtors/{record_id}/notice/']").click()
    page.wait_for_url(re.compile(rf"/debtors/{record_id}/notice/$"))
    assert page.locator("h1").inner_text().replace("\u3000", "") == "公告"
    screenshot(page, "js-notice")


def test_browse_without_javascript(nojs_page, site):
    _home_to_record(nojs_page, site, "nojs")


def test_pagination_next_page(page, site):
    page.goto("/debtors/")
    page.locator("a[rel='next']").first.click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith(site.next_page_path.rstrip("/"))
    assert _record_ids(page)[:PER_PAGE] == [p.id for p in site.view.public[PER_PAGE : 2 * PER_PAGE]]
    # and back
    page.locator("a[rel='prev']").first.click()
    page.wait_for_url(re.compile(r"/debtors/$"))
    screenshot(page, "js-debtors-page-1-again")


def test_missing_page_is_404_with_the_site_404_page(page):
    response = page.goto("/debtors/2019-lu0502-zhi-1/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    page.locator("main a[href$='/debtors/']").first.click()
    page.wait_for_url(re.compile(r"/debtors/$"))
