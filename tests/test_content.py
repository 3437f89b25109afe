"""The demo content: news and pages read by Pelican's own Markdown reader, say they are
fictitious, carry the law's deadlines, and cannot trip the leak gate; the demo records are
what scripts/make_demo.py writes, byte for byte."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from itertools import product
from pathlib import Path

import pytest
from pelican.readers import MarkdownReader
from pelican.settings import DEFAULT_CONFIG

from generator.domain.ids import FULL_ID_RE
from generator.staff import demo

ROOT = Path(__file__).resolve().parent.parent
ALL_NEWS = sorted((ROOT / "content" / "news").glob("*.md"))
NEWS = [p for p in ALL_NEWS if re.match(r"2026-\d\d-", p.name)]  # the five demo articles
PAGES = {p.stem: p for p in (ROOT / "content" / "pages").glob("*.md")}
MINE = ("about", "correction", "law")  # data.md (数据说明) is written with the data files
# the site's own top-level paths (SPEC §3): a page slug must not shadow one
RESERVED = {"debtors", "courts", "regions", "grounds", "removals", "news", "search", "feeds", "data", "api"}


def read(path: Path) -> tuple[str, dict]:
    settings = {**DEFAULT_CONFIG, "PATH": str(ROOT / "content"), "TIMEZONE": "Asia/Shanghai"}
    return MarkdownReader(settings).read(str(path))


def test_five_news_articles_with_fixed_2026_dates():
    assert len(NEWS) == 5
    slugs = set()
    for path in NEWS:
        html, meta = read(path)
        assert set(meta) >= {"title", "date", "slug", "summary"}, path.name
        assert meta["date"].year == 2026 and meta["date"].date() <= date(2026, 11, 25), path.name
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["slug"]), meta["slug"]
        slugs.add(meta["slug"])
        assert "虚构" in meta["summary"] and "演示内容声明" in html and "纯属虚构" in html, path.name
        assert "人民法院" in html
    assert len(slugs) == 5


def test_every_news_item_says_it_is_fictitious():
    for path in ALL_NEWS:
        html, meta = read(path)
        assert "虚构" in html and "虚构" in meta["summary"], path.name


def test_news_names_are_anonymised():
    # people appear only as 张某 / 李某某 (a surname and 某); companies as 东营某某…公司
    for path in NEWS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"([\u4e00-\u9fff])某", text):
            assert m.group(1) in demo.SURNAMES + "某东营", (path.name, m.group())


@pytest.mark.parametrize("stem", MINE)
def test_pages_have_their_slug_and_say_demo(stem):
    html, meta = read(PAGES[stem])
    assert meta["slug"] == stem and stem not in RESERVED
    assert meta["title"] and meta["summary"]
    assert "演示" in html and "虚构" in html


def test_about_page():
    html, meta = read(PAGES["about"])
    assert meta["title"] == "关于本站"
    for must in ("民事诉讼法", "若干规定", "未成年人", "****", "最高人民法院失信被执行人名单库"):
        assert must in html, must


def test_correction_page_states_the_deadlines():
    html, meta = read(PAGES["correction"])
    assert meta["title"] == "纠正申请"
    for must in (
        "第十一条",
        "第十二条",
        "书面",
        "执行法院",
        "十五日内",
        "三个工作日内",
        "十日内",
        "上一级人民法院",
        "复议",
    ):
        assert must in html, must
    # the three cases art. 11 lists
    for case in ("不应将其纳入", "不准确", "应予删除"):
        assert case in html, case


def test_law_page_summarises_the_articles():
    html, meta = read(PAGES["law"])
    assert meta["title"] == "法律依据"
    for article in ("第一条", "第二条", "第四条", "第六条", "第十条", "第十一条", "第十二条"):
        assert article in html, article
    for must in ("2017 年修正", "民事诉讼法", "二年", "一至三年", "三个工作日内", "未成年人"):
        assert must in html, must
    # the six grounds, in the wording of generator.domain.records.GROUNDS
    assert html.count("<li>") >= 6


def possible_demo_names() -> set[str]:
    """Every name generator.staff.demo can draw, for any seed: surname + one or two given characters."""
    surnames = list(demo.SURNAMES) + list(demo.COMPOUND_SURNAMES)
    given = list(demo.GIVEN)
    one = {s + g for s, g in product(surnames, given)}
    return one | {s + a + b for s, a, b in product(surnames, given, given)}


def test_news_and_pages_contain_no_name_a_demo_record_could_carry():
    """The leak gate refuses any page that shows a withheld name anywhere. A common word such
    as 查明 (查 is a surname, 明 a given name) in a news article would fail a demo build
    whenever a withheld record happens to carry that name."""
    names = possible_demo_names()
    longest = max(map(len, names))
    # this branch's files; the same test over every page finds 何文 in 任何文件 (data.md, feeds branch)
    for path in [*NEWS, *(PAGES[s] for s in MINE)]:
        text = path.read_text(encoding="utf-8")
        hits = {text[i : i + n] for i in range(len(text)) for n in range(2, longest + 1) if text[i : i + n] in names}
        assert not hits, (path.name, sorted(hits))
        assert not FULL_ID_RE.search(text), path.name
        assert not re.search(r"[（(〔]\d{4}[）)〕]鲁05\d*执\d+号", text), path.name  # no real-looking case number


def test_demo_records_are_what_make_demo_writes(tmp_path):
    out = tmp_path / "debtors"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo.py"), "-o", str(out)], check=True, capture_output=True
    )
    committed = sorted(
        p.relative_to(ROOT / "content" / "debtors") for p in (ROOT / "content" / "debtors").rglob("*.yaml")
    )
    written = sorted(p.relative_to(out) for p in out.rglob("*.yaml"))
    assert committed == written and len(written) == 200
    for rel in written:
        assert (out / rel).read_bytes() == (ROOT / "content" / "debtors" / rel).read_bytes(), rel
