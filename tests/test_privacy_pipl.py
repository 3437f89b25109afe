"""PIPL (SPEC §6, 个人信息保护法 arts. 6, 55): natural persons' record pages are noindex and out of
the sitemap, the bulk files under /data/ hold organisations only, /data/ states 数据使用条款 — on the
real built site, and each with its setting turned the other way."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import feedparser
import jsonschema
from lxml import etree

from .sitefixture import make_site

REPO = Path(__file__).resolve().parent.parent
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PERSONS = ("2024-lu0502-zhi-1234", "2025-lu0503-zhi-12")  # standard_records: two public persons
ORG = "2025-lu0502-zhi-77"


def _site(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = make_site(tmp_path)
    shutil.copy(REPO / "content" / "pages" / "data.md", s.content / "pages" / "data.md")
    return s


def _robots(s, rid: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.get("content") for m in s.page(f"debtors/{rid}/").cssselect('meta[name="robots"]')]


def _sitemap_urls(output: Path) -> list[str]:
    index = etree.fromstring((output / "sitemap.xml").read_bytes())
    urls: list[str] = []
    for loc in index.iter(SM + "loc"):
        urls += [u.text for u in etree.parse(str(output / loc.text.lstrip("/"))).iter(SM + "loc")]
    return urls


def _data(output: Path) -> tuple[list[dict], dict]:
    rows = list(csv.DictReader(io.StringIO((output / "data/debtors.csv").read_bytes().decode("utf-8-sig"))))
    return rows, json.loads((output / "data/debtors.json").read_bytes())


def test_persons_are_noindex_out_of_the_sitemap_and_out_of_the_bulk_files(tmp_path):
    s = _site(tmp_path)
    result = s.build()
    assert {r.kind for r in result.view.public} == {"person", "organization"}
    for rid in PERSONS:
        assert _robots(s, rid) == ["noindex"], rid
    assert _robots(s, ORG) == []  # an organisation stays indexable
    urls = _sitemap_urls(s.output)
    assert f"/debtors/{ORG}/" in urls
    assert not [u for u in urls if any(rid in u for rid in PERSONS)]
    # every page a crawler is given exists and is not noindex
    for url in urls:
        page = s.output / url.lstrip("/") / "index.html"
        if page.exists():
            assert b'content="noindex"' not in page.read_bytes(), url

    rows, document = _data(s.output)
    assert [r["记录编号"] for r in rows] == [ORG] and {r["被执行人类型"] for r in rows} == {"法人或其他组织"}
    assert [r["id"] for r in document["records"]] == [ORG] and document["count"] == 1
    schema = json.loads((s.output / "data/schema.json").read_bytes())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    changes = json.loads((s.output / f"data/changes/{result.as_of}.json").read_bytes())
    assert [(c["op"], c["id"]) for c in changes["changes"]] == [("ADD", ORG)]
    bulk = b"".join(p.read_bytes() for p in (s.output / "data").rglob("*") if p.is_file() and p.suffix != ".html")
    for name in ("张三丰", "赵六"):  # the public persons: on their pages, in no bulk file
        assert name.encode() not in bulk
        assert name.encode() in (s.output / "debtors/index.html").read_bytes()

    # 数据使用条款 instead of an open licence: in the files, on /data/ and /feeds/
    assert (document["license"], document["license_url"]) == ("数据使用条款", "/data/")
    data_page = s.page("data/")
    assert [h.text_content() for h in data_page.cssselect("main h2")][-1] == "数据使用条款"
    text = data_page.text_content()
    for clause in ("限于公布目的使用", "三个工作日内删除", "/data/changes/", "不得重新识别"):
        assert clause in text, clause
    assert "CC BY" not in text and "creativecommons" not in etree.tostring(data_page, encoding="unicode")
    feeds_page = s.page("feeds/")
    assert [a.text_content() for a in feeds_page.cssselect('main a[href="/data/"]')][:1] == ["数据使用条款"]
    assert "只含法人或其他组织" in feeds_page.text_content()
    listings = feedparser.parse((s.output / "feeds/listings.atom").read_bytes())
    assert listings.feed.rights == "数据使用条款 /data/"


def test_the_settings_turn_each_rule_off(tmp_path):
    s = _site(tmp_path)
    s.build(settings={"PORTAL_NOINDEX_PERSONS": False, "PORTAL_DATA_PERSONS": True})
    for rid in (*PERSONS, ORG):
        assert _robots(s, rid) == [], rid
    urls = _sitemap_urls(s.output)
    assert all(f"/debtors/{rid}/" in urls for rid in (*PERSONS, ORG))
    rows, document = _data(s.output)
    assert sorted(r["记录编号"] for r in rows) == sorted([*PERSONS, ORG])
    assert document["count"] == 3
    assert "只含法人或其他组织" not in s.page("feeds/").text_content()


def test_turning_persons_out_of_the_data_deletes_them_in_the_change_file(tmp_path):
    """A site that published persons and stops: re-users are told to delete them (DEL), the
    change file being the way they learn what to delete."""
    s = _site(tmp_path)
    s.build(settings={"PORTAL_DATA_PERSONS": True})
    s.build(settings={"PORTAL_DATA_PERSONS": False, "PORTAL_AS_OF": "2026-11-26"})
    changes = json.loads((s.output / "data/changes/2026-11-26.json").read_bytes())
    assert sorted((c["op"], c["id"]) for c in changes["changes"]) == sorted(("DEL", rid) for rid in PERSONS)


def test_person_pages_split_per_kind_render_as_a_full_render_does(tmp_path):
    """The record pages are rendered inside chrome cut once (pages.FastPage); the noindex is in
    that chrome, so it is cut once per kind of debtor: an organisation between persons (and the
    other way round) still gets its own head."""
    from .factory import ORG_DEBTOR, record

    persons = (3100, 3101, 3300)  # in id order: the organisation (3200) between persons, none first or last
    recs = {f"p{n}.yaml": record(case_number=f"（2024）鲁0502执{n}号", debtor__name=f"甲{n}") for n in persons}
    recs["o.yaml"] = record(case_number="（2024）鲁0502执3200号", debtor=dict(ORG_DEBTOR))
    s = make_site(tmp_path, recs)
    result = s.build()
    assert [r.kind for r in result.view.public] == ["person", "person", "organization", "person"]
    assert _robots(s, "2024-lu0502-zhi-3200") == []
    assert all(_robots(s, f"2024-lu0502-zhi-{n}") == ["noindex"] for n in persons)
