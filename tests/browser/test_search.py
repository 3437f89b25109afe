"""Search through the real service, typed into the site's form: by name, by pinyin, without JavaScript."""

from __future__ import annotations

import re

import pytest

from .artifacts import screenshot


def _search(page, text: str):  # type: ignore[no-untyped-def]
    page.goto("/")
    box = page.locator("header form[role='search'] input[name='q']")
    box.fill(text)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?"))
    return page


@pytest.mark.parametrize(
    ("query", "shot"),
    [
        ("单雄信", "name"),
        ("雄信", "name-part"),
        ("shanxiongxin", "pinyin"),
        ("sxx", "initials"),
        ("單雄信", "traditional"),
    ],
)
def test_search_finds_person(page, site, query, shot):
    _search(page, query)
    record_id = site.record_id("person")
    link = page.locator(f"main a[href$='/debtors/{record_id}/']").first
    link.wait_for()
    screenshot(page, f"search-{shot}")
    link.click()
    page.wait_for_url(re.compile(rf"/debtors/{record_id}/$"))
    assert "单雄信" in page.locator("h1").inner_text()


def test_search_organization_by_name_words(page, site):
    _search(page, "鑫盛测试商贸")
    assert page.locator(f"main a[href$='/debtors/{site.record_id('org')}/']").count() >= 1


def test_search_without_javascript(nojs_page, site):
    _search(nojs_page, "shanxiongxin")
    record_id = site.record_id("person")
    nojs_page.locator(f"main a[href$='/debtors/{record_id}/']").first.click()
    nojs_page.wait_for_url(re.compile(rf"/debtors/{record_id}/$"))
    screenshot(nojs_page, "nojs-search-record")


def test_search_nothing_found_says_so(page):
    _search(page, "查无此人")
    assert not page.locator("main a[href*='/debtors/20']").count()
