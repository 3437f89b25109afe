"""Printable notices (公告): fields, QR code, determinism, mask cache, nothing non-public."""

from __future__ import annotations

import re
from datetime import date

import lxml.html
import segno

from generator import notices
from generator.outputs import OutputFile

from .factory import ORG_DEBTOR, record
from .qrimage import decode_path
from .renderctx import context, view_of


def render_context(folder, records, **settings):
    return context(view_of(folder, records), settings)


def files(outputs):
    """The public files of a renderer's output, by path."""
    return {f.path: f.data for f in outputs if not f.state}


PERSON = record()
ORG = record(case_number="（2025）鲁05执77号", court="东营市中级人民法院", region_code="370500", debtor=dict(ORG_DEBTOR),
             basis={"issuer": "东营市中级人民法院", "document": "（2024）鲁05民初1号"},
             vetting__decision="（2025）鲁05执77号之一", grounds=["able_but_refuses"], term_years=None)  # fmt: skip
REMOVED = record(case_number="（2024）鲁0502执999号", debtor__name="王五", status="removed",
                 removed_on=date(2026, 11, 1), removal_reason="performed", vetting__decision="（2024）鲁0502执999号之一")  # fmt: skip


def _render(tmp_path, **settings):
    ctx = render_context(tmp_path / "c", [PERSON, ORG, REMOVED], **settings)
    return ctx, list(notices.render(ctx))


def _cells(html: bytes) -> dict[str, str]:
    doc = lxml.html.fromstring(html)
    return {
        tr.cssselect("th")[0].text_content(): tr.cssselect("td")[0].text_content()
        for tr in doc.cssselect("table.notice-fields tr")
    }


def test_one_notice_per_public_record_with_art6_fields(tmp_path):
    _ctx, out = _render(tmp_path)
    pages = files(out)
    assert sorted(pages) == [
        "debtors/2024-lu0502-zhi-1234/notice/index.html",
        "debtors/2025-lu05-zhi-77/notice/index.html",
    ]
    person = _cells(pages["debtors/2024-lu0502-zhi-1234/notice/index.html"])
    assert person == {
        "被执行人姓名": "张三丰", "性别": "男", "年龄": "40岁", "身份证号码": "3705021985****1234",
        "执行法院": "东营市东营区人民法院", "地区": "东营区（370502）", "执行案号": "（2024）鲁0502执1234号",
        "立案时间": "2024年3月5日", "执行依据文号": "（2023）鲁0502民初5678号", "作出执行依据单位": "东营市东营区人民法院",
        "生效法律文书确定的义务": "支付货款120000元及利息", "被执行人的履行情况": "全部未履行", "未履行金额": "120,000.00元",
        "失信被执行人行为具体情形": "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行", "发布时间": "2025年6月1日",
        "公布期限": "2年，至2027年6月1日止",
    }  # fmt: skip
    org = _cells(pages["debtors/2025-lu05-zhi-77/notice/index.html"])
    assert org["被执行人名称"] == "东营鑫盛商贸有限公司"
    assert org["统一社会信用代码"] == ORG_DEBTOR["uscc"]
    assert org["法定代表人或负责人"] == "李四"
    assert org["公布期限"] == "不设固定期限，履行义务后删除"
    assert "身份证号码" not in org and "性别" not in org
    doc = lxml.html.fromstring(pages["debtors/2025-lu05-zhi-77/notice/index.html"])
    assert doc.cssselect("p.notice-court")[0].text_content() == "东营市中级人民法院"
    assert doc.cssselect("h1")[0].text_content() == "公　告"


def test_removed_record_has_no_notice_and_no_trace(tmp_path):
    _ctx, out = _render(tmp_path)
    for f in out:
        assert "王五".encode() not in f.data
        assert "执999号".encode() not in f.data
        assert "999" not in f.path


def test_print_stylesheet_demo_banner_and_no_xml_declaration(tmp_path):
    _ctx, out = _render(tmp_path)
    html = files(out)["debtors/2024-lu0502-zhi-1234/notice/index.html"]
    doc = lxml.html.fromstring(html)
    assert doc.get("lang") == "zh-CN"
    [link] = doc.cssselect('link[href$="/theme/css/print.css"]')
    assert link.get("media") == "print"
    assert doc.cssselect(".demo-banner")
    assert b"<?xml" not in html
    assert doc.cssselect('meta[name="robots"]')[0].get("content") == "noindex"


