"""`chenglai import`: draft record files from a case-system export (SPEC §5.1).

Each row becomes one draft record file, or is refused with its row number and reasons.
A row is written only when the exact bytes about to be written pass `chenglai check
--drafts` (single-record rules through checker.check_file, cross-record rules against the
records already in the folder), so an import can never leave the folder failing the check.
Full ID numbers are checked and masked here and never reach a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from . import casenumber, ids, rules
from .checker import check_file, check_paths
from .demo import record_path
from .editing import Document, EditError, same_value, save
from .errors import RecordError
from .records import GROUNDS, KINDS, SourceRecord
from .tables import Table, TableError, read_table


@dataclass(frozen=True)
class Column:
    key: str  # name used below
    field: str  # record field, for messages
    headers: tuple[str, ...]  # SPEC §5.1 header first, then what case systems also export
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("case_number", "case_number", ("执行案号", "案号")),
    Column("court", "court", ("执行法院",)),
    Column("region_code", "region_code", ("地区代码", "行政区划代码")),
    Column("filed_on", "filed_on", ("立案时间", "立案日期")),
    Column("issuer", "basis.issuer", ("作出执行依据单位",)),
    Column("document", "basis.document", ("执行依据文号",)),
    Column("kind", "debtor.kind", ("被执行人类型",)),
    Column(
        "name", "debtor.name", ("被执行人姓名/名称", "被执行人姓名或名称", "被执行人姓名", "被执行人名称", "被执行人")
    ),
    Column(
        "id_number",
        "debtor.id_masked",
        (
            "证件号码",
            "身份证号码/统一社会信用代码",
            "身份证号码或统一社会信用代码",
            "身份证号码/组织机构代码",
            "证件号",
            "身份证号码",
            "统一社会信用代码",
        ),
    ),  # fmt: skip
    Column(
        "legal_representative",
        "debtor.legal_representative",
        ("法定代表人或负责人", "法定代表人或者负责人", "法定代表人或者负责人姓名", "法定代表人", "负责人"),
        required=False,
    ),
    Column("obligation", "obligation", ("生效法律文书确定的义务",)),
    Column("performance", "performance", ("履行情况", "被执行人的履行情况")),
    Column("outstanding", "outstanding", ("未履行金额", "未履行金额（元）"), required=False),
    Column("grounds", "grounds", ("失信情形", "失信被执行人行为具体情形")),
    Column("listed_on", "listed_on", ("发布时间", "发布日期")),
    Column("term_years", "term_years", ("期限（年）", "期限", "失信期限（年）", "纳入期限（年）"), required=False),
    Column("decision", "vetting.decision", ("纳入决定书文号", "纳入决定书", "决定书文号")),
    Column("entered_by", "vetting.entered_by", ("录入人",), required=False),  # or --entered-by
    Column("debtor_seq", "debtor_seq", ("被执行人序号",), required=False),
    # not written: gender comes from the ID number; a column that disagrees refuses the row
    Column("gender", "debtor.gender", ("性别",), required=False),
)

KIND_WORDS: dict[str, str] = {
    "自然人": "person", "个人": "person", "person": "person",
    "法人或其他组织": "organization", "法人或者其他组织": "organization", "法人": "organization",
    "其他组织": "organization", "非自然人": "organization", "单位": "organization", "organization": "organization",
}  # fmt: skip
# Wordings of the national portal besides SPEC §1.3's.
GROUND_ALIASES: dict[str, str] = {
    "其他有履行能力而拒不履行生效法律文书确定义务": "able_but_refuses",
    "有履行能力而拒不履行生效法律文书确定的义务": "able_but_refuses",
    "违反限制高消费令": "violates_consumption_ban",
}
_GROUND_WORDS = sorted({**{v: k for k, v in GROUNDS.items()}, **GROUND_ALIASES}.items(), key=lambda kv: -len(kv[0]))
_GROUND_SEPARATORS = re.compile(r"[；;、,，\s]+")
HEADER_COMMENT = (
    "由 chenglai import 从 {source} 第 {row} 行导入；导入时为草稿，须经第二人审核（chenglai vet）后方可发布。"
)


@dataclass(frozen=True)
class Refusal:
    row: int
    case_number: str  # as typed, or "" when the cell is empty
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        case = f"（{self.case_number}）" if self.case_number else ""
        return f"第 {self.row} 行{case}：{self.code} {self.field}: {self.message}"


@dataclass
class ImportResult:
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def refuse(self, row: int, case_number: str, code: str, field: str, message: str) -> None:
        self.refused.append(Refusal(row, case_number, code, field, message))

    @property
    def refused_rows(self) -> list[int]:
        return sorted({r.row for r in self.refused})


class ImportFileError(Exception):
    """The whole file is refused (unreadable, a required column missing); nothing written."""

    def __init__(self, errors: list[RecordError]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def _norm_header(text: str) -> str:
    text = re.sub(r"\s+", "", text).lstrip("*＊").replace("（", "(").replace("）", ")").replace("／", "/")
    return text.lower()


_BY_HEADER = {_norm_header(h): col for col in COLUMNS for h in col.headers}


def map_columns(source: str, table: Table, entered_by: str | None) -> tuple[dict[str, int], list[str]]:
    """Header → column index per key; warnings for ignored columns; missing required → error."""
    found: dict[str, int] = {}
    warnings: list[str] = []
    errors: list[RecordError] = []
    for i, header in enumerate(table.headers):
        col = _BY_HEADER.get(_norm_header(header))
        if col is None:
            label = header or f"（第 {i + 1} 列，无列名）"
            warnings.append(f"忽略第 {i + 1} 列“{label}”：不是导入所用的列")
        elif col.key in found:
            first = table.headers[found[col.key]]
            errors.append(RecordError(source, 1, "E101", col.field,
                                      f"第 {i + 1} 列“{header}”与第 {found[col.key] + 1} 列“{first}”是同一字段，只能保留一列"))  # fmt: skip
        else:
            found[col.key] = i
    for col in COLUMNS:
        if col.key in found:
            continue
        needed = col.required or (col.key == "entered_by" and not entered_by)
        if needed:
            also = f"（也可用：{'、'.join(col.headers[1:])}）" if len(col.headers) > 1 else ""
            hint = "，或用 --entered-by 指定录入人" if col.key == "entered_by" else ""
            errors.append(RecordError(source, 1, "E100", col.field,
                                      f"缺少必填列“{col.headers[0]}”{also}{hint}"))  # fmt: skip
    if errors:
        raise ImportFileError(errors)
    return found, warnings


# -- cell values ----------------------------------------------------------------------------


class CellError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


def parse_date(value: Any) -> date:
    """YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD, or an Excel date (cell or serial)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial day number (1954–2119) in a cell formatted as number
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()  # type: ignore[no-any-return, union-attr]
        value = _text(value)
    text = str(value).strip()
    m = _DATE_TEXT.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise CellError("E013", f"不是有效日期：{text!r}（应为 2024-03-05、2024/3/5 或 Excel 日期）")


