"""Property (Hypothesis, issue 19): `chenglai import` on mutated case-system exports — real CSV
files (UTF-8, UTF-8 with BOM, GB18030, damaged bytes) and real .xlsx workbooks written with
openpyxl, their cells replaced by junk, numbers, dates, formulas, very long or empty text,
their columns dropped, doubled or renamed — never ends in a traceback. Every refusal names
its row (a row of the file) and field with a Chinese message, a whole-file refusal is E100 or
E101 on line 1 and writes nothing, and whatever is written is a draft that `chenglai check
--drafts` accepts and that holds no full ID number."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from generator.cli import main
from generator.domain import ids
from generator.read.checker import check_paths
from generator.staff.importer import ImportFileError, import_file
from generator.staff.tables import TableError, read_table

from .staff_fixtures import HEADERS, full_id, org_row, person_row, write_csv, write_xlsx

FUZZ = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
HAN = re.compile(r"[\u4e00-\u9fff]")
FIELD = re.compile(r"^(-|[a-z_]+(\.[a-z_]+)?)$")
CODE = re.compile(r"^E\d{3}$")

FORMULAS = ['=HYPERLINK("http://example.invalid","点此")', "=1+1", "+86 123", "-5", "@SUM(A1)", "\t制表", "\r回车"]
NEAR = ["（2025）鲁0502执１号", "(2025)鲁0502执1号", "2025鲁0502执1号", "370502 ", "３７０５０２", "2025/3/5", "2025年3月5日",
        "20250305", "2025-02-30", "1,234.56", "￥1234元", "12.345", "-1", "0", "2年", "七", "able_but_refuses",
        "evades_by_fraud；拖欠不还", "自然人", "法人或其他组织", "公司", "全部未履行", "未履行", "3705021985****1234",
        "91370502MA3C0ABCD0", " ", "\n", "男", "女", "NULL", "#N/A", "True"]  # fmt: skip
text_cell = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),  # any Unicode a UTF-8 file can hold
    st.sampled_from(FORMULAS + NEAR),
    st.text(alphabet="0123456789-/.年月日*Xx（）()鲁执号 ", max_size=20),
    st.text(min_size=480, max_size=620),  # about the 500-character limit of a text field
)
cell = st.one_of(
    text_cell,
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=date(1900, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1)),
)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any] | None]]:
    """Headers and rows: good rows of both kinds, then cells replaced and columns changed."""
    kinds = draw(st.lists(st.sampled_from([person_row, org_row]), min_size=1, max_size=4))
    rows: list[dict[str, Any] | None] = [make(n) for n, make in enumerate(kinds, start=1)]
    for _ in range(draw(st.integers(0, 6))):
        row = rows[draw(st.integers(0, len(rows) - 1))]
        assert row is not None
        header = draw(st.sampled_from(HEADERS))
        choice = draw(st.integers(0, 3))
        if choice == 0:  # a full ID number where it does not belong
            row[header] = full_id(seq=f"{draw(st.integers(0, 999)):03d}")
        elif choice == 1:  # a good value of another row or column
            other = draw(st.sampled_from([r for r in rows if r is not None]))
            row[header] = other[draw(st.sampled_from(HEADERS))]
        else:
            row[header] = draw(cell)
    if draw(st.booleans()):  # a blank line, a copy of a row (a duplicate case)
        rows.insert(draw(st.integers(0, len(rows))), None if draw(st.booleans()) else dict(rows[0] or {}))
    headers = list(HEADERS)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # most files keep their header
        i = draw(st.integers(0, len(headers) - 1))
        change = draw(st.sampled_from(["drop", "double", "rename", "blank"]))
        if change == "drop":
            del headers[i]
        elif change == "double":
            headers.insert(i, headers[i])
        elif change == "rename":
            headers[i] = draw(
                st.sampled_from(["案号", "被执行人", "身份证号码", "期限", "未知列", "*执行法院", " 立案 时间 "])
            )
        else:
            headers[i] = ""
    return headers, rows


def _cells_as_text(rows: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    return [
        {} if r is None else {k: "" if v is None else str(v) for k, v in r.items()} for r in rows
    ]  # None: a blank line


def _xlsx_safe(rows: list[dict[str, Any] | None]) -> list[dict[str, Any] | None]:
    # openpyxl refuses to write control characters: Excel cannot hold them either
    return [
        None if r is None else {k: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for k, v in r.items()}
        for r in rows
    ]


def _folder_is_valid_drafts(folder: Path, written: list[Path]) -> None:
    files = sorted(folder.rglob("*.yaml")) if folder.is_dir() else []
    assert {p.resolve() for p in files} == {p.resolve() for p in written}
    result = check_paths([folder], drafts_ok=True) if files else None
    assert result is None or result.errors == [], [str(e) for e in result.errors]
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert not ids.FULL_ID_RE.search(text), p
        assert "vetted_by" not in text and "vetted_on" not in text  # a draft: vetted by nobody yet


def check_import(source: Path, entered_by: str | None, update: bool) -> None:
    out = source.parent / "debtors"
    try:
        rows = {n for n, _cells in read_table(source).rows}
    except TableError:
        rows = set()
    for attempt in range(2):  # a second import into the same folder: existing records (E102 or --update)
        try:
            result = import_file(source, out, entered_by=entered_by, update=update and attempt == 1)
        except ImportFileError as exc:
            event("whole file refused: " + " ".join(sorted({e.code for e in exc.errors})))
            assert exc.errors
            for err in exc.errors:
                assert (err.line, err.path) == (1, str(source)) and err.code in ("E100", "E101"), err
                assert FIELD.match(err.field) and HAN.search(err.message), err
            assert not list(out.rglob("*.yaml")) if out.is_dir() else True
            break
        for refusal in result.refused:
            assert refusal.row in rows, refusal
            assert CODE.match(refusal.code) and FIELD.match(refusal.field), refusal
            assert HAN.search(refusal.message), refusal
            assert str(refusal).startswith(f"第 {refusal.row} 行")
        assert not {p.resolve() for p in result.created} & {p.resolve() for p in result.updated}
        if attempt == 0:
            event(f"rows written: {min(len(result.created), 2)}{'+' if len(result.created) > 1 else ''}")
            event("rows refused" if result.refused else "no row refused")
            first = list(result.created)
            assert not result.updated
        else:
            assert not result.created  # every row was imported, refused or seen the first time
        _folder_is_valid_drafts(out, first)

    # the command: one exit code, no traceback, the same count of refused rows
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["import", str(source), "-o", str(source.parent / "cli")]
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([*argv, *(["--entered-by", entered_by] if entered_by else [])])
    assert code in (0, 1), (code, stdout.getvalue(), stderr.getvalue())
    assert "Traceback" not in stderr.getvalue() + stdout.getvalue()
    if code == 0:
        assert "拒绝 0 行" in stdout.getvalue()


entered = st.one_of(st.none(), st.just("赵某（书记员）"))


@FUZZ
@given(sheet=sheets(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), entered_by=entered,
       update=st.booleans(), damage=st.none() | st.none() | st.none() | st.tuples(st.integers(0, 10**6), st.integers(0, 255)))  # fmt: skip
def test_mutated_csv_never_tracebacks(sheet, encoding, entered_by, update, damage):
    headers, rows = sheet
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "export.csv"
        write_csv(source, _cells_as_text(rows), encoding="utf-8", headers=headers)
        text = source.read_text(encoding="utf-8")
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            data = text.encode("utf-8")  # GB18030 encodes all of Unicode; a lone surrogate would not reach here
        if damage is not None:  # one byte changed: a file damaged on the way
            at, byte = damage
            at %= len(data)
            data = data[:at] + bytes([byte]) + data[at + 1 :]
        source.write_bytes(data)
        check_import(source, entered_by, update)


@FUZZ
@given(
    sheet=sheets(),
    entered_by=entered,
    update=st.booleans(),
    cut=st.none() | st.none() | st.none() | st.integers(0, 10**5),
)
def test_mutated_xlsx_never_tracebacks(sheet, entered_by, update, cut):
    headers, rows = sheet
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "export.xlsx"
        try:
            write_xlsx(source, _xlsx_safe(rows), headers=headers)
        except ValueError:  # a value openpyxl itself cannot write (e.g. a date before 1900 in some forms)
            assume(False)
        if cut is not None:  # a workbook cut short (a download that stopped)
            data = source.read_bytes()
            source.write_bytes(data[: cut % len(data)])
        check_import(source, entered_by, update)
