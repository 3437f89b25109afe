"""The notice (公告) printed by Chromium: one A4 page, with a QR code that scans to the record page."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from ..qrimage import decode_gray, decode_path
from .artifacts import SCREENSHOTS, screenshot
from .png import to_gray

A4_POINTS = (595.92, 842.88)  # 210 × 297 mm as Chromium writes it (1/72 in, rounded to its 1/96 in grid)


@pytest.mark.parametrize("key", ["person", "org", "long"])
def test_notice_prints_as_one_a4_page_with_qr(page, site, key):
    record_id = site.record_id(key)
    record_url = f"{site.base_url}/debtors/{record_id}/"
    page.goto(f"/debtors/{record_id}/notice/")

    # the QR in the DOM: decodes to the record page's URL
    svg = page.locator("figure.notice-qr svg")
    size = int(svg.get_attribute("viewBox").split()[2])
    path = svg.locator("path[stroke='#000']").get_attribute("d")
    assert decode_path(path, size) == [record_url]

    pdf = page.pdf(format="A4")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"notice-{key}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1, f"{key}: {len(reader.pages)} pages"
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - A4_POINTS[0]) < 1.5 and abs(float(box.height) - A4_POINTS[1]) < 1.5
    # NFKC: pypdf gives some characters in their Kangxi-radical form (⽰ for 示)
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", reader.pages[0].extract_text()))
    assert record_url in text  # the caption beside the code printed on the same page
    assert "特此公告" in text
    assert "演示站点" in text  # the demo banner prints
    assert "跳到正文" not in text  # the site chrome does not

    # the code as printed (print media, its millimetre size) scans with a real decoder
    page.emulate_media(media="print")
    png = page.locator("figure.notice-qr svg").screenshot()
    screenshot(page, f"notice-{key}-print")
    assert decode_gray(*to_gray(png)) == [record_url]
    # and takes you to the record page
    page.emulate_media(media="screen")
    page.goto(record_url)
    assert site.view_record(record_id).name in page.locator("h1").inner_text()