def _qr(html: bytes) -> tuple[str, str, int]:
    doc = lxml.html.fromstring(html)
    [svg] = doc.cssselect("figure.notice-qr svg")
    assert svg.get("role") == "img" and svg.get("aria-label")
    [path] = svg.cssselect('path[stroke="#000"]')
    size = int(svg.get("viewbox").split()[2])
    return path.get("d"), svg.get("aria-label"), size


def test_qr_code_decodes_to_absolute_record_url(tmp_path):
    _ctx, out = _render(tmp_path, SITEURL="https://fayuan.example.invalid/")
    html = files(out)["debtors/2024-lu0502-zhi-1234/notice/index.html"]
    d, label, size = _qr(html)
    url = "https://fayuan.example.invalid/debtors/2024-lu0502-zhi-1234/"
    assert decode_path(d, size) == [url]
    assert url in label
    # and it is what segno draws for that URL, byte for byte
    expected = segno.make(url, error="m", micro=False).svg_inline(scale=1, border=4, omitsize=True, lineclass=None)
    assert re.search(r'<path stroke="#000" d="([^"]+)"', expected).group(1) == d
    assert lxml.html.fromstring(html).cssselect("figcaption a")[0].text_content() == url


def test_qr_code_without_siteurl_holds_site_path(tmp_path):
    _ctx, out = _render(tmp_path)
    d, _label, size = _qr(files(out)["debtors/2025-lu05-zhi-77/notice/index.html"])
    assert decode_path(d, size) == ["/debtors/2025-lu05-zhi-77/"]


def test_deterministic_and_matrix_cache_gives_same_bytes(tmp_path):
    ctx, first = _render(tmp_path)
    [cache] = [f for f in first if f.state]
    assert cache.path == notices.MATRIX_CACHE
    lines = cache.data.decode().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["/debtors/2024-lu0502-zhi-1234/", "/debtors/2025-lu05-zhi-77/"]
    assert list(notices.render(ctx)) == first  # same view, same bytes
    state = tmp_path / "state"
    (state / "notices").mkdir(parents=True)
    (state / notices.MATRIX_CACHE).write_bytes(cache.data)
    ctx.state = state
    assert list(notices.render(ctx)) == first  # matrices reused: same symbols
    # a corrupt cache is ignored, not trusted
    # the cache is really read: a well-formed matrix under this URL is used as it is
    good, other = (line.split("\t") for line in cache.data.decode().splitlines())
    (state / notices.MATRIX_CACHE).write_text("\t".join([good[0], *other[1:]]) + "\n", encoding="utf-8")
    reused = files(list(notices.render(ctx)))["debtors/2024-lu0502-zhi-1234/notice/index.html"]
    assert _qr(reused)[0] == _qr(files(first)["debtors/2025-lu05-zhi-77/notice/index.html"])[0]
    for junk in (
        f"{good[0]}\t29\t!!!\n",  # not base64
        f"{good[0]}\t{good[1]}\t{'/' * len(good[2])}\n",  # all dark
        f"{good[0]}\t{good[1]}\t{'A' * len(good[2])}\n",  # all light: no finder patterns
        f"{good[0]}\t{good[1]}\t{good[2][:-8]}\n",  # truncated
    ):
        (state / notices.MATRIX_CACHE).write_text(junk, encoding="utf-8")
        assert list(notices.render(ctx)) == first


def test_svg_path_and_cache_round_trip_equal_segno():
    for i in range(40):
        text = f"https://fayuan.example.invalid/debtors/2024-lu0502-zhi-{1000 + i}{'-' + str(i % 3) if i % 3 else ''}/"
        qr = segno.make(text, error="m", micro=False)
        expected = re.search(r' d="([^"]+)"', qr.svg_inline(scale=1, border=4, omitsize=True, lineclass=None)).group(1)
        matrix = notices.qr_matrix(text)
        assert notices.svg_path(matrix) == expected
        assert notices.unpack(notices.pack(matrix), len(matrix)) == matrix


def test_name_is_escaped(tmp_path):
    ctx = render_context(tmp_path / "c", [record(debtor__name="<b>张</b>三")])
    [page] = [f for f in notices.render(ctx) if isinstance(f, OutputFile) and not f.state]
    assert b"<b>" not in page.data
    assert "&lt;b&gt;张&lt;/b&gt;三".encode() in page.data
