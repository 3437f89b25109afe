"""Keyboard only: Tab reaches the search box, Enter submits, Tab reaches a result, Enter opens it."""

from __future__ import annotations

import re

from .artifacts import screenshot

MAX_TABS = 40


def _tab_until(page, predicate_js: str) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return True
    return False


def test_keyboard_search_and_open_result(page, site):
    page.goto("/")
    assert _tab_until(page, "document.activeElement && document.activeElement.name === 'q'"), "Tab 到不了搜索框"
    page.keyboard.type("单雄信")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?"))
    record_id = site.record_id("person")
    reached = _tab_until(
        page,
        f"document.activeElement && (document.activeElement.getAttribute('href') || '').endsWith('/debtors/{record_id}/')",
    )
    assert reached, "Tab 到不了搜索结果链接"
    screenshot(page, "keyboard-result-focused", full_page=False)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/debtors/{record_id}/$"))


def test_skip_link_is_first_and_moves_focus_to_main(page):
    page.goto("/debtors/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
