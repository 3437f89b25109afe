"""Open data (/data/): CSV and JSON read back, schema validation, daily change files."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

from generator.domain.records import GROUNDS, ID_KINDS, KINDS
from generator.errors import BuildError
from generator.render import exports

from .factory import AS_OF, NO_TERM, ORG_DEBTOR, record
from .renderctx import context as plain_context
from .renderctx import rendered, view_of

ROOT = Path(__file__).resolve().parent.parent
STAFF = ("王某（书记员）", "李某（执行法官）", "（2024）鲁0502执1234号之一")
COURT2 = {"court": "东营市河口区人民法院", "region_code": "370503"}


# The bulk files' mechanics are tested with natural persons included (PORTAL_DATA_PERSONS); the
# default, organisations only, is tested in tests/test_privacy_pipl.py.
PERSONS = {"PORTAL_DATA_PERSONS": True}


def context(view, settings=None, **kw):  # type: ignore[no-untyped-def]
    return plain_context(view, {**PERSONS, **(settings or {})}, **kw)


def base_records() -> list[dict]:
    return [
        record(),
        record(case_number="（2024）鲁0502执1240号", debtor__name="李小龙", outstanding=None, listed_on=date(2026, 3, 2),
               grounds=["able_but_refuses"], term_years=None),
        record(
            case_number="（2025）鲁0503执100号", debtor=dict(ORG_DEBTOR), listed_on=date(2026, 1, 5),
            vetting__vetted_on=date(2026, 1, 4), grounds=["able_but_refuses", "violates_asset_report"],
            debtor_seq=2, **COURT2,
        ),
        record(
            case_number="（2024）鲁0502执1400号", debtor__name="孙八", listed_on=date(2026, 12, 1),
            vetting__vetted_on=date(2026, 11, 30),
        ),  # not public yet on AS_OF
    ]  # fmt: skip


class Site:
    """Successive builds, each given what the one before recorded, as `chenglai build` runs them."""

    def __init__(self, tmp: Path, settings: dict | None = None):
        self.records = tmp / "records"
        self.settings = settings or {}
        self.recorded: dict = {}  # what the last build recorded (ctx.recorded)

    def build(self, recs: list[dict], as_of: date = AS_OF) -> dict[str, bytes]:
        ctx = context(view_of(self.records, recs, as_of), self.settings, previous=self.recorded)
        files = rendered(exports.RENDERER, ctx)
        self.recorded = ctx.recorded
        return files


def changes_of(files: dict[str, bytes], day: date) -> dict:
    return json.loads(files[f"data/changes/{day.isoformat()}.json"])


@pytest.fixture
def view(tmp_path):
    return view_of(tmp_path, base_records())


@pytest.fixture
def files(view):
    return rendered(exports.RENDERER, context(view))


def test_csv_reads_back_as_the_public_records(files, view):
    data = files["data/debtors.csv"]
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["记录编号", "执行案号", "被执行人序号"]
    assert rows[0] == [f.header for f in exports.FIELDS]
    expected = []
    for r in view.public:  # built here from the PublicRecord, not through exports
        expected.append([
            r.id, r.case_number, "" if r.debtor_seq is None else str(r.debtor_seq), r.court, r.region_code,
            r.region_name, r.filed_on.isoformat(), r.basis_issuer, r.basis_document, KINDS[r.kind], r.name,
            "" if r.kind != "person" else ID_KINDS[r.id_kind or "resident"],
            r.id_masked or "", r.gender or "", "" if r.age is None else str(r.age), r.uscc or "", r.org_code or "",
            r.legal_representative or "", r.obligation, r.performance,
            "" if r.outstanding is None else f"{r.outstanding:.2f}", "；".join(GROUNDS[g] for g in r.grounds),
            r.listed_on.isoformat(), "" if r.term_years is None else str(r.term_years),
            "" if r.term_ends_on is None else r.term_ends_on.isoformat(), f"/debtors/{r.id}/",
        ])  # fmt: skip
    assert rows[1:] == expected
    assert [row[0] for row in rows[1:]] == ["2024-lu0502-zhi-1240", "2025-lu0503-zhi-100-2", "2024-lu0502-zhi-1234"]
    org = rows[2]
    assert org[9] == "法人或其他组织" and org[15] == ORG_DEBTOR["uscc"] and org[11] == org[12] == ""
    assert org[21] == "有履行能力而拒不履行生效法律文书确定义务；违反财产报告制度" and org[24] == "2028-01-05"
    assert rows[1][23] == rows[1][24] == ""  # no fixed term
    assert rows[1][11] == "居民身份证"


def test_json_validates_against_schema(files):
    schema = json.loads(files["data/schema.json"])
    document = json.loads(files["data/debtors.json"])
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator.validate(document)
    assert document["count"] == 3 and document["as_of"] == "2026-11-25" and document["demo"] is True
    first = document["records"][0]
    assert first["id"] == "2024-lu0502-zhi-1240" and first["outstanding"] is None
    assert document["records"][2]["outstanding"] == "120000.00"
    assert document["records"][1]["grounds"] == ["able_but_refuses", "violates_asset_report"]
    # the schema can fail: an extra field, a full ID number, a person with a USCC
    bad = [
        {**first, "vetted_by": "李某"},
        {**first, "id_masked": "370502198501011234"},
        {**first, "uscc": ORG_DEBTOR["uscc"]},
        {**first, "filed_on": "2024-02-30"},
    ]
    for rec in bad:
        assert not validator.is_valid({**document, "records": [rec]}), rec


def test_only_public_fields_and_records(files):
    everything = b"".join(files.values()).decode("utf-8")
    for secret in (*STAFF, "孙八", "（2024）鲁0502执1400号", "2024-lu0502-zhi-1400", ".yaml", "vetting", "digest"):
        assert secret not in everything, secret


def test_first_build_lists_every_record_as_add(tmp_path):
    site = Site(tmp_path)
    out = site.build(base_records())
    day = changes_of(out, AS_OF)
    assert day["since"] is None
    assert day["counts"] == {"ADD": 3, "MOD": 0, "DEL": 0}
    assert [c["id"] for c in day["changes"]] == sorted(c["id"] for c in day["changes"])
    manifest = site.recorded[exports.NAME]  # for the next build; not a file of the output
    assert set(manifest["digests"]) == {c["id"] for c in day["changes"]}
    assert set(out) == {"data/debtors.csv", "data/debtors.json", "data/schema.json", "data/changes/index.json",
                        f"data/changes/{AS_OF.isoformat()}.json", "data/index.html"}  # fmt: skip


def test_one_removal_and_one_addition_give_one_del_and_one_add(tmp_path):
    site = Site(tmp_path)
    site.build(base_records(), AS_OF)
    recs = base_records()
    recs[0] |= {"status": "removed", "removed_on": AS_OF + timedelta(days=1), "removal_reason": "performed", **NO_TERM}
    recs.append(record(case_number="（2024）鲁0502执1500号", debtor__name="周九", listed_on=AS_OF + timedelta(days=1)))
    next_day = AS_OF + timedelta(days=1)
    out = site.build(recs, next_day)

    day = changes_of(out, next_day)
    assert day["since"] == "2026-11-25"
    assert day["counts"] == {"ADD": 1, "MOD": 0, "DEL": 1}
    deleted, added = day["changes"]  # sorted by id
    assert deleted == {"op": "DEL", "id": "2024-lu0502-zhi-1234", "removed_on": "2026-11-26", "reason": "performed"}
    assert added["op"] == "ADD" and added["id"] == "2024-lu0502-zhi-1500"
    assert added["record"] == next(r for r in json.loads(out["data/debtors.json"])["records"] if r["id"] == added["id"])
    assert "张三丰" not in out[f"data/changes/{next_day}.json"].decode()  # a DEL names nobody
    schema = json.loads(out["data/schema.json"])
    changes_schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/changes_file"}
    jsonschema.validate(day, changes_schema, format_checker=jsonschema.FormatChecker())
    # the earlier day's file survives the new build, without the record that is gone
    earlier = changes_of(out, AS_OF)
    assert earlier["counts"] == {"ADD": 2, "MOD": 0, "DEL": 0}
    assert "2024-lu0502-zhi-1234" not in {c["id"] for c in earlier["changes"]}
    assert not any("张三丰" in data.decode() for path, data in out.items() if path.startswith("data/"))
    index = json.loads(out["data/changes/index.json"])
    assert [f["date"] for f in index["files"]] == ["2026-11-26", "2026-11-25"]
    assert index["files"][0]["url"] == "/data/changes/2026-11-26.json"


def test_public_edit_is_mod_and_internal_edit_is_not(tmp_path):
    site = Site(tmp_path)
    site.build(base_records(), AS_OF)
    recs = base_records()
    recs[0]["outstanding"] = 100000.0
    recs[1]["vetting"]["vetted_by"] = "陈某（执行法官）"  # not published: no change
    next_day = AS_OF + timedelta(days=1)
    day = changes_of(site.build(recs, next_day), next_day)
    assert [(c["op"], c["id"]) for c in day["changes"]] == [("MOD", "2024-lu0502-zhi-1234")]
    assert day["changes"][0]["record"]["outstanding"] == "100000.00"


def test_earlier_change_files_show_the_record_as_published_now(tmp_path):
    # a name entered wrongly on day 1 and corrected on day 2 must not stay in day 1's file
    site = Site(tmp_path)
    recs = base_records()
    recs[0]["debtor"]["name"] = "张三风"
    site.build(recs, AS_OF)
    next_day = AS_OF + timedelta(days=1)
    out = site.build(base_records(), next_day)
    assert [(c["op"], c["id"]) for c in changes_of(out, next_day)["changes"]] == [("MOD", "2024-lu0502-zhi-1234")]
    earlier = changes_of(out, AS_OF)
    assert earlier["counts"] == {"ADD": 3, "MOD": 0, "DEL": 0}
    assert next(c for c in earlier["changes"] if c["id"] == "2024-lu0502-zhi-1234")["record"]["name"] == "张三丰"
    assert not any("张三风" in data.decode() for data in out.values())


def test_second_build_on_one_day_keeps_the_whole_day(tmp_path):
    site = Site(tmp_path)
    site.build(base_records(), AS_OF)
    next_day = AS_OF + timedelta(days=1)
    first = base_records() + [record(case_number="（2024）鲁0502执1500号", listed_on=next_day)]
    site.build(first, next_day)
    second = first[1:]  # later that day a record is deleted from the repository
    day = changes_of(site.build(second, next_day), next_day)
    assert [(c["op"], c["id"]) for c in day["changes"]] == [
        ("DEL", "2024-lu0502-zhi-1234"),  # no removal notice: the DEL carries the id only
        ("ADD", "2024-lu0502-zhi-1500"),
    ]
    assert day["since"] == "2026-11-25"


def test_change_files_older_than_the_window_are_dropped(tmp_path):
    site = Site(tmp_path, {"PORTAL_CHANGES_DAYS": 3})
    for offset in range(5):
        out = site.build(base_records(), AS_OF + timedelta(days=offset))
    dates = sorted(p.removeprefix("data/changes/") for p in out if re.fullmatch(r"data/changes/[\d-]+\.json", p))
    assert dates == ["2026-11-27.json", "2026-11-28.json", "2026-11-29.json"]
    assert changes_of(out, date(2026, 11, 29))["counts"] == {"ADD": 0, "MOD": 0, "DEL": 0}


@pytest.mark.parametrize("damage", ["{not json", {"format": 1}, {"format": 2}, {**{"format": 1, "as_of": "x"}}])
def test_damaged_manifest_stops_the_build(tmp_path, damage):
    site = Site(tmp_path)
    site.recorded = {exports.NAME: damage}
    with pytest.raises(BuildError, match="数据清单"):
        site.build(base_records())


def test_a_damaged_manifest_in_a_good_one_stops_the_build(tmp_path):
    site = Site(tmp_path)
    site.build(base_records())
    site.recorded[exports.NAME]["days"] = {"2026-11-25": {"ops": []}}  # no "since"
    with pytest.raises(BuildError, match="数据清单"):
        site.build(base_records(), AS_OF + timedelta(days=1))


def test_same_input_gives_identical_bytes(tmp_path):
    a, b = Site(tmp_path / "a"), Site(tmp_path / "b")
    first, second = a.build(base_records()), b.build(base_records())
    assert first == second
    assert a.recorded == b.recorded
    assert a.build(base_records()) == first  # a rebuild on the same day with what it recorded
    assert a.recorded == b.recorded


def test_absolute_urls_and_schema_id_with_siteurl(tmp_path):
    view = view_of(tmp_path, base_records())
    out = rendered(exports.RENDERER, context(view, {"SITEURL": "https://zxgk.example.gov.cn"}))
    assert json.loads(out["data/schema.json"])["$id"] == "https://zxgk.example.gov.cn/data/schema.json"
    urls = [r["url"] for r in json.loads(out["data/debtors.json"])["records"]]
    assert urls[0] == "https://zxgk.example.gov.cn/debtors/2024-lu0502-zhi-1240/"


def test_data_page_documents_every_field():
    text = (ROOT / "content" / "pages" / "data.md").read_text(encoding="utf-8")
    assert re.search(r"^Title: 数据说明$", text, re.M) and re.search(r"^Slug: data$", text, re.M)
    for f in exports.FIELDS:
        assert re.search(rf"^\| `{f.key}` \| {re.escape(f.header)} \|", text, re.M), f.key
    for code in GROUNDS:
        assert f"`{code}`" in text
    assert "## 数据使用条款" in text and "CC BY" not in text and "虚构" in text  # PIPL: terms, not an open licence


def test_rows_are_memoised_by_record_and_equal_a_render_without_store(tmp_path):
    """Rule 3: each record's CSV line, JSON text and digest is kept in the store by the record;
    a later build makes only the edited record's and gives the bytes of a build without a store."""
    import pickle

    from generator.state.store import Store

    path = tmp_path / "state.sqlite3"
    store = Store(path)
    ctx = context(view_of(tmp_path / "r", base_records()))
    ctx.store = store
    rendered(exports.RENDERER, ctx)
    assert store.ns(exports.ROWS).misses == 3
    store.commit()
    store.close()
    pickle.loads(pickle.dumps(ctx.recorded))  # the build keeps it pickled

    recs = base_records()
    recs[1]["debtor"]["name"] = "李大龙"
    view = view_of(tmp_path / "r", recs)
    again = context(view)
    again.store = Store(path)
    out = rendered(exports.RENDERER, again)
    rows = again.store.ns(exports.ROWS)
    assert (rows.hits, rows.misses) == (2, 1)
    assert out == rendered(exports.RENDERER, context(view))
    again.store.close()
