"""The case system's export format (SPEC §5.1): column headers, cell values, one row → one
record dict. No files are written here; `importer` decides what becomes a record file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from generator.domain import casenumber, ids
from generator.domain.records import GROUNDS, KINDS, TERM_EXTENSIONS
from generator.errors import RecordError
from generator.staff.tables import Table


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
    ),
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
    Column("term_extension", "term_extension", ("延长理由", "期限延长理由"), required=False),
    Column("decision", "vetting.decision", ("纳入决定书文号", "纳入决定书", "决定书文号")),
    Column("decided_on", "vetting.decided_on", ("决定书作出日期", "决定日期", "纳入决定日期"), required=False),
    Column("served_on", "vetting.served_on", ("送达日期", "决定书送达日期"), required=False),
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
_GROUND_TOKEN = re.compile(r"[^；;、,，\s]+")  # what the separators ；;、,， and spaces leave


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


# art. 2 ¶1's two reasons for a longer term, as the code or in words
_EXTENSION_WORDS = {**{v: k for k, v in TERM_EXTENSIONS.items()}, "暴力": "violence", "威胁": "violence",
                    "多项失信行为": "multiple_acts", "多项": "multiple_acts"}  # fmt: skip


def parse_extension(value: Any) -> str:
    text = re.sub(r"\s+", "", str(value))
    if text in TERM_EXTENSIONS:
        return text
    for words, code in sorted(_EXTENSION_WORDS.items(), key=lambda kv: -len(kv[0])):
        if words in text:
            return code
    raise CellError("E012", f"延长理由 {text!r} 应为 violence（以暴力、威胁方法妨碍、抗拒执行情节严重）"
                    "或 multiple_acts（具有多项失信行为）（《规定》第二条第一款）")  # fmt: skip


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
    for at, token in ((m.start(), m.group()) for m in _GROUND_TOKEN.finditer(text)):
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
class Row:
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

    def convert(self, key: str, field: str, label: str, func: Callable[[Any], Any], required: bool = True) -> Any:
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


def row_to_record(row: Row, entered_by: str | None) -> dict[str, Any] | None:
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
    extension = row.convert("term_extension", "term_extension", "延长理由", parse_extension, required=False)
    if extension is not None:
        rec["term_extension"] = extension
    rec["status"] = "listed"
    rec["vetting"] = {
        "decision": row.required("decision", "vetting.decision", "纳入决定书文号"),
        "entered_by": row.text("entered_by") or entered_by,
    }
    for key, label in (("decided_on", "决定书作出日期"), ("served_on", "送达日期")):
        day = row.convert(key, f"vetting.{key}", label, parse_date, required=False)
        if day is not None:
            rec["vetting"][key] = day
    if rec["vetting"]["entered_by"] is None:
        row.problem("E011", "vetting.entered_by", "“录入人”为空，且未用 --entered-by 指定")
    return None if row.problems else rec


def _debtor(row: Row, listed_on: date | None) -> dict[str, Any]:
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


def optional_int(value: Any) -> int | None:
    try:
        return _int(value) if _text(value) is not None else None
    except CellError:
        return None
