"""Issue 19, item 1: the leak gate reads as a person reads. A news article naming a withheld
(removed) person in any disguise — Traditional characters, invisible characters, spaces of any
kind between the characters, full-width forms, markup, character references — fails `chenglai
build`, naming the file and the text as found; so does a full ID in full-width digits or in
groups, and the withheld case number with spaces inside. Public texts in disguise stay public.
Hypothesis: random withheld names in random disguises and containers are always found."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import leakcheck
from generator.domain import normalform
from generator.domain.ids import check_digit
from generator.domain.policy import PublicView
from generator.errors import BuildError

from .factory import NO_TERM, ORG_DEBTOR, record, write
from .sitefixture import NON_PUBLIC, REPO, make_site
from .test_site_leakcheck import _public

WITHHELD = "隐没甲乙"  # a removed person: never to be published again
ORG = "东营ABC商贸有限公司"  # a removed organization
PUBLIC_SUPER, WITHHELD_SUB = "王伟华", "王伟"  # public, and withheld inside it
CASE = NON_PUBLIC["future"][1]  # （2026）鲁0502执2003号: listed in the future, no notice: withheld
BODY = "37050219850101123"
FULL_ID = BODY + check_digit(BODY)
WIDE = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})
LEAK_LINE = re.compile(r"^\s*(?P<path>\S+): (?P<kind>身份证号码|姓名/名称|执行案号)「(?P<text>.*)」$")


def _removed(**changes: object) -> dict[str, object]:
    return record(status="removed", removed_on=date(2026, 11, 1), removal_reason="performed", **NO_TERM, **changes)


@pytest.fixture(scope="module")
def site(tmp_path_factory):  # type: ignore[no-untyped-def]
    s = make_site(tmp_path_factory.mktemp("disguises"))
    write(s.records, "lu0502/hidden.yaml", _removed(case_number="（2024）鲁0502执3101号", debtor__name=WITHHELD))
    org = {**ORG_DEBTOR, "name": ORG}
    write(s.records, "lu0502/hidden-org.yaml", _removed(case_number="（2024）鲁0502执3102号", debtor=org))
    write(s.records, "lu0503/wang.yaml", record(case_number="（2025）鲁0502执3103号", debtor__name=PUBLIC_SUPER))
    write(
        s.records, "lu0503/wang-removed.yaml", _removed(case_number="（2024）鲁0502执3104号", debtor__name=WITHHELD_SUB)
    )
    result = s.build()
    assert WITHHELD in result.view.withheld_names and ORG in result.view.withheld_names
    assert WITHHELD_SUB in result.view.withheld_names and CASE in result.view.withheld_case_numbers
    return s


def _news(site, text: str) -> None:  # type: ignore[no-untyped-def]
    (site.content / "news" / "leak.md").write_text(
        f"Title: 执行动态\nDate: 2026-11-10\nSlug: leak\n\n本院依法对{text}的情况作出说明。\n", encoding="utf-8"
    )


def _refused(site, text: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Build with a news article holding `text`: the (path, kind, text) the gate reported."""
    _news(site, text)
    try:
        with pytest.raises(BuildError) as exc:
            site.build()
    finally:
        (site.content / "news" / "leak.md").unlink()
    message = str(exc.value)
    assert "泄露检查未通过" in message and "线上站点未改变" in message
    return [(m["path"], m["kind"], m["text"]) for m in map(LEAK_LINE.match, message.splitlines()) if m]


def _unvisible(text: str) -> str:
    """The report's text with its ⟨U+200B⟩ written back as characters."""
    return re.sub(r"⟨U\+([0-9A-F]{4,6})⟩", lambda m: chr(int(m[1], 16)), text)


def _published(site, text: str) -> None:  # type: ignore[no-untyped-def]
    _news(site, text)
    try:
        site.build()
    finally:
        (site.content / "news" / "leak.md").unlink()


a, b, c, d = WITHHELD
NAME_DISGUISES = {
    "traditional": "隱沒甲乙",
    "zero-width space": a + "\u200b" + b + c + d,
    "zero-width joiner": a + b + "\u200d" + c + d,
    "no-break space": a + "\u00a0" + b + c + d,
    "soft hyphen": a + b + "\u00ad" + c + d,
    "bidi control": a + "\u202e" + b + c + d + "\u202c",
    "isolate": "\u2066" + a + b + "\u2069" + c + d,
    "variation selector": a + "\ufe0f" + b + c + d,
    "ordinary spaces": " ".join(WITHHELD),
    "line break": a + b + "\n" + c + d,
    "ideographic spaces": "\u3000".join(WITHHELD),
    "character reference": a + "&#8203;" + b + "&shy;" + c + d,
    "markdown emphasis": a + "**" + b + "**" + c + d,
    "inline html": a + "<span>" + b + "</span>" + c + d,
    "traditional and spaced": "隱 沒 甲 乙",
}


