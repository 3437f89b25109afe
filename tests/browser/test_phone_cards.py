"""Lists on a 375 px phone: cards, not a table cut off at the right; case numbers, ID numbers,
USCCs and dates whole on one line (measured per token with a Range, tokens.js); a court's own
list without the court column."""

from __future__ import annotations

from pathlib import Path

import pytest

from .artifacts import screenshot
from .pages import path_for

TOKENS_JS = (Path(__file__).parent / "tokens.js").read_text(encoding="utf-8")
# every page kind that shows case numbers or IDs
WITH_NUMBERS = ["home", "debtors", "debtors-page-2", "court", "region", "ground", "removals", "record", "record-org",
                "notice", "search-results", "restrictions", "lifts", "rewards", "batch"]  # fmt: skip


def broken_tokens(page) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate(TOKENS_JS)  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", WITH_NUMBERS)
def test_numbers_are_never_broken_across_lines_at_375px(phone_page, site, kind):
    phone_page.goto(path_for(site, kind))
    result = broken_tokens(phone_page)
    screenshot(phone_page, f"phone-tokens-{kind}")
    assert result["checked"] > 0, f"{kind}: no case number, ID or date found to measure"
    assert result["broken"] == [], f"{kind}: broken across lines: {result['broken'][:5]}"


def test_the_token_check_finds_a_broken_case_number(phone_page, site):
    """The measurement itself: a case number squeezed into a narrow box is reported."""
    phone_page.goto(path_for(site, "debtors"))
    phone_page.evaluate("""() => {
        const box = document.createElement('p');
        box.style.width = '4em';
        box.style.overflowWrap = 'anywhere';
        box.textContent = '（2025）鲁0503执1234号';
        document.querySelector('main').prepend(box);
    }""")
    result = broken_tokens(phone_page)
    assert [b["token"] for b in result["broken"]] == ["（2025）鲁0503执1234号"]


@pytest.mark.parametrize("kind", ["home", "debtors", "court", "removals", "restrictions", "lifts", "rewards", "exposure"])
def test_lists_are_cards_with_every_value_on_screen_at_375px(phone_page, site, kind):
    phone_page.goto(path_for(site, kind))
    cells = phone_page.evaluate("""() => Array.from(document.querySelectorAll('main tbody td, main tbody th')).map(c => {
        const r = c.getBoundingClientRect();
        return {left: r.left, right: r.right, label: c.dataset.label || '', display: getComputedStyle(c).display};
    })""")
    assert cells, kind
    width = phone_page.evaluate("document.documentElement.clientWidth")
    off = [c for c in cells if c["left"] < 0 or c["right"] > width]
    assert off == [], f"{kind}: cells outside the {width} px screen: {off[:3]}"
    assert {c["display"] for c in cells} == {"block"}, f"{kind}: rows are not cards"
    header = phone_page.locator("main thead").first.bounding_box()
    assert header is None or header["height"] <= 1, "the table header is hidden on a phone (labels are in the cards)"
    labels = phone_page.evaluate("getComputedStyle(document.querySelector('main tbody td'), '::before').content")
    assert labels not in ("none", "normal", ""), "each value shows its label"


def test_lists_stay_tables_on_a_desktop(page, site):
    page.goto(path_for(site, "debtors"))
    assert page.evaluate("getComputedStyle(document.querySelector('main tbody tr')).display") == "table-row"
    assert page.locator("main thead th").all_text_contents() == [
        "姓名/名称",
        "证件号码",
        "执行法院",
        "执行案号",
        "发布时间",
    ]


def test_a_courts_own_list_has_no_court_column(phone_page, page, site):
    page.goto(path_for(site, "court"))
    assert page.locator("main thead th").all_text_contents() == ["姓名/名称", "证件号码", "执行案号", "发布时间"]
    assert page.locator("main tbody td[data-label='执行法院']").count() == 0
    page.goto(path_for(site, "region"))
    assert page.locator("main tbody td[data-label='执行法院']").count() > 0
    phone_page.goto(path_for(site, "court"))
    assert "执行法院：" not in phone_page.locator("main table").inner_text()
    screenshot(phone_page, "phone-court-cards")
