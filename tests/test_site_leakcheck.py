"""The leak gate on its own: what it finds, in which forms, and what it lets through."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote

import pytest

from generator.build import leakcheck
from generator.domain.ids import check_digit
from generator.domain.policy import PublicRecord, PublicView
from generator.errors import BuildError


def _public(name: str, case: str = "（2024）鲁0502执1号", **kw) -> PublicRecord:
    base = dict(
        id="x", case_number=case, court="东营市东营区人民法院", court_slug="lu0502", region_code="370502",
        region_name="东营区", filed_on=date(2024, 1, 1), basis_issuer="东营市东营区人民法院",
        basis_document="（2023）鲁0502民初1号", kind="person", name=name, id_masked="3705021985****1234",
        gender="男", age=40, uscc=None, legal_representative=None, debtor_seq=None, obligation="支付货款",
        performance="全部未履行", outstanding=None, grounds=("evades_by_fraud",), listed_on=date(2025, 1, 1),
        term_years=2, term_ends_on=date(2027, 1, 1),
    )  # fmt: skip
    base.update(kw)
    return PublicRecord(**base)  # type: ignore[arg-type]


def _gate(public=(), names=(), cases=(), allowed=()):
    view = PublicView(date(2026, 11, 25), tuple(public), (), frozenset(names), frozenset(cases))
    return leakcheck.LeakGate(view, allowed)


FULL_ID = "37050219850101123" + check_digit("37050219850101123")


def test_full_id_found_in_any_text_masked_and_uscc_not():
    gate = _gate(public=[_public("甲", uscc=None)])
    assert [leak.text for leak in gate.scan(f"<td>{FULL_ID}</td>".encode())] == [FULL_ID]
    assert gate.scan(b"3705021985****1234,91370502MA3C0ABCD2") == []
    numeric_uscc = "913701198501011234"  # shaped like an ID, but a public record's USCC
    assert [leak.text for leak in gate.scan(numeric_uscc.encode())] == [numeric_uscc]
    gate = _gate(public=[_public("甲", kind="organization", uscc=numeric_uscc)])
    assert gate.scan(numeric_uscc.encode()) == []


def test_withheld_name_found_but_public_superstring_is_not():
    gate = _gate(public=[_public("王伟华")], names=["王伟"])
    assert gate.scan("<h1>王伟华</h1>".encode()) == []
    leaks = gate.scan("<p>王伟的案件</p><p>王伟华</p>".encode())
    assert [(leak.kind, leak.text) for leak in leaks] == [("姓名/名称", "王伟")]


def test_name_public_in_another_role_is_not_a_leak():
    gate = _gate(public=[_public("某公司", kind="organization", legal_representative="王伟")], names=["王伟"])
    assert gate.scan("法定代表人：王伟".encode()) == []


def test_theme_words_are_allowed():
    gate = _gate(names=["高人"], allowed=["<p>最高人民法院</p>"])
    assert gate.scan("依据最高人民法院的规定".encode()) == []
    assert gate.scan("高人".encode()) != []


@pytest.mark.parametrize(
    "printed",
    ["（2026）鲁0502执2003号", "(2026)鲁0502执2003号", "〔2026〕鲁0502执2003号", "[2026]鲁0502执2003号",
     "（２０２６）鲁０５０２执２００３号"],
)  # fmt: skip
def test_withheld_case_number_in_every_bracket_and_width(printed):
    gate = _gate(cases=["（2026）鲁0502执2003号"])
    assert [leak.kind for leak in gate.scan(printed.encode())] == ["执行案号"]


def test_public_case_number_containing_a_withheld_one_is_not_a_leak():
    gate = _gate(public=[_public("甲", case="（2026）鲁0502执2003号之一")], cases=["（2026）鲁0502执2003号"])
    assert gate.scan("（2026）鲁0502执2003号之一".encode()) == []


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: json.dumps({"name": s}).encode(),  # ensure_ascii: \\uXXXX
        lambda s: f"/search/?q={quote(s)}".encode(),
        lambda s: "".join(f"&#{ord(c)};" for c in s).encode(),
    ],
    ids=["json", "percent", "html-entities"],
)
def test_escaped_forms_are_found(encode):
    gate = _gate(names=["钱某某"])
    assert [leak.text for leak in gate.scan(encode("钱某某"))] == ["钱某某"]


def test_check_scans_every_file_type_in_parallel(tmp_path, monkeypatch):
    monkeypatch.setattr("generator.build.leakscan.PARALLEL_MIN_FILES", 10)
    for i in range(40):
        (tmp_path / f"d{i % 4}").mkdir(exist_ok=True)
        (tmp_path / f"d{i % 4}" / f"f{i}.html").write_text("<p>张三丰</p>", encoding="utf-8")
    (tmp_path / "d1" / "data.csv").write_text("\ufeff姓名\n钱某某\n", encoding="utf-8")
    (tmp_path / "d2" / "logo.svg").write_text(f"<svg><text>{FULL_ID}</text></svg>", encoding="utf-8")
    gate = _gate(public=[_public("张三丰")], names=["钱某某"])
    with pytest.raises(BuildError) as exc:
        leakcheck.check(gate, tmp_path, jobs=2)
    message = str(exc.value)
    assert "d1/data.csv: 姓名/名称「钱某某」" in message
    assert f"d2/logo.svg: 身份证号码「{FULL_ID}」" in message
    assert "f0.html" not in message


def test_clean_tree_passes(tmp_path):
    (tmp_path / "a.html").write_text("<p>张三丰</p>", encoding="utf-8")
    leakcheck.check(_gate(public=[_public("张三丰")], names=["钱某某"]), tmp_path)


def test_a_withheld_name_inside_a_feed_title_is_no_leak(tmp_path):
    """区新 (a fictitious withheld name) reads inside 东营区新纳入名单, the title of a region's
    feed that list pages name: the gate must not refuse the build for it."""
    from .factory import NO_TERM, write
    from .factory import record as make_record
    from .sitefixture import make_site

    s = make_site(tmp_path)
    write(
        s.records, "lu0502/quxin.yaml",
        make_record(case_number="（2024）鲁0502执3001号", debtor__name="区新", status="removed",
                    removed_on=date(2026, 11, 1), removal_reason="performed", **NO_TERM),
    )  # fmt: skip
    assert s.build().public == 3
