"""The record models of the other kinds of exposure (SPEC §7) and the parsing of their files.

- Restriction: 限制消费令 (《最高人民法院关于限制被执行人高消费及有关消费的若干规定》), with the
  art. 3 ¶2 persons of an organisation (names only) and its lifting (art. 9).
- Reward: 悬赏执行公告 (法释〔2017〕8号 arts. 21–24). Informants stay confidential: a contact is a
  phone and an address, never a web form.
- Batch: 集中曝光 (one file per batch, content/exposure/YYYY-MM-DD.yaml): debtor record ids or a
  selection by court and listing dates.

The debtor block is the debtor records' own (records.Debtor); the law's rules are in kindrules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from generator.domain import yamlload
from generator.domain.records import Day, Debtor, Int, Text, Vetting, field_message
from generator.errors import RecordError

KIND_FOLDERS = {"restriction": "restrictions", "reward": "rewards", "batch": "exposure"}
KIND_LABELS = {"restriction": "限制消费令", "reward": "悬赏执行公告", "batch": "集中曝光"}
LIFT_REASONS: dict[str, str] = {
    "performed": "被执行人已履行完毕",
    "security_provided": "被执行人提供确实有效的担保",
    "applicant_consent": "申请执行人同意解除",
    "other": "其他依法应当解除的情形",
}


def _digits_as_text(value: Any) -> Any:
    # region_code: 370502 unquoted is read by YAML as an integer; it still means the code
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Code = Annotated[Text, BeforeValidator(_digits_as_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Restriction(_Model):
    case_number: Text
    court: Text
    region_code: Code
    order_no: Text  # 限制消费令文号
    issued_on: Day
    debtor: Debtor
    debtor_seq: Int | None = None
    restricted_persons: list[Text] | None = None  # art. 3 ¶2, organisations only: names
    status: Literal["in_force", "lifted"]
    lifted_on: Day | None = None
    lift_reason: Literal["performed", "security_provided", "applicant_consent", "other"] | None = None
    vetting: Vetting


class Contact(_Model):
    phone: Annotated[Text, BeforeValidator(_digits_as_text)]
    address: Text


class Reward(_Model):
    case_number: Text
    court: Text
    region_code: Code
    debtor: Debtor
    debtor_seq: Int | None = None
    applicant: Text  # 申请执行人 (may be written as just that)
    reward: Text  # amount or method, e.g. 按实际执行到位金额的 10% 给付
    conditions: Text
    contact: Contact
    published_on: Day
    valid_until: Day
    status: Literal["open", "closed"]
    vetting: Vetting


class Selection(_Model):
    court: Text
    listed_from: Day
    listed_to: Day


class Batch(_Model):
    title: Text
    court: Text
    published_on: Day
    records: Annotated[list[Text], Field(min_length=1)] | None = None
    selection: Selection | None = None
    vetting: Vetting


MODELS: dict[str, type[_Model]] = {"restriction": Restriction, "reward": Reward, "batch": Batch}
_NESTED: dict[str, type[BaseModel]] = {
    "debtor": Debtor, "vetting": Vetting, "contact": Contact, "selection": Selection,
}  # fmt: skip


@dataclass(frozen=True)
class SourceItem:
    """A parsed file of one of the kinds, with where it came from."""

    path: str
    kind: str  # restriction | reward | batch
    item: Any  # Restriction | Reward | Batch
    lines: yamlload.Lines

    def line(self, *field: str | int) -> int:
        """Line of a field, or of its nearest present parent, or 1."""
        return yamlload.line_of(self.lines, *field)


def _fields(kind: str, parent: tuple[str, ...]) -> list[str]:
    model = MODELS[kind] if not parent else _NESTED.get(parent[-1])
    return list(model.model_fields) if model is not None else []


def _message(kind: str, err: Any, loc: tuple[str | int, ...]) -> tuple[str, str]:
    """Pydantic error → (code, Chinese message): the generic codes of the debtor records."""
    shared = field_message(err, loc, _fields(kind, tuple(p for p in loc[:-1] if isinstance(p, str))))
    if shared is not None:
        return shared
    if err["type"] in ("list_type", "too_short"):
        return "E012", "应为非空列表，如 [张某, 李某]"
    return "E012", f"取值不正确（{err.get('msg')}）"


def parse_item(path: str, kind: str, data: bytes) -> tuple[SourceItem | None, list[RecordError]]:
    """Parse and model-validate one file of `kind`; the law's rules are in kindrules."""
    from generator.domain.ids import mask
    from generator.domain.normalform import find_full_ids

    try:
        raw, lines, text = yamlload.load(path, data)
    except RecordError as failure:
        return None, [failure]
    errors: list[RecordError] = []
    by_line = {line: ".".join(str(p) for p in loc if isinstance(p, str)) for loc, line in lines.items()}
    for n in sorted({text.count("\n", 0, start) + 1 for start, _end, _number in find_full_ids(text)}):
        errors.append(RecordError(
            path, n, "E085", by_line.get(n, "-"),
            "文件中不得保存完整的 18 位身份证号码（全角数字、分组书写也算）：请改写为脱敏形式（前 10 位 + **** + 后 4 位）",
        ))  # fmt: skip
    try:
        item = MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            code, message = _message(kind, err, loc)
            field = ".".join(str(p) for p in loc if isinstance(p, str)) or "-"
            line = lines.get(loc) or next((lines[loc[:i]] for i in range(len(loc) - 1, 0, -1) if loc[:i] in lines), 1)
            errors.append(RecordError(path, line, code, field, message))
        item = None
    if errors:
        # never echo a whole ID number into a terminal or a CI log
        def masked(s: str) -> str:
            for start, end, number in reversed(find_full_ids(s)):
                s = s[:start] + mask(number) + s[end:]
            return s

        return None, [RecordError(e.path, e.line, e.code, masked(e.field), masked(e.message)) for e in errors]
    return SourceItem(path, kind, item, lines), []
