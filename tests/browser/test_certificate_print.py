"""The 信用修复证明 (`chenglai certificate`) printed by Chromium from the file the command wrote:
one A4 page, the statement on it, and a QR code that scans (as printed) to the verify page."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from generator.cli import main
from generator.domain.certificates import certificate_number

from ..qrimage import decode_gray
from ..sitefixture import make_site
from ..test_certificate import RECORDS, SECRET, SITEURL, settings_file
from .artifacts import SCREENSHOTS, screenshot
from .png import to_gray
from .test_notice_print import A4_POINTS


@pytest.mark.parametrize(("case", "rid"), [("（2024）鲁0502执3001号", "2024-lu0502-zhi-3001"),
                                           ("（2024）鲁0502执3003号", "2024-lu0502-zhi-3003")])  # fmt: skip
def test_certificate_prints_as_one_a4_page_with_a_scannable_qr(browser, tmp_path, monkeypatch, case, rid):
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    site = make_site(tmp_path, RECORDS)
    out = tmp_path / "cert.html"
    assert main(["certificate", case, "-s", str(settings_file(site)), "-o", str(out), "--on", "2026-11-25"]) == 0
    url = f"{SITEURL}/verify/{certificate_number(rid, SECRET.encode())}/"

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 1400})
    try:
        page = ctx.new_page()
        page.goto(out.as_uri())  # a file on its own: styles and QR code inline, nothing fetched
        pdf = page.pdf(prefer_css_page_size=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"certificate-{rid}.pdf").write_bytes(pdf)
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - A4_POINTS[0]) < 1.5 and abs(float(box.height) - A4_POINTS[1]) < 1.5
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", reader.pages[0].extract_text()))
        assert "不再对外公示" in text and "特此证明" in text and url in text
        assert "打印：使用浏览器" not in text  # the screen hint does not print
        page.emulate_media(media="print")
        png = page.locator("figure svg.qr").screenshot()
        screenshot(page, f"certificate-{rid}-print")
        assert decode_gray(*to_gray(png)) == [url]
    finally:
        ctx.close()


def test_verify_page_and_certificate_pass_axe(browser, tmp_path, monkeypatch):
    """axe-core on the /verify/ page the build wrote (served over HTTP with the site's styles)
    and on the certificate file."""
    import functools
    import http.server
    import threading

    from .artifacts import AXE
    from .sitefixture import free_port

    if not AXE.exists():
        pytest.fail(f"{AXE} 不存在：先运行 make browser-deps")
    monkeypatch.setenv("CHENGLAI_CERT_SECRET", SECRET)
    site = make_site(tmp_path, RECORDS)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site.build(settings={"SITEURL": base, "PORTAL_DEMO": True})
    out = tmp_path / "cert.html"
    conf = settings_file(site)
    assert main(["certificate", "（2024）鲁0502执3001号", "-s", str(conf), "-o", str(out), "--on", "2026-11-25"]) == 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site.output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        number = certificate_number("2024-lu0502-zhi-3001", SECRET.encode())
        for url in (f"{base}/verify/{number}/", out.as_uri()):
            response = page.goto(url)
            assert response is None or response.ok, url
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            assert len(result["passes"]) > 5, url
            assert result["violations"] == [], (url, [v["id"] for v in result["violations"]])
        screenshot(page, "certificate-screen")
    finally:
        ctx.close()
        server.shutdown()
        server.server_close()
