"""The record model (SPEC §1.1) and loading of record files into typed records."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from generator.domain import yamlload
from generator.errors import RecordError

GROUNDS: dict[str, str] = {
    "able_but_refuses": "有履行能力而拒不履行生效法律文书确定义务",
    "obstructs_by_force": "以伪造证据、暴力、威胁等方法妨碍、抗拒执行",
    "evades_by_fraud": "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行",
    "violates_asset_report": "违反财产报告制度",
    "violates_consumption_ban": "违反限制消费令",
    "breaks_settlement": "无正当理由拒不履行执行和解协议",
}
NO_FIXED_TERM = "able_but_refuses"
REMOVAL_REASONS: dict[str, str] = {
    "performed": "已履行完毕",
    "settlement_performed": "执行和解协议已履行完毕",
    "applicant_request": "申请执行人书面申请删除",
    "no_assets_found": "终结本次执行后查无财产",
    "suspended": "因审判监督或破产程序中止执行",
    "not_enforced": "裁定不予执行",
    "terminated": "终结执行",
    "corrected": "纠正（不应纳入）",
    "early_deletion": "提前删除（信用修复）",
    "term_expired": "期限届满",
}
# art. 10 ¶2: a record with a term leaves only by early deletion (art. 2 ¶2), correction
# (art. 9/12) or the term's end; the other reasons (art. 10 ¶1) are for records without a term
TERM_REMOVAL_REASONS = ("early_deletion", "corrected")
# art. 2 ¶1: the two years may be extended by one to three for these reasons only
TERM_EXTENSIONS: dict[str, str] = {
    "violence": "以暴力、威胁方法妨碍、抗拒执行情节严重",
    "multiple_acts": "具有多项失信行为",
}
# the kinds of identity document a person's record may carry (art. 6: 身份证号码)
ID_KINDS: dict[str, str] = {
    "resident": "居民身份证",
    "hk_macao_permit": "港澳居民居住证",
    "taiwan_permit": "台湾居民居住证",
    "foreign_permanent": "外国人永久居留身份证",
    "passport": "护照",
}
KINDS = {"person": "自然人", "organization": "法人或其他组织"}
PERFORMANCE = ("全部未履行", "部分未履行")


def _iso_day(value: Any) -> Any:
    # "2024-03-05" in quotes is still the date a clerk meant; anything looser stays an error
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


Text = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Day = Annotated[date, Strict(), BeforeValidator(_iso_day)]
Int = Annotated[int, Strict()]
Ground = Literal[
    "able_but_refuses", "obstructs_by_force", "evades_by_fraud",
    "violates_asset_report", "violates_consumption_ban", "breaks_settlement",
]  # fmt: skip
Reason = Literal[
    "performed", "settlement_performed", "applicant_request", "no_assets_found",
    "suspended", "not_enforced", "terminated", "corrected", "early_deletion", "term_expired",
]  # fmt: skip


def _digits_as_text(value: Any) -> Any:
    # region_code: 370502 unquoted is read by YAML as an integer; it still means the code
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _amount(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Basis(_Model):
    issuer: Text
    document: Text


class Debtor(_Model):
    kind: Literal["person", "organization"]
    name: Text
    id_kind: Literal["resident", "hk_macao_permit", "taiwan_permit", "foreign_permanent", "passport"] | None = None
    id_masked: Annotated[Text, BeforeValidator(_digits_as_text)] | None = None
    gender: Literal["男", "女"] | None = None
    age: Int | None = None
    uscc: Text | None = None
    org_code: Text | None = None
    legal_representative: Text | None = None


class Vetting(_Model):
    decision: Text
    entered_by: Text
    vetted_by: Text | None = None
    vetted_on: Day | None = None
    decided_on: Day | None = None
    served_on: Day | None = None


class Record(_Model):
    case_number: Text
    court: Text
    region_code: Annotated[Text, BeforeValidator(_digits_as_text)]
    filed_on: Day
    basis: Basis
    debtor: Debtor
    debtor_seq: Int | None = None
    listing_no: Int | None = None
    obligation: Text
    performance: Literal["全部未履行", "部分未履行"]
    outstanding: Annotated[Decimal, BeforeValidator(_amount), Field(allow_inf_nan=False)] | None = None
    grounds: Annotated[list[Ground], Field(min_length=1)]
    listed_on: Day
    term_years: Int | None = None
    term_extension: Literal["violence", "multiple_acts"] | None = None
    grace_until: Day | None = None
    status: Literal["listed", "removed"]
    removed_on: Day | None = None
    removal_reason: Reason | None = None
    vetting: Vetting

    @property
    def is_draft(self) -> bool:
        return self.vetting.vetted_by is None or self.vetting.vetted_on is None

    @property
    def has_term(self) -> bool:
        """Whether art. 2 sets a term: any ground other than able_but_refuses."""
        return any(g != NO_FIXED_TERM for g in self.grounds)


# Field names per model, for "did you mean" on unknown keys.
_FIELDS: dict[tuple[str, ...], list[str]] = {
    (): list(Record.model_fields),
    ("basis",): list(Basis.model_fields),
    ("debtor",): list(Debtor.model_fields),
    ("vetting",): list(Vetting.model_fields),
}


@dataclass(frozen=True)
class SourceRecord:
    """A valid record with where it came from."""

    path: str
    record: Record
    lines: yamlload.Lines

    def line(self, *field: str | int) -> int:
        """Line of a field, or of its nearest present parent, or 1."""
        return yamlload.line_of(self.lines, *field)


def field_message(err: ErrorDetails, loc: tuple[str | int, ...], known: list[str]) -> tuple[str, str] | None:
    """Pydantic error → (code, Chinese message) for the problems every kind of file shares (the
    debtor records and SPEC §7's kinds); None for the rest, which each model words itself.
    `known`: the field names beside the one at `loc` (for a misspelt field's hint)."""
    kind = err["type"]
    if kind == "extra_forbidden":
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"，是不是 {guess[0]}？" if guess else f"；可用字段：{', '.join(known)}"
        return "E010", f"未知字段 {loc[-1]}{hint}"
    if kind == "missing":
        return "E011", "缺少必填字段"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return "E013", f"不是有效日期：{err.get('input')!r}（应为 YYYY-MM-DD，如 2024-03-05）"
    if kind == "literal_error":
        expected = str((err.get("ctx") or {}).get("expected", "")).replace(" or ", ", ")
        return "E012", f"取值 {err.get('input')!r} 不在允许范围内，应为：{expected}"
    if kind in ("string_type", "string_too_short"):
        return "E012", "应填写文字，不能为空"
    if kind == "string_too_long":
        return "E012", "文字过长（最多 500 字）"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "E012", f"应为整数，实际为 {err.get('input')!r}"
    if kind == "model_type" or kind == "dict_type":
        return "E012", "应为包含子字段的映射"
    return None


def _message(err: ErrorDetails, loc: tuple[str | int, ...]) -> tuple[str, str]:
    """Pydantic error → (code, Chinese message)."""
    shared = field_message(err, loc, _FIELDS.get(tuple(p for p in loc[:-1] if isinstance(p, str)), []))
    if shared is not None:
        return shared
    kind = err["type"]
    if kind in ("decimal_type", "decimal_parsing", "finite_number"):
        return "E070", f"应为金额数字（如 120000.00），实际为 {err.get('input')!r}"
    if kind in ("list_type",):
        return "E012", "应为列表，如 [evades_by_fraud]"
    if kind == "too_short" and loc and loc[-1] == "grounds":
        return "E050", "至少需要一项失信情形"
    return "E012", f"取值不正确（{err.get('msg')}）"


def _code_for(loc: tuple[str | int, ...], code: str) -> str:
    if code == "E012" and loc and loc[0] == "grounds":
        return "E050"
    return code


def parse_file(path: str, data: bytes) -> tuple[SourceRecord | None, list[RecordError]]:
    """Parse and model-validate one record file; law rules are in rules.py."""
    try:
        raw, lines, text = yamlload.load(path, data)
    except RecordError as failure:
        return None, [failure]
    errors = _full_id_errors(path, text, lines)
    try:
        record = Record.model_validate(raw)
    except ValidationError as exc:
        details = exc.errors()
        misspelt = _misspelt(details, lines)
        for err in details:
            loc = tuple(err["loc"])
            code, message = _message(err, loc)
            field = ".".join(str(p) for p in loc if isinstance(p, str)) or "-"
            line = misspelt[loc] if err["type"] == "missing" and loc in misspelt else yamlload.line_of(lines, *loc)
            errors.append(RecordError(path, line, _code_for(loc, code), field, message))
        return None, _unechoed(errors) if errors and errors[0].code == "E085" else errors
    return SourceRecord(path, record, lines), _unechoed(errors)


def _unechoed(errors: list[RecordError]) -> list[RecordError]:
    """The problems of a file holding a full ID, with every full ID in their fields and messages
    masked (an unknown key, a value echoed): never print a whole ID into a terminal or a CI log."""
    from generator.domain.ids import mask
    from generator.domain.normalform import find_full_ids

    def masked(text: str) -> str:
        for start, end, number in reversed(find_full_ids(text)):
            text = text[:start] + mask(number) + text[end:]
        return text

    return [RecordError(e.path, e.line, e.code, masked(e.field), masked(e.message)) for e in errors]


def _misspelt(details: list[ErrorDetails], lines: yamlload.Lines) -> dict[tuple[str | int, ...], int]:
    """Missing field → line of its near-miss spelling (listed_om for listed_on), so that the
    "missing" error points where the clerk typed it, not at line 1."""
    out: dict[tuple[str | int, ...], int] = {}
    for err in details:
        if err["type"] != "extra_forbidden":
            continue
        loc = tuple(err["loc"])
        parent = tuple(str(p) for p in loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), _FIELDS.get(parent, []), n=1, cutoff=0.6)
        if guess:
            out[(*loc[:-1], guess[0])] = lines.get(loc, 1)
    return out


def _full_id_errors(path: str, text: str, lines: yamlload.Lines) -> list[RecordError]:
    """E085 on every line holding a full ID as a reader would read it: the normal form of SPEC §3
    (full-width digits, spaced or hyphenated groups, invisible characters between digits)."""
    from generator.domain.normalform import find_full_ids

    found = find_full_ids(text)
    if not found:
        return []
    by_line = {line: ".".join(str(p) for p in loc if isinstance(p, str)) for loc, line in lines.items()}
    numbers = sorted({text.count("\n", 0, start) + 1 for start, _end, _number in found})
    return [
        RecordError(
            path,
            n,
            "E085",
            by_line.get(n, "-"),
            "记录中不得保存完整的 18 位身份证号码（全角数字、分组书写也算）：请运行 `chenglai mask "
            + path
            + "` 改写为脱敏形式",
        )
        for n in numbers
    ]


def iter_record_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Record files under the given files or folders, in a stable order (that of sorted Paths)."""
    return map(Path, record_files(paths))


def record_files(paths: Iterable[str | Path]) -> list[str]:
    """iter_record_files as the strings str(Path) gives, without making 100,000 Paths."""
    out: list[str] = []
    for p in paths:
        top = str(Path(p))  # normalised: the names scandir joins to it stay normalised
        if os.path.isdir(top):
            found = _scan_yaml(top)
            # the order of the paths' parts (a folder before its longer-named siblings): the
            # separator as the least character compares the same, without a list per path
            found.sort(key=lambda f: f.replace(os.sep, "\0"))
            out += found
        else:
            out.append(top)
    return out


def _scan_yaml(top: str) -> list[str]:
    # os.scandir reuses the directory entry's file type: no stat per file, unlike Path.rglob
    # plus is_file (1 s of 100,000 records' 15 s check)
    found: list[str] = []
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):  # a symlink loop must not hang the check
                        folders.append(entry.path)
                    elif entry.name.endswith((".yaml", ".yml")) and entry.is_file():
                        found.append(entry.path)
        except OSError:
            found.append(folder)  # unreadable folder: reading it as a file reports E008 with the reason
    return found
