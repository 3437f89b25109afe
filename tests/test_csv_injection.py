"""Spreadsheet-safe open data (OWASP CSV injection, issue 19 item 3): a CSV cell whose text
begins with = + - @, a tab or a carriage return is written with a leading ', numbers stay
numbers, JSON is left as it is; `chenglai check` warns (W001) and a build is not stopped."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.domain.records import GROUNDS, ID_KINDS, KINDS
from generator.errors import WARNINGS
from generator.read.checker import check_paths
from generator.render import exports

from .factory import ORG_DEBTOR, record, write
from .renderctx import context as plain_context
from .renderctx import rendered, view_of
from .sitefixture import make_site

# the records here are persons: the bulk files hold them only with PORTAL_DATA_PERSONS
PERSONS = {"PORTAL_DATA_PERSONS": True}


def context(view):  # type: ignore[no-untyped-def]
    return plain_context(view, PERSONS)

ROOT = Path(__file__).resolve().parent.parent
HYPERLINK = '=HYPERLINK("http://example.invalid","点此")'
STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC = ("debtor_seq", "age", "outstanding", "term_years")
COLUMN = {f.key: i for i, f in enumerate(exports.FIELDS)}
WARNING_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<code>W\d{3}) (?P<field>[a-z_.]+): (?P<message>.+)$")


def _old_csv_cell(key, value):  # the cell function before issue 19: the bytes of ordinary text must not change
    if value is None:
        return ""
    if key == "kind":
        return KINDS[value]
    if key == "id_kind":  # a column added since (SPEC §6), Chinese like kind
        return ID_KINDS[value]
    if key == "grounds":
        return "；".join(GROUNDS[g] for g in value)
    return str(value)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# ---------------------------------------------------------------- the cell function


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("key", ["obligation", "name", "court", "basis_document", "legal_representative"])
def test_text_starting_with_a_formula_character_gets_a_quote(key, start):
    text = start + "SUM(A1:A9)"
    assert exports.csv_cell(key, text) == "'" + text


@pytest.mark.parametrize("text", ["支付货款120000元", "a=b", "1+1", "'=already quoted", " =1", "＝1", "", "HYPERLINK"])
def test_other_text_is_written_as_it_is(text):
    assert exports.csv_cell("obligation", text) == text == _old_csv_cell("obligation", text)


@pytest.mark.parametrize(
    ("key", "value", "cell"),
    [("age", 45, "45"), ("debtor_seq", 2, "2"), ("term_years", 5, "5"), ("outstanding", "120000.00", "120000.00"),
     ("outstanding", "-5.00", "-5.00"), ("debtor_seq", -1, "-1"), ("age", None, ""), ("outstanding", None, "")],
)  # fmt: skip
def test_numbers_stay_numbers(key, value, cell):
    assert exports.csv_cell(key, value) == cell


@settings(max_examples=200, deadline=None, database=None)
@given(key=st.sampled_from([f.key for f in exports.FIELDS if f.key not in ("kind", "grounds")]), text=st.text())
def test_no_text_cell_reads_back_as_a_formula(key, text):
    cell = exports.csv_cell(key, text)
    [[back]] = list(csv.reader(io.StringIO(exports._csv_line([cell]), newline="")))
    assert back == cell
    if key in NUMERIC:
        assert cell == text
    else:
        assert not cell.startswith(STARTS)
        assert cell == ("'" + text if text.startswith(STARTS) else text)


# ---------------------------------------------------------------- the renderer


def hostile_records() -> list[dict]:
    return [
        record(obligation=HYPERLINK),
        record(case_number="（2024）鲁0502执1240号", debtor__name="+李小龙", obligation="-500元未付",
               basis={"issuer": "@东营市东营区人民法院", "document": "（2023）鲁0502民初5679号"}),
        record(case_number="（2025）鲁0503执100号", debtor={**ORG_DEBTOR, "legal_representative": "=1+1"},
               court="东营市河口区人民法院", region_code="370503", debtor_seq=2, outstanding=1234.5),
        record(case_number="（2024）鲁0502执1241号", debtor__name="王五", obligation="支付货款3000元"),
    ]  # fmt: skip


@pytest.fixture
def hostile(tmp_path):
    view = view_of(tmp_path, hostile_records())
    return rendered(exports.RENDERER, context(view))


def test_csv_cells_of_hostile_text_are_quoted_and_numbers_are_not(hostile):
    rows = read_csv(hostile["data/debtors.csv"])
    by_id = {row[0]: dict(zip([f.key for f in exports.FIELDS], row, strict=True)) for row in rows[1:]}
    first = by_id["2024-lu0502-zhi-1234"]
    assert first["obligation"] == "'" + HYPERLINK
    second = by_id["2024-lu0502-zhi-1240"]
    assert (second["name"], second["obligation"], second["basis_issuer"]) == (
        "'+李小龙",
        "'-500元未付",
        "'@东营市东营区人民法院",
    )
    org = by_id["2025-lu0503-zhi-100-2"]
    assert org["legal_representative"] == "'=1+1"
    assert (org["debtor_seq"], org["outstanding"], org["term_years"]) == ("2", "1234.50", "2")
    assert (first["age"], first["outstanding"]) == ("40", "120000.00")
    plain = by_id["2024-lu0502-zhi-1241"]
    assert plain["obligation"] == "支付货款3000元" and plain["name"] == "王五"
    # no cell of any row reads as a formula; every numeric cell is a number
    for row in rows[1:]:
        for key, cell in zip([f.key for f in exports.FIELDS], row, strict=True):
            if key in NUMERIC:
                assert cell == "" or re.fullmatch(r"\d+(\.\d{2})?", cell), (key, cell)
            else:
                assert not cell.startswith(STARTS), (key, cell)


def test_numeric_cells_are_unquoted_in_the_bytes(hostile):
    text = hostile["data/debtors.csv"].decode("utf-8-sig")
    line = next(raw for raw in text.split("\r\n") if raw.startswith("2025-lu0503-zhi-100-2,"))
    assert ",2,东营市河口区人民法院," in line and ",1234.50," in line  # not "'2", not "\"1234.50\""
    assert '"\'=HYPERLINK(""http://example.invalid"",""点此"")"' in text  # the csv module's own quoting


def test_json_keeps_the_text_as_it_is(hostile):
    records = {r["id"]: r for r in json.loads(hostile["data/debtors.json"])["records"]}
    assert records["2024-lu0502-zhi-1234"]["obligation"] == HYPERLINK
    assert records["2024-lu0502-zhi-1240"]["name"] == "+李小龙"
    assert records["2025-lu0503-zhi-100-2"]["outstanding"] == "1234.50"
    assert "'=" not in hostile["data/debtors.json"].decode() and "'+" not in hostile["data/debtors.json"].decode()


def test_ordinary_records_give_the_bytes_they_always_gave(tmp_path):
    view = view_of(tmp_path, [hostile_records()[3], record()])
    files = rendered(exports.RENDERER, context(view))
    items = [exports.published(r, context(view).settings) for r in sorted(view.public, key=exports.newest_first)]
    lines = [exports._csv_line([_old_csv_cell(f.key, item[f.key]) for f in exports.FIELDS]) for item in items]
    header = exports._csv_line([f.header for f in exports.FIELDS])
    assert files["data/debtors.csv"] == ("\ufeff" + header + "".join(lines)).encode("utf-8")


def test_data_page_and_schema_say_so(hostile):
    page = (ROOT / "content" / "pages" / "data.md").read_text(encoding="utf-8")
    assert "CSV 注入" in page and "英文单引号 `'`" in page and "`'=HYPERLINK(…)`" in page
    description = json.loads(hostile["data/schema.json"])["description"]
    assert "单引号" in description and "CSV 注入" in description and "JSON" in description


# ---------------------------------------------------------------- check warns, build goes on


def test_check_warns_and_passes(tmp_path, capsys):
    folder = tmp_path / "debtors"
    path = write(folder, "a.yaml", record(obligation=HYPERLINK))
    write(folder, "b.yaml", record(case_number="（2024）鲁0502执1240号", debtor__name="-李四",
                                   basis={"issuer": "@某法院", "document": "+（2023）鲁0502民初1号"},
                                   vetting__decision="=（2024）鲁0502执1240号之一"))  # fmt: skip
    write(folder, "c.yaml", record(case_number="（2024）鲁0502执1241号", debtor__name="王五"))
    code = main(["check", str(folder)])
    out, err = capsys.readouterr()
    assert code == 0
    lines = [WARNING_LINE.match(line) for line in out.splitlines()]
    assert all(lines), out
    # (W110: these records carry no service date, SPEC §6)
    found = {(Path(m["path"]).name, m["code"], m["field"]) for m in lines if m["code"] != "W110"}  # type: ignore[index]
    assert found == {("a.yaml", "W001", "obligation"), ("b.yaml", "W001", "debtor.name"),
                     ("b.yaml", "W001", "basis.issuer"), ("b.yaml", "W001", "basis.document"),
                     ("b.yaml", "W001", "vetting.decision")}  # fmt: skip
    first = next(m for m in lines if m and m["path"] == str(path))
    assert path.read_text(encoding="utf-8").splitlines()[int(first["line"]) - 1].lstrip().startswith("obligation:")
    assert "“=”" in first["message"] and "公式" in first["message"] and "单引号" in first["message"]
    assert all(re.search(r"[\u4e00-\u9fff]", m["message"]) for m in lines if m)
    assert "3 条记录全部通过检查" in err and "8 个警告" in err and "Traceback" not in err
    result = check_paths([folder])
    assert result.errors == [] and len(result.warnings) == 8 and result.passed == 3


def test_warnings_come_with_errors_in_file_order(tmp_path, capsys):
    folder = tmp_path / "debtors"
    write(folder, "a.yaml", record(obligation="@x", term_years=9))
    code = main(["check", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1
    codes = [line.split(" ")[1] for line in out.splitlines()]
    assert sorted(codes) == ["E052", "W001", "W110"] and "2 个警告" in err


def test_warning_code_is_documented():
    doc = (ROOT / "docs" / "error-codes.md").read_text(encoding="utf-8")
    headings = dict(re.findall(r"^### (W\d{3}) (.+)$", doc, re.M))
    assert headings == WARNINGS
    section = doc.split("### W001", 1)[1].split("\n### ", 1)[0]
    assert "**含义**" in section and "**修改**" in section
    assert "W001" in (ROOT / "docs" / "staff-guide.md").read_text(encoding="utf-8")
    raised = {c for p in (ROOT / "generator").rglob("*.py") if p.name != "errors.py"
              for c in re.findall(r"""["'](W\d{3})["']""", p.read_text(encoding="utf-8"))}  # fmt: skip
    assert raised == set(WARNINGS)


def test_a_build_publishes_the_cell_quoted(tmp_path, capsys):
    site = make_site(tmp_path, {
        "lu0502/link.yaml": record(obligation=HYPERLINK),
        "lu0502/other.yaml": record(case_number="（2025）鲁0502执77号", debtor__name="+赵六",
                                    listed_on=date(2025, 9, 1), vetting__vetted_on=date(2025, 8, 30)),
    }, news=False)  # fmt: skip
    assert main(["check", str(site.records)]) == 0
    out, _err = capsys.readouterr()
    assert "W001 obligation" in out and "W001 debtor.name" in out
    site.build(settings=PERSONS)
    rows = read_csv((site.output / "data" / "debtors.csv").read_bytes())
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["2024-lu0502-zhi-1234"][COLUMN["obligation"]] == "'" + HYPERLINK
    assert by_id["2025-lu0502-zhi-77"][COLUMN["name"]] == "'+赵六"
    assert by_id["2024-lu0502-zhi-1234"][COLUMN["outstanding"]] == "120000.00"
    data = json.loads((site.output / "data" / "debtors.json").read_bytes())
    assert {r["id"]: r["obligation"] for r in data["records"]}["2024-lu0502-zhi-1234"] == HYPERLINK