@pytest.mark.parametrize("disguise", sorted(NAME_DISGUISES))
def test_a_withheld_name_in_disguise_fails_the_build(site, disguise):
    found = _refused(site, NAME_DISGUISES[disguise])
    on_page = [(kind, text) for path, kind, text in found if path == "news/leak/index.html"]
    assert on_page, found
    for kind, text in on_page:
        assert kind == "姓名/名称"
        assert WITHHELD in normalform.normal(_unvisible(text)), text
    # the feeds carry the article too
    assert {"feeds/news.atom", "feeds/news.rss"} <= {path for path, _k, _t in found}


def test_the_report_names_the_text_as_found(site):
    found = _refused(site, NAME_DISGUISES["zero-width space"])
    assert ("news/leak/index.html", "姓名/名称", "隐⟨U+200B⟩没甲乙") in found
    found = _refused(site, NAME_DISGUISES["traditional"])
    assert ("news/leak/index.html", "姓名/名称", "隱沒甲乙") in found


@pytest.mark.parametrize("written", ["东营ＡＢＣ商贸有限公司", "东营ABC商贸有限公\u200b司", "東營ABC商貿有限公司"])
def test_a_withheld_organization_full_width_or_traditional_fails(site, written):
    found = _refused(site, written)
    assert ("news/leak/index.html", "姓名/名称", normalform.visible(written)) in found


ID_DISGUISES = {
    "full-width digits": FULL_ID.translate(WIDE),
    "spaced groups": f"{FULL_ID[:6]} {FULL_ID[6:10]} {FULL_ID[10:14]} {FULL_ID[14:]}",
    "6-8-4 groups": f"{FULL_ID[:6]} {FULL_ID[6:14]} {FULL_ID[14:]}",
    "hyphenated": f"{FULL_ID[:6]}-{FULL_ID[6:14]}-{FULL_ID[14:]}",
    "full-width and spaced": f"{FULL_ID[:6]}\u3000{FULL_ID[6:14]}\u3000{FULL_ID[14:]}".translate(WIDE),
    "zero-width spaces": "\u200b".join(FULL_ID),
}


@pytest.mark.parametrize("disguise", sorted(ID_DISGUISES))
def test_a_full_id_in_disguise_fails_the_build(site, disguise):
    written = ID_DISGUISES[disguise]
    found = _refused(site, f"身份证号码 {written} ")
    assert ("news/leak/index.html", "身份证号码", normalform.visible(written)) in found


@pytest.mark.parametrize(
    "written",
    [
        "（2026）鲁0502执 2003 号",
        "（2026）鲁 0502 执 2003 号",
        "（ 2026 ）鲁0502执2003号",
        "(2026）鲁0502执2003号",  # brackets mixed
        "2026）鲁0502执2003号",
        "（2026）鲁0502执２００３号",
        "（2026）鲁0502执-2003号",
    ],
)
def test_the_withheld_case_number_with_spaces_inside_fails(site, written):
    found = _refused(site, written)
    assert any(path == "news/leak/index.html" and kind == "执行案号" for path, kind, _t in found), found


def test_public_texts_in_disguise_stay_public(site):
    """张三丰 (public) in Traditional, 王伟华 (public, holding the withheld 王伟) spaced, a public
    case number with spaces, a masked ID and dates: the build goes through."""
    _published(
        site,
        "張三豐、王 伟 华、王<em>伟</em>华、（2024）鲁0502执 1234 号、3705021985****1234、2026-11-25 与 2025-06-01",
    )


def test_the_withheld_inside_a_public_name_in_disguise_still_fails(site):
    found = _refused(site, "王 伟 的案件")
    assert ("news/leak/index.html", "姓名/名称", "王 伟") in found


# -- Hypothesis: random withheld names in random disguises, the gate on its own -----------------

POOL = "张王李赵刘陈杨黄周吴隐没甲乙华伟强丽军敏静国东营鲁执号爱学丰"  # (several have Traditional forms)
JOINS = ["", " ", "\u00a0", "\u3000", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u202e", "\u2067", "\ufe0f",
         "\n", "  \n  ", "<b>", "</b>", "<span class=x>", "<!-- -->", "&#8203;", "&nbsp;", "&shy;", "<em></em>"]  # fmt: skip
