"""Printable notices (公告): fields, QR code (segno's own), determinism, same bytes as a full render, nothing non-public."""

from __future__ import annotations

import re
from datetime import date

import lxml.html
import pytest
import segno

from generator.render import notices
from generator.render.outputs import Lazy, render_all
from generator.render.pagecontext import page_context
from generator.staff import demo

from .factory import NO_TERM, ORG_DEBTOR, record
from .qrimage import decode_path
from .renderctx import context, materialise, view_of


def render_context(folder, records, **settings):
    return context(view_of(folder, records), settings)


def files(outputs):
    """A renderer's files, made, by path."""
    return materialise(outputs)


def outputs(ctx):
    return list(render_all(notices.RENDERER, ctx))


PERSON = record()
ORG = record(case_number="（2025）鲁05执77号", court="东营市中级人民法院", region_code="370500", debtor=dict(ORG_DEBTOR),
             basis={"issuer": "东营市中级人民法院", "document": "（2024）鲁05民初1号"},
             vetting__decision="（2025）鲁05执77号之一", grounds=["able_but_refuses"], term_years=None)  # fmt: skip
REMOVED = record(case_number="（2024）鲁0502执999号", debtor__name="王五", status="removed",
                 removed_on=date(2026, 11, 1), removal_reason="performed", **NO_TERM, vetting__decision="（2024）鲁0502执999号之一")  # fmt: skip


def _render(tmp_path, **settings):
    ctx = render_context(tmp_path / "c", [PERSON, ORG, REMOVED], **settings)
    return ctx, outputs(ctx)


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
    for path, data in files(out).items():
        assert "王五".encode() not in data
        assert "执999号".encode() not in data
        assert "999" not in path


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


def test_deterministic_and_named_by_record_and_link(tmp_path):
    ctx, first = _render(tmp_path)
    assert all(isinstance(f, Lazy) for f in first)
    assert files(outputs(ctx)) == files(first)  # same view, same bytes
    by_id = {r.id: r for r in ctx.view.public}
    for f in first:
        record, link = f.inputs
        assert record is by_id[record.id] and f.path == f"{record.url}notice/index.html"
        assert link == f"/{record.url}"


def test_one_page_made_makes_one_chunk_of_codes(tmp_path, monkeypatch):
    """The QR codes of a chunk are made together, once, when its first page is made; the
    pages of other chunks cost nothing until they are made."""
    monkeypatch.setattr(notices, "RECORDS_PER_JOB", 3)
    ctx = render_context(tmp_path / "c", _demo_records(40))
    calls = []
    real = notices.qr_paths
    monkeypatch.setattr(notices, "qr_paths", lambda texts: calls.append(len(texts)) or real(texts))
    jobs = notices.RENDERER.jobs(ctx)
    assert len(jobs) == -(-len(ctx.view.public) // 3) > 2
    pages = [list(notices.RENDERER.run(ctx, job)) for job in jobs]
    assert calls == []
    second = pages[1]
    second[-1].make()
    second[0].make()
    assert calls == [3]
    whole = files(notices.RENDERER.run(context(ctx.view), jobs[1]))
    assert {f.path: f.make() for f in second} == whole


def _segno_path(text: str) -> str:
    qr = segno.make(text, error="m", micro=False)
    return re.search(r' d="([^"]+)"', qr.svg_inline(scale=1, border=4, omitsize=True, lineclass=None)).group(1)


def test_svg_paths_equal_segno():
    texts = (
        [
            f"https://fayuan.example.invalid/debtors/2024-lu0502-zhi-{1000 + i}{'-' + str(i % 3) if i % 3 else ''}/"
            for i in range(40)
        ]
        + [f"/debtors/2025-lu05-zhi-{7**i}/" for i in range(20)]
        + ["公告 " * 30, "1234567890", "x" * 400]
    )
    expected = [_segno_path(t) for t in texts]
    assert [notices.svg_path(notices.qr_matrix(t)) for t in texts] == expected
    widths = [len(segno.make(t, error="m", micro=False).matrix) for t in texts]
    assert len(texts) >= notices.BATCH_MIN > 5
    assert notices.qr_paths(texts) == list(zip(widths, expected, strict=True))  # made at once (numpy)
    assert notices.qr_paths(texts[-5:]) == list(zip(widths[-5:], expected[-5:], strict=True))  # one by one


def _demo_records(n: int) -> list[dict]:
    # a second debtor of a shared case may be 17 in the demo data: a build refuses it (E084)
    return [r for r in demo.make_records(n, seed=11) if r["debtor"].get("age", 99) >= 18]


@pytest.mark.parametrize("siteurl", ["", "https://sxbzxr.example.gov.cn/"])
def test_pages_equal_a_full_render_with_segnos_code(tmp_path, siteurl):
    """Every page is what a full render of notice.html gives with segno's own SVG path for the
    record's URL: the batch QR codes and the template rendered in two parts change no byte."""
    ctx = render_context(tmp_path / "c", [*_demo_records(160), PERSON, ORG], SITEURL=siteurl)
    pages = files(outputs(ctx))
    assert len(pages) == len(ctx.view.public) > 100
    kinds = {(r.kind, r.outstanding is None, r.term_ends_on is None, len(r.obligation) > 200) for r in ctx.view.public}
    assert len(kinds) >= 4  # both kinds of debtor, with and without amount, term, long obligation
    template = ctx.env.get_template("notice.html")
    base = page_context(ctx)
    for r in ctx.view.public:
        link = f"{siteurl.rstrip('/')}/{r.url}"
        width = len(segno.make(link, error="m", micro=False).matrix)
        qr = notices.qr_svg(width, _segno_path(link), f"二维码：{link}")
        html = template.render(**base, record=r, record_link=link, qr=qr, page_url=f"{r.url}notice/")
        assert pages[f"{r.url}notice/index.html"] == html.encode("utf-8"), r.id


def test_name_is_escaped(tmp_path):
    ctx = render_context(tmp_path / "c", [record(debtor__name="<b>张</b>三")])
    [page] = files(outputs(ctx)).values()
    assert b"<b>" not in page
    assert "&lt;b&gt;张&lt;/b&gt;三".encode() in page
