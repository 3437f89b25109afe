"""The leak gate's prefilter (generator.build.leakcheck.Prefilter): a gate that has not made its
automaton finds exactly what the automaton finds, on texts full of withheld names, case numbers
in every bracket and digit width, public superstrings, escapes and invalid UTF-8."""

from __future__ import annotations

import json
import random
from datetime import date
from urllib.parse import quote

from generator.build import leakcheck
from generator.domain.policy import PublicRecord, PublicView

from .test_site_leakcheck import FULL_ID, _public

WITHHELD_NAMES = ["王伟", "李娜", "张三丰", "某某（北京）科技有限公司", "Ａ公司"]
WITHHELD_CASES = ["（2024）鲁0502执12号", "（2023）鲁0503执9号"]


def _view() -> PublicView:
    public: list[PublicRecord] = [
        _public("王伟华"),  # a public superstring of a withheld name
        _public("某公司", kind="organization", legal_representative="李娜", uscc="91370502MA3C0ABCD2"),
        _public("赵六", case="（2024）鲁0502执123号", obligation="支付王伟货款"),  # holds a withheld case
    ]
    return PublicView(date(2026, 11, 25), tuple(public), (), frozenset(WITHHELD_NAMES), frozenset(WITHHELD_CASES))


def _pieces() -> list[str]:
    cases = [v for c in WITHHELD_CASES for v in leakcheck.case_variants(c)]
    return [
        *WITHHELD_NAMES, *cases, "王伟华", "李娜", "支付王伟货款", "（2024）鲁0502执123号", "(2024)鲁0502执12",
        "王", "伟", "（", "）", "2024", "１２", "<p>", "</p>", "\n", "，", "某某", "科技有限公司", "&#29579;",
        "\\u4f1f", "%E7%8E%8B", FULL_ID, "3705021985****1234", "x", " ",
    ]  # fmt: skip


def _texts(n: int, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    pieces = _pieces()
    out = []
    for _ in range(n):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        data = text.encode("utf-8")
        form = rnd.random()
        if form < 0.15:
            data = json.dumps(text).encode("ascii")  # \\u escapes
        elif form < 0.25:
            data = quote(text).encode("ascii")
        elif form < 0.3:
            data = b"\xe7\xff" + data + b"\x80"  # not UTF-8
        out.append(data)
    return out


def test_lazy_gate_finds_what_the_automaton_finds():
    view = _view()
    compiled = leakcheck.LeakGate(view, ["王伟华"]).compile()
    found = 0
    for data in _texts(3000, seed=7):
        lazy = leakcheck.LeakGate(view, ["王伟华"])  # a fresh one each time: never compiled before
        leaks = lazy.scan(data, "p")
        assert leaks == compiled.scan(data, "p"), data
        found += bool(leaks)
    assert found > 300  # the texts do leak, often


def test_prefilter_no_hit_means_the_automaton_finds_no_name():
    view = _view()
    prefilter = leakcheck.Prefilter(view)
    compiled = leakcheck.LeakGate(view).compile()
    misses = 0
    for data in _texts(3000, seed=11):
        if not prefilter.hit(data):
            misses += 1
            assert [leak for leak in compiled._scan(data, "") if leak.kind != "身份证号码"] == []  # this form only
    assert misses > 300


def test_every_case_variant_and_name_is_a_prefilter_hit():
    prefilter = leakcheck.Prefilter(_view())
    for text in [*WITHHELD_NAMES, *(v for c in WITHHELD_CASES for v in leakcheck.case_variants(c))]:
        assert prefilter.hit(f"<td>{text}</td>".encode())
        assert prefilter.hit(b"\xff" + text.encode() + b"\xfe")


def test_a_gate_past_its_budget_or_forked_uses_the_automaton(monkeypatch):
    monkeypatch.setattr(leakcheck, "PREFILTER_BUDGET", 10)
    gate = leakcheck.LeakGate(_view())
    assert gate.ac is None
    assert gate.scan("一段没有名字的文字，比十个字节长".encode()) == []
    assert gate.ac is not None  # past the budget: made, and used from now on
    assert [leak.text for leak in gate.scan("王伟".encode())] == ["王伟"]


def test_a_clean_small_text_does_not_make_the_automaton():
    gate = leakcheck.LeakGate(_view())
    assert gate.scan("<p>赵六 某公司 （2024）鲁0502执123号 李</p>".encode()) == []
    assert gate.ac is None
    assert [leak.text for leak in gate.scan("<p>王伟的案件（2024）鲁0502执12号</p>".encode())] == [
        "王伟",
        "（2024）鲁0502执12号",
    ]
    assert gate.ac is not None