def _int(value: Any, unit: str = "") -> int:
    if isinstance(value, bool):
        raise CellError("E012", f"应为整数，实际为 {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip().removesuffix(unit).strip() if unit else str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    raise CellError("E012", f"应为整数，实际为 {value!r}")


def _amount(value: Any) -> Decimal:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = re.sub(r"[\s,，¥￥]|元$", "", str(value))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError("E070", f"应为金额数字（如 120000.00），实际为 {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CellError("E070", f"未履行金额应为不小于 0、最多两位小数的数字，实际为 {value!r}")
    return amount


def parse_grounds(value: Any) -> list[str]:
    """Codes or Chinese wordings separated by ；、, or ; — a wording may itself contain 、."""
    text = str(value).strip()
    found: list[tuple[int, str]] = []
    for words, code in _GROUND_WORDS:  # longest first, so a wording is taken whole
        while (at := text.find(words)) >= 0:
            found.append((at, code))
            text = text[:at] + " " * len(words) + text[at + len(words) :]
    unknown = []
    for at, token in ((m.start(), m.group()) for m in re.finditer(r"[^；;、,，\s]+", text)):
        if token in GROUNDS:
            found.append((at, token))
        else:
            unknown.append(token)
    if unknown:
        known = "；".join(f"{c}（{w}）" for c, w in GROUNDS.items())
        raise CellError("E050", f"未知的失信情形“{'、'.join(unknown)}”：应为以下代码或其中文表述：{known}")
    codes = [code for _at, code in sorted(found)]
    if not codes:
        raise CellError("E050", "至少需要一项失信情形")
    if len(set(codes)) != len(codes):
        raise CellError("E050", "失信情形重复")
    return codes


# -- one row → one record dict ----------------------------------------------------------------


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (code, field, message)

    def text(self, key: str) -> str | None:
        return _text(self.cells.get(key))

    def problem(self, code: str, field: str, message: str) -> None:
        self.problems.append((code, field, message))

    def required(self, key: str, field: str, label: str) -> str | None:
        value = self.text(key)
        if value is None:
            self.problem("E011", field, f"“{label}”为空")
        return value

    def convert(self, key: str, field: str, label: str, func: Any, required: bool = True) -> Any:
        raw = self.cells.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.problem("E011", field, f"“{label}”为空")
            return None
        try:
            return func(raw)
        except CellError as exc:
            self.problem(exc.code, field, f"“{label}”：{exc}")
            return None


def row_to_record(row: _Row, entered_by: str | None) -> dict[str, Any] | None:
    """The record a row describes (key order of the model), or None with row.problems set."""
    case_text = row.required("case_number", "case_number", "执行案号")
    case = casenumber.parse(case_text) if case_text else None
    if case_text and case is None:
        row.problem("E020", "case_number", f"执行案号 {case_text!r} 格式不正确，应如 （2024）鲁0502执1234号")
    rec: dict[str, Any] = {
        "case_number": case.text if case else case_text,
        "court": row.required("court", "court", "执行法院"),
        "region_code": row.convert("region_code", "region_code", "地区代码", _text),
        "filed_on": row.convert("filed_on", "filed_on", "立案时间", parse_date),
        "basis": {
            "issuer": row.required("issuer", "basis.issuer", "作出执行依据单位"),
            "document": row.required("document", "basis.document", "执行依据文号"),
        },
    }
    listed_on = row.convert("listed_on", "listed_on", "发布时间", parse_date)
    rec["debtor"] = _debtor(row, listed_on)
    seq = row.convert("debtor_seq", "debtor_seq", "被执行人序号", _int, required=False)
    if seq is not None:
        rec["debtor_seq"] = seq
    rec["obligation"] = row.required("obligation", "obligation", "生效法律文书确定的义务")
    rec["performance"] = row.required("performance", "performance", "履行情况")
    outstanding = row.convert("outstanding", "outstanding", "未履行金额", _amount, required=False)
    if outstanding is not None:
        rec["outstanding"] = outstanding
    rec["grounds"] = row.convert("grounds", "grounds", "失信情形", parse_grounds)
    rec["listed_on"] = listed_on
    term = row.convert("term_years", "term_years", "期限（年）", lambda v: _int(v, "年"), required=False)
    if term is not None:
        rec["term_years"] = term
    rec["status"] = "listed"
    rec["vetting"] = {
        "decision": row.required("decision", "vetting.decision", "纳入决定书文号"),
        "entered_by": row.text("entered_by") or entered_by,
    }
    if rec["vetting"]["entered_by"] is None:
        row.problem("E011", "vetting.entered_by", "“录入人”为空，且未用 --entered-by 指定")
    return None if row.problems else rec


def _debtor(row: _Row, listed_on: date | None) -> dict[str, Any]:
    kind_text = row.required("kind", "debtor.kind", "被执行人类型")
    kind = KIND_WORDS.get(re.sub(r"\s+", "", kind_text)) if kind_text else None
    if kind_text and kind is None:
        row.problem("E012", "debtor.kind", f"被执行人类型“{kind_text}”应为：{'、'.join(KINDS.values())}")
    debtor: dict[str, Any] = {"kind": kind, "name": row.required("name", "debtor.name", "被执行人姓名/名称")}
    raw_id = row.cells.get("id_number")
    if kind == "person":
        field = "debtor.id_masked"
        if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
            # Excel keeps 15 significant digits: the last digits of the number are already gone
            row.problem("E087", field, "证件号码被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”格式后重新导出")
            return debtor
        number = row.required("id_number", field, "证件号码")
        if number is None or listed_on is None:
            return debtor
        try:
            who = ids.identify(re.sub(r"\s+", "", number), listed_on)
        except ids.IdNumberError as exc:
            row.problem(exc.code, field, str(exc))
            return debtor
        given = row.text("gender")
        if given is not None and given != who.gender:
            row.problem("E083", "debtor.gender", f"“性别”为{given}，与身份证号码（第 17 位）所示的{who.gender}不符")
        debtor.update(id_masked=who.id_masked, gender=who.gender, age=who.age)
    elif kind == "organization":
        field = "debtor.uscc"
        code = row.required("id_number", field, "证件号码")
        if code is not None:
            code = re.sub(r"\s+", "", code).upper()
            if ids.FULL_RE.match(code) and not ids.is_uscc_valid(code):
                row.problem("E086", field, "这是自然人身份证号码，但被执行人类型为法人或其他组织")
            elif not ids.is_uscc_valid(code):
                row.problem("E090", field, f"统一社会信用代码 {code} 不正确（GB 32100 校验位或格式）")
            else:
                debtor["uscc"] = code
        debtor["legal_representative"] = row.required(
            "legal_representative", "debtor.legal_representative", "法定代表人或负责人"
        )
    return debtor


# -- the import -----------------------------------------------------------------------------

# What a re-import owns and rewrites; status, removal and the vetter's fields are staff's.
_OWNED_TOP = ("case_number", "court", "region_code", "filed_on", "basis", "debtor", "debtor_seq",
              "obligation", "performance", "outstanding", "grounds", "listed_on", "term_years")  # fmt: skip


class _Existing:
    """Records already in the output folder: by (case, seq) and by court code."""

    def __init__(self, records: Iterable[SourceRecord]):
        self.by_key: dict[tuple[str, int | None], SourceRecord] = {}
        self.by_court: dict[str, SourceRecord] = {}
        for src in records:
            self.add(src)

    def add(self, src: SourceRecord) -> None:
        case = casenumber.parse(src.record.case_number)
        if case is not None:
            self.by_key.setdefault((case.text, src.record.debtor_seq), src)
            self.by_court.setdefault(case.court_code, src)

    def replace(self, old_path: str, src: SourceRecord) -> None:
        self.by_key = {k: v for k, v in self.by_key.items() if v.path != old_path}
        self.by_court = {k: v for k, v in self.by_court.items() if v.path != old_path}
        self.add(src)

    def across_errors(self, src: SourceRecord) -> list[RecordError]:
        """check_across between this record and the records it could clash with."""
        case = casenumber.parse(src.record.case_number)
        if case is None:
            return []
        others = [self.by_court.get(case.court_code), self.by_key.get((case.text, src.record.debtor_seq))]
        context = list({o.path: o for o in others if o is not None and o.path != src.path}.values())
        return [e for e in rules.check_across([*context, src]) if e.path == src.path]


def import_file(source: Path, out_dir: Path, entered_by: str | None = None, update: bool = False) -> ImportResult:
    """Import every row of `source` into draft files under `out_dir`; see module docstring."""
    try:
        table = read_table(source)
    except TableError as exc:
        raise ImportFileError([RecordError(str(source), 1, "E101", "-", str(exc))]) from None
    columns, warnings = map_columns(str(source), table, entered_by)
    result = ImportResult(warnings=[*table.notes, *warnings])
    existing = _Existing(check_paths([out_dir], drafts_ok=True).records if out_dir.is_dir() else [])
    seen: dict[tuple[str, int | None], int] = {}
    for number, cells in table.rows:
        row = _Row(number, {key: cells[i] for key, i in columns.items()})
        case_text = row.text("case_number") or ""
        rec = row_to_record(row, entered_by)
        refuse = partial(result.refuse, number, case_text)

        case = casenumber.parse(case_text) if case_text else None
        if case is not None:
            seq = rec.get("debtor_seq") if rec else _maybe_int(row.cells.get("debtor_seq"))
            key = (case.text, seq)
            if key in seen:
                refuse("E021", "case_number", f"与第 {seen[key]} 行重复：同一执行案号{_seq_text(seq)}只能有一条记录；"
                       "同案多名被执行人请填写“被执行人序号”")  # fmt: skip
                continue
            seen[key] = number
        if rec is None:
            for problem in row.problems:
                refuse(*problem)
            continue
        _write_row(rec, source, number, out_dir, update, existing, result, refuse)
    return result


def _maybe_int(value: Any) -> int | None:
    try:
        return _int(value) if _text(value) is not None else None
    except CellError:
        return None


def _seq_text(seq: int | None) -> str:
    return "" if seq is None else f"（序号 {seq}）"


def _write_row(rec: dict[str, Any], source: Path, number: int, out_dir: Path, update: bool,
               existing: _Existing, result: ImportResult, refuse: Callable[[str, str, str], None]) -> None:  # fmt: skip
    case = casenumber.parse(rec["case_number"])
    assert case is not None
    key = (case.text, rec.get("debtor_seq"))
    known = existing.by_key.get(key)
    target = Path(known.path) if known is not None else out_dir / record_path(rec)
    if target.exists() and not update:
        refuse("E102", "case_number", f"记录已存在：{target}（同一执行案号{_seq_text(key[1])}）；"
               "如需用本行内容更新该记录，请加 --update")  # fmt: skip
        return
    if known is not None and not _differs(rec, known):
        result.unchanged.append(target)
        return
    if target.exists():
        try:
            doc = Document.read(target)
        except EditError as exc:
            refuse("E101", "-", f"已有记录 {target} 无法读取，未更新：{exc}")
            return
        changed = _apply_update(doc, rec)
        if not changed:
            result.unchanged.append(target)
            return
        if doc.get(("vetting", "vetted_by")) is not None or doc.get(("vetting", "vetted_on")) is not None:
            doc.delete(("vetting", "vetted_on"))
            doc.delete(("vetting", "vetted_by"))
            result.warnings.append(f"{target}：内容已更新，原审核（vetted_by/vetted_on）已撤销，须重新审核")
    else:
        doc = Document.new(rec, header=HEADER_COMMENT.format(source=source.name, row=number))
    data = doc.dumps().encode("utf-8")
    src, errors = check_file(str(target), data, drafts_ok=True)
    if src is not None:
        errors = existing.across_errors(src)
    if errors or src is None:
        for e in errors:
            refuse(e.code, e.field, e.message)
        return
    was_there = target.exists()
    save(target, data)
    if was_there:
        existing.replace(str(target), src)
        result.updated.append(target)
    else:
        existing.add(src)
        result.created.append(target)


def _owned_paths(rec: dict[str, Any], old: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every field a re-import rewrites: the row's, and the old record's that the row lacks."""
    paths: list[tuple[str, ...]] = []
    for top in _OWNED_TOP:
        if top in ("basis", "debtor"):
            before = old.get(top)
            subs = list(rec[top]) + [k for k in (before if isinstance(before, dict) else {}) if k not in rec[top]]
            paths.extend((top, sub) for sub in subs)
        else:
            paths.append((top,))
    paths.append(("vetting", "decision"))
    return paths


def _same_field(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return same_value(old, new) or _same_number(old, new)


def _differs(rec: dict[str, Any], known: SourceRecord) -> bool:
    """Would a re-import change this already parsed record? (Saves a slow round-trip load.)"""
    old = known.record.model_dump(exclude_none=True)
    return any(not _same_field(_get(old, path), _get(rec, path)) for path in _owned_paths(rec, old))


def _apply_update(doc: Document, rec: dict[str, Any]) -> bool:
    """Rewrite what the import owns; True when the record's content changed. The clerk who
    re-imports becomes entered_by only of a record whose content changed."""
    changed = False
    for path in _owned_paths(rec, doc.data):
        new = _get(rec, path)
        if new is None:
            changed |= doc.delete(path)
        elif not _same_number(doc.get(path), new):
            changed |= doc.set(path, new)
    if changed:
        doc.set(("vetting", "entered_by"), rec["vetting"]["entered_by"])
    return changed


def _get(rec: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = rec
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _same_number(old: Any, new: Any) -> bool:
    # （2024）… and (2024)… are the same case or document number (SPEC §1.1)
    return isinstance(old, str) and isinstance(new, str) and casenumber.normalise(old) == casenumber.normalise(new)
