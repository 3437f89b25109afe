"""The other kinds of exposure (SPEC §7) in the real browser: reached from the home page by the
one nav entry, 限制消费 kept apart from 失信 on the page, the reward page without a form or a
script, and the batch's print view laying several records on each A4 page.
(axe-core runs on every one of their pages in test_accessibility, from pages.PAGES.)"""

from __future__ import annotations

import re

from .artifacts import screenshot


def test_from_home_to_a_restriction_by_the_nav(page, site):
    page.goto("/")
    page.locator("nav a[href$='/publicity/']").click()
    page.wait_for_url(re.compile(r"/publicity/$"))
    page.locator("main a[href$='/restrictions/']").first.click()
    page.wait_for_url(re.compile(r"/restrictions/$"))
    assert "并不因此成为失信被执行人" in page.locator("main").inner_text()
    page.locator("main table a").first.click()
    page.wait_for_url(re.compile(r"/restrictions/\d{4}-[a-z0-9]+-zhi-\d+/$"))
    main = page.locator("main").inner_text()
    assert page.locator("h1").inner_text().startswith("限制消费令：")
    assert "并不因此成为失信被执行人" in main and "失信情形" not in main
    screenshot(page, "kinds-restriction")


def test_reward_page_has_no_form_and_no_script(page, site):
    path = site.first_item("rewards")
    page.goto(path)
    assert page.locator("main form").count() == 0
    assert page.locator("script").count() == 0
    assert "依法保密" in page.locator("main").inner_text()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.reload()
    assert all(u.startswith(site.base_url) for u in requests)  # nothing sent anywhere else
    screenshot(page, "kinds-reward")


def test_batch_print_view_puts_several_records_on_an_a4_page(page, site):
    path = site.first_item("exposure") + "print/"
    page.goto(path)
    cards = page.locator("li.batch-card").count()
    assert cards >= 4
    page.emulate_media(media="print")
    # the A4 printable height at 96 dpi (297 mm − 2 × 12 mm margins) holds several cards
    per_page = page.evaluate(
        """() => { const h = (297 - 24) / 25.4 * 96;
                   const tops = [...document.querySelectorAll('li.batch-card')].map(e => e.getBoundingClientRect().top);
                   return tops.filter(t => t - tops[0] < h).length; }"""
    )
    assert per_page >= 4, per_page
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")
    assert page.locator("nav[aria-label=主导航]").is_hidden()
    screenshot(page, "kinds-batch-print")


def test_column_txt_is_plain_text(page, site):
    response = page.request.get(site.first_item("exposure") + "column.txt")
    assert response.ok
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    body = response.text()
    assert "<" not in body and "集中曝光" in body.splitlines()[0]
