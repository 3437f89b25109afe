"""A 375 px wide phone: every page kind fits without horizontal scrolling; screenshots kept."""

from __future__ import annotations

import pytest

from .artifacts import screenshot
from .pages import PAGE_NAMES, path_for


@pytest.mark.parametrize("kind", PAGE_NAMES)
def test_no_horizontal_scrolling_at_375px(phone_page, site, kind):
    phone_page.goto(path_for(site, kind))
    width = phone_page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    screenshot(phone_page, f"phone-{kind}")
    assert width[0] <= width[1], f"{kind}: scrollWidth {width[0]} > clientWidth {width[1]}"
    assert width[1] == 375