THEME = [p.read_text(encoding="utf-8") for p in sorted((REPO / "theme" / "templates").rglob("*.html"))]


def _container(kind: str, text: str) -> bytes:
    if kind == "html":
        return f"<!doctype html><html><body><main><p>本院依法对{text}的情况作出说明。</p></main></body></html>".encode()
    if kind == "atom":
        inner = html.escape(f"<p>本院依法对{text}的情况作出说明。</p>")
        return (
            "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <entry>\n"
            f'    <title>执行动态</title>\n    <content type="html">{inner}</content>\n  </entry>\n</feed>\n'
        ).encode()
    if kind == "json":
        return json.dumps({"news": [{"text": html.unescape(re.sub("<[^>]*>", "", text))}]}).encode()
    return f"\ufeff标题,正文\n执行动态,{html.unescape(re.sub('<[^>]*>', '', text))}\n".encode()


@st.composite
def disguised(draw):  # type: ignore[no-untyped-def]
    name = draw(st.text(alphabet=POOL, min_size=2, max_size=4))
    joins = draw(st.lists(st.sampled_from(JOINS), min_size=len(name) - 1, max_size=len(name) - 1))
    if not any(joins):
        joins[draw(st.integers(0, len(joins) - 1))] = draw(st.sampled_from(JOINS[1:]))
    chars = list(normalform.s2t(name)) if draw(st.booleans()) else list(name)
    text = chars[0] + "".join(j + ch for j, ch in zip(joins, chars[1:], strict=True))
    return name, text, draw(st.sampled_from(["html", "atom", "json", "csv"]))


def _view(withheld: str) -> PublicView:
    public = (_public("张三丰"), _public("赵六", case="（2024）鲁0502执123号", obligation="支付货款"))
    return PublicView(date(2026, 11, 25), public, (), frozenset([withheld]), frozenset(["（2024）鲁0502执9号"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(disguised())
def test_random_withheld_names_in_random_disguises_are_always_found(case):
    name, text, kind = case
    data = _container(kind, text)
    readable = normalform.normal(leakcheck.reader_text(leakcheck.reader_text(data.decode("utf-8"))))
    if kind in ("json", "csv"):
        readable = normalform.normal(leakcheck.json_text(data.decode("utf-8")))
    if normalform.normal(name) not in readable:
        return  # (a join that a reader does not read through: a block in between)
    for gate in (leakcheck.LeakGate(_view(name), THEME).compile(), leakcheck.LeakGate(_view(name), THEME)):
        leaks = gate.scan(data, "page")
        assert any(leak.kind == "姓名/名称" for leak in leaks), (name, text, kind, data)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([" ", "\u3000", "\u00a0", "-", "\u2013", "\u200b"]), min_size=1, max_size=3),
       st.lists(st.integers(1, 17), min_size=1, max_size=3, unique=True), st.booleans(),
       st.sampled_from(["html", "atom", "json", "csv"]))  # fmt: skip
def test_random_full_ids_in_groups_are_always_found(seps, cuts, wide, kind):
    written = FULL_ID
    for at, sep in zip(sorted(cuts, reverse=True), seps * 3, strict=False):
        written = written[:at] + sep + written[at:]
    if wide:
        written = written.translate(WIDE)
    data = _container(kind, f"证件号码{written}，")
    for gate in (leakcheck.LeakGate(_view("某某"), THEME).compile(), leakcheck.LeakGate(_view("某某"), THEME)):
        assert [leak.kind for leak in gate.scan(data, "page")] == ["身份证号码"], (written, kind)


def test_the_gate_cost_stays_on_the_raw_pass_for_plain_pages(tmp_path: Path):
    """A page with nothing a reader reads differently is not read again (the reader's pass is for
    the few files that need it)."""
    gate = leakcheck.LeakGate(_view("隐没甲乙"), THEME).compile()
    calls = []
    gate._read_again = lambda data, path: calls.append(path) or []  # type: ignore[method-assign]
    page = "<p>张三丰（2024）鲁0502执123号 东营市 2026年11月25日 届满</p><p>支付货款 120000 元</p>".encode()
    assert gate.scan(page, "plain") == [] and calls == []
    assert gate.scan("<p>隐 没甲乙</p>".encode(), "spaced") == [] and calls == ["spaced"]
