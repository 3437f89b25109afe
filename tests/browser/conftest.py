"""Browser suite: Debian's chromium driven by Playwright, against a real built site and the real
search service on 127.0.0.1.

One fixture site per test session (per xdist worker): fictitious demo records plus a few named
ones the tests look for, built by the real build into a temporary folder, served with the search
service by `sitefixture.serve` in a thread. Tests open a fresh browser context each (cookies,
JavaScript switch and viewport are per context). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .sitefixture import CHROMIUM, FixtureSite, build_fixture_site, serve

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} 不存在：浏览器测试需要 Debian 的 chromium（make browser-deps 会安装）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureSite]:
    built = build_fixture_site(tmp_path_factory.mktemp("browser-site"))
    with serve(built) as running:
        yield running


def _context(browser, site: FixtureSite, **options):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(base_url=site.base_url, locale="zh-CN", **options)
    ctx.set_default_timeout(15_000)
    return ctx


@pytest.fixture
def page(browser, site):  # type: ignore[no-untyped-def]
    ctx = _context(browser, site, viewport={"width": 1280, "height": 900})
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def axe_page(browser, site):  # type: ignore[no-untyped-def]
    """For axe only: the search service's Content-Security-Policy forbids the injected script."""
    ctx = _context(browser, site, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def nojs_page(browser, site):  # type: ignore[no-untyped-def]
    ctx = _context(browser, site, java_script_enabled=False, viewport={"width": 1280, "height": 900})
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def phone_page(browser, site):  # type: ignore[no-untyped-def]
    ctx = _context(
        browser, site, viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield ctx.new_page()
    ctx.close()
