"""Feeds and open data through the real site build (`chenglai build`: Pelican, leak gate, swap).

Needs generator/build.py (issue 3); until that is merged this module is skipped.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from .factory import AS_OF, NO_TERM, ORG_DEBTOR, record, write

build = pytest.importorskip("generator.build.pipeline", reason="the site build (issue 3) is not merged yet")

REPO = Path(__file__).resolve().parent.parent
NEWS = """Title: 集中执行行动
Date: 2026-11-01
Slug: action
Summary: 两级法院开展集中执行行动。

两级法院开展**集中执行**行动。
"""


def records() -> dict[str, dict]:
    return {
        "person.yaml": record(),
        "org.yaml": record(
            case_number="（2025）鲁0503执100号", court="东营市河口区人民法院", region_code="370503",
            debtor=dict(ORG_DEBTOR), listed_on=date(2026, 1, 5), vetting__vetted_on=date(2026, 1, 4),
        ),
        "removed.yaml": record(
            case_number="（2024）鲁0502执2001号", debtor__name="钱某removed", status="removed",
            removed_on=date(2026, 11, 1), removal_reason="performed", **NO_TERM,
        ),
    }  # fmt: skip


class Site:
    def __init__(self, root: Path):
        self.root, self.content, self.output = root, root / "content", root / "output"
        (self.content / "news").mkdir(parents=True)
        (self.content / "pages").mkdir(parents=True)
        (self.content / "news" / "action.md").write_text(NEWS, encoding="utf-8")
        shutil.copy(REPO / "content" / "pages" / "data.md", self.content / "pages" / "data.md")

    def build(self, recs: dict[str, dict], as_of: date = AS_OF) -> None:
        folder = self.content / "debtors"
        shutil.rmtree(folder, ignore_errors=True)
        for name, rec in recs.items():
            write(folder, name, rec)
        build.build_site(
            # persons in the bulk files too (PORTAL_DATA_PERSONS): these records are persons
            REPO / "pelicanconf.py",
            output=self.output,
            as_of=as_of,
            overrides={"PATH": str(self.content), "PORTAL_DATA_PERSONS": True},
        )

    def files(self, *folders: str) -> dict[str, bytes]:
        return {
            p.relative_to(self.output).as_posix(): p.read_bytes()
            for folder in folders
            for p in sorted((self.output / folder).rglob("*"))
            if p.is_file()
        }


def test_build_writes_valid_feeds_data_and_pages(tmp_path):
    site = Site(tmp_path)
    site.build(records())
    feeds = {p: d for p, d in site.files("feeds").items() if p.endswith((".atom", ".rss"))}
    assert {
        "feeds/listings.atom",
        "feeds/removals.rss",
        "feeds/courts/lu0503.atom",
        "feeds/regions/370502.atom",
    } <= set(feeds)
    for path, data in feeds.items():
        assert feedparser.parse(data).bozo == 0, path
    news = feedparser.parse(feeds["feeds/news.atom"])
    assert [e.title for e in news.entries] == ["集中执行行动"]
    assert news.entries[0].link == "/news/action/"
    opml = etree.fromstring((site.output / "feeds" / "feeds.opml").read_bytes())
    assert {o.get("xmlUrl").lstrip("/") for o in opml.iter("outline") if o.get("xmlUrl")} == set(feeds)
    removals = feedparser.parse(feeds["feeds/removals.atom"])
    assert [e.id for e in removals.entries] == ["tag:chenglai.invalid,2024:removal/2024-lu0502-zhi-2001/2026-11-01"]

    page = lxml.html.fromstring((site.output / "feeds" / "index.html").read_bytes())
    assert page.cssselect("nav a") and page.cssselect("main h1")[0].text == "订阅"
    data_page = lxml.html.fromstring((site.output / "data" / "index.html").read_bytes())
    assert "数据说明" in data_page.cssselect("title")[0].text
    assert len(data_page.cssselect("main table")) >= 3

    document = json.loads((site.output / "data" / "debtors.json").read_bytes())
    assert [r["id"] for r in document["records"]] == ["2025-lu0503-zhi-100", "2024-lu0502-zhi-1234"]
    # the leak gate let these through, and they hold nothing of the removed debtor
    everything = b"".join(site.files("feeds", "data").values()).decode("utf-8")
    assert "钱某removed" not in everything


def test_next_day_build_after_one_removal_and_one_addition(tmp_path):
    site = Site(tmp_path)
    site.build(records())
    day2 = AS_OF + timedelta(days=1)
    recs = records()
    recs["person.yaml"] |= {"status": "removed", "removed_on": day2, "removal_reason": "settlement_performed", **NO_TERM}
    recs["new.yaml"] = record(case_number="（2026）鲁0502执3000号", debtor__name="吴某新", listed_on=day2)
    site.build(recs, day2)

    changes = json.loads((site.output / "data" / "changes" / f"{day2}.json").read_bytes())
    assert [(c["op"], c["id"]) for c in changes["changes"]] == [
        ("DEL", "2024-lu0502-zhi-1234"),
        ("ADD", "2026-lu0502-zhi-3000"),
    ]
    assert changes["changes"][0]["reason"] == "settlement_performed"
    assert (site.output / "data" / "changes" / f"{AS_OF}.json").is_file()  # the day before survives the swap
    assert "张三丰" not in b"".join(site.files("data", "feeds").values()).decode("utf-8")
    stones = etree.fromstring((site.output / "feeds" / "removals.atom").read_bytes())
    refs = [s.get("ref") for s in stones.iter("{http://purl.org/atompub/tombstones/1.0}deleted-entry")]
    assert refs[0] == "tag:chenglai.invalid,2024:debtor/2024-lu0502-zhi-1234"

    before = site.files("feeds", "data")
    site.build(recs, day2)  # the same content and date again
    assert site.files("feeds", "data") == before


def test_two_builds_with_the_same_content_are_byte_identical(tmp_path):
    a, b = Site(tmp_path / "a"), Site(tmp_path / "b")
    a.build(records())
    b.build(records())
    assert a.files("feeds", "data") == b.files("feeds", "data")
