"""The law's rules for the other kinds of exposure (SPEC §7): one item, and across items.

Problems the debtor records share (a case number's shape, a region code, a masked ID, a USCC)
keep the debtor records' codes; what is the kinds' own has E150–E199 (W150 for warnings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from generator.domain import casenumber, ids
from generator.domain.kindmodels import Batch, Restriction, Reward, SourceItem
from generator.domain.rules import FORMULA_START, MIN_AGE, four_eyes
from generator.errors import RecordError

# A phone as courts print it: 0546-8888888, (0546)8888888, 13800000000, 12368 (the courts' line)
PHONE_RE = re.compile(r"^(\(?0\d{2,3}\)?[- ]?)?\d{5,8}(-\d{1,6})?$|^1\d{10}$")
# informants stay confidential (arts. 21–24): no web address, no form, no e-mail that a portal
# could log; a contact is a phone and a postal address
WEB_RE = re.compile(r"(https?://|www\.|\.com\b|\.cn\b|@|二维码|扫码|表单)", re.I)
BATCH_FILE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})\.ya?ml$")
_KIND_NAMES = {"restriction": "限制消费令", "reward": "悬赏执行公告", "batch": "集中曝光批次"}


def check_item(src: SourceItem, drafts_ok: bool = False) -> list[RecordError]:
    """Every rule one item can break on its own."""
    out: list[RecordError] = []

    def err(code: str, field: str, message: str, at: str | None = None) -> None:
        out.append(RecordError(src.path, src.line(*(at or field).split(".")), code, field, message))

    item = src.item
    _vetting(src, err, drafts_ok)
    if isinstance(item, Restriction):
        _common(item, item.issued_on, err)
        _restriction(item, err)
    elif isinstance(item, Reward):
        _common(item, item.published_on, err)
        _reward(item, err)
    elif isinstance(item, Batch):
        _batch(src, item, err)
    return out


def _vetting(src: SourceItem, err, drafts_ok: bool) -> None:  # type: ignore[no-untyped-def]
    v, item = src.item.vetting, src.item
    day = getattr(item, "issued_on", None) or getattr(item, "published_on", None)
    what = _KIND_NAMES[src.kind]
    four_eyes(v, drafts_ok, err,
              ("E150", f"{what}尚未经第二人审核（草稿），不能发布：请由录入人以外的审核人运行 `chenglai vet {src.path} --by 姓名`"),
              ("E151", f"{what}须由另一人审核"))  # fmt: skip
    if v.vetted_on is not None and day is not None and v.vetted_on > day:
        err("E152", "vetting.vetted_on", f"审核时间 {v.vetted_on} 晚于发布时间 {day}：应先审核后发布")


def _common(item: Restriction | Reward, day: date, err) -> None:  # type: ignore[no-untyped-def]
    """Case number, region, debtor: the same law as the debtor records'."""
    if casenumber.parse(item.case_number) is None:
        err("E020", "case_number", f"执行案号 {item.case_number!r} 格式不正确，应如 （2024）鲁0502执1234号")
    if item.debtor_seq is not None and item.debtor_seq < 1:
        err("E012", "debtor_seq", "被执行人序号应为 1 及以上的整数")
    code = item.region_code
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        err("E071", "region_code", f"地区代码应为 6 位数字（GB/T 2260），实际为 {code!r}")
    elif ids.region_name(code) is None:
        err("E072", "region_code", f"地区代码 {code} 不在 GB/T 2260 行政区划代码（含历史代码）中")
    d = item.debtor
    person = {"id_masked": d.id_masked, "gender": d.gender, "age": d.age}
    org = {"uscc": d.uscc, "legal_representative": d.legal_representative}
    mine, other = (person, org) if d.kind == "person" else (org, person)
    for name, value in other.items():
        if value is not None:
            err("E086", f"debtor.{name}", f"{'自然人' if d.kind == 'person' else '法人或其他组织'}不应有 {name}")
    for name, value in mine.items():
        if value is None:
            err("E011", f"debtor.{name}", "被执行人缺少必填字段", "debtor.kind")
    if d.kind == "person":
        if d.age is not None and d.age < MIN_AGE:
            err("E084", "debtor.age", f"年龄 {d.age} 岁：未成年人的信息不得公开")
        if d.id_masked is not None:
            m = ids.MASKED_RE.match(d.id_masked)
            if not m:
                err("E080", "debtor.id_masked", f"脱敏身份证号码 {d.id_masked!r} 格式不正确，应如 3705021985****1234")
            else:
                if ids.region_name(m["region"]) is None:
                    err("E081", "debtor.id_masked", f"身份证号码地区码 {m['region']} 不在 GB/T 2260 中")
                if d.age is not None and abs(day.year - int(m["year"]) - d.age) > 1:
                    err("E082", "debtor.age", f"年龄 {d.age} 与出生年份 {m['year']}、发布年份 {day.year} 不符")
                if d.gender is not None and ids.gender(d.id_masked) != d.gender:
                    err("E083", "debtor.gender", f"性别 {d.gender} 与身份证号码第 17 位不符（奇数为男、偶数为女）")
    elif d.uscc is not None and not ids.is_uscc_valid(d.uscc):
        err("E090", "debtor.uscc", f"统一社会信用代码 {d.uscc} 不正确（GB 32100 校验位或格式）：请核对")


def _restriction(r: Restriction, err) -> None:  # type: ignore[no-untyped-def]
    if r.restricted_persons is not None:
        if r.debtor.kind == "person":
            err(
                "E153",
                "restricted_persons",
                "被执行人为自然人时不填写 restricted_persons（限消规定第三条第二款仅适用于单位）",
            )
        for i, name in enumerate(r.restricted_persons):
            if any(ch.isdigit() for ch in name) or len(name) > 30:
                err(
                    "E154",
                    f"restricted_persons.{i}",
                    f"受限制人员只写姓名（限消规定第三条第二款），不写证件号码或职务说明：{name!r}",
                )
        if len(set(r.restricted_persons)) != len(r.restricted_persons):
            err("E154", "restricted_persons", "受限制人员姓名重复")
    if r.status == "lifted":
        if r.lifted_on is None:
            err("E155", "lifted_on", "状态为 lifted 时须填写解除日期 lifted_on（限消规定第九条）", "status")
        if r.lift_reason is None:
            err("E155", "lift_reason", "状态为 lifted 时须填写解除原因 lift_reason", "status")
    else:
        for name in ("lifted_on", "lift_reason"):
            if getattr(r, name) is not None:
                err("E156", name, f"状态为 in_force 的限制消费令不应有 {name}；解除时把 status 改为 lifted")
    if r.lifted_on is not None and r.lifted_on < r.issued_on:
        err("E157", "lifted_on", f"解除日期 {r.lifted_on} 早于发布日期 {r.issued_on}")


def _reward(r: Reward, err) -> None:  # type: ignore[no-untyped-def]
    if r.valid_until < r.published_on:
        err("E160", "valid_until", f"悬赏有效期 {r.valid_until} 早于发布日期 {r.published_on}")
    phone = r.contact.phone.replace("（", "(").replace("）", ")")
    if not PHONE_RE.match(phone):
        err("E161", "contact.phone", f"联系电话 {r.contact.phone!r} 格式不正确，应如 0546-8888888 或 12368")
    for field, value in (("contact.phone", r.contact.phone), ("contact.address", r.contact.address),
                         ("conditions", r.conditions), ("reward", r.reward)):  # fmt: skip
        if WEB_RE.search(value):
            err("E162", field, "悬赏公告不得提供网址、表单、二维码或电子邮箱：举报人信息须保密（法释〔2017〕8号第二十二条），"
                "只写联系电话与地址")  # fmt: skip


def _batch(src: SourceItem, b: Batch, err) -> None:  # type: ignore[no-untyped-def]
    m = BATCH_FILE_RE.search(src.path.replace("\\", "/").rsplit("/", 1)[-1])
    if m is None or m.group(1) != b.published_on.isoformat():
        err(
            "E180",
            "published_on",
            f"集中曝光批次文件名应为发布日期 {b.published_on}.yaml（content/exposure/YYYY-MM-DD.yaml）",
        )
    if (b.records is None) == (b.selection is None):
        err("E181", "records", "须填写 records（记录编号列表）或 selection（法院与发布日期范围）之一，且只填一个")
    if b.selection is not None and b.selection.listed_from > b.selection.listed_to:
        err("E182", "selection.listed_from", f"起始日期 {b.selection.listed_from} 晚于截止日期 {b.selection.listed_to}")
    if b.records is not None and len(set(b.records)) != len(b.records):
        err("E183", "records", "记录编号重复")


def check_batch_ids(src: SourceItem, known: set[str]) -> list[RecordError]:
    """E184: an id in a batch that names no debtor record (most likely a typo)."""
    b = src.item
    out: list[RecordError] = []
    for i, rid in enumerate(b.records or ()):
        if rid not in known:
            out.append(RecordError(
                src.path, src.line("records", i), "E184", f"records.{i}",
                f"记录编号 {rid} 不对应任何失信被执行人记录（是否输错？编号如 2024-lu0502-zhi-1234）",
            ))  # fmt: skip
    return out


def item_id(src: SourceItem) -> str | None:
    """The page id of a restriction or reward (as a debtor record's: from the case number)."""
    case = casenumber.parse(src.item.case_number)
    return None if case is None else casenumber.record_id(case, src.item.debtor_seq)


def check_across(items: Iterable[SourceItem]) -> list[RecordError]:
    """E158: two restrictions (or two rewards) of one page address."""
    out: list[RecordError] = []
    seen: dict[tuple[str, str], SourceItem] = {}
    for src in items:
        if src.kind == "batch":
            continue
        rid = item_id(src)
        if rid is None:
            continue
        first = seen.setdefault((src.kind, rid), src)
        if first is not src:
            out.append(RecordError(
                src.path, src.line("case_number"), "E158", "case_number",
                f"与 {first.path}:{first.line('case_number')} 重复：同一执行案号与序号只能有一份{_KIND_NAMES[src.kind]}",
            ))  # fmt: skip
    return out


def check_warnings(src: SourceItem) -> list[RecordError]:
    """W150: published text that begins with a spreadsheet formula character (CSV injection)."""
    out = []
    item = src.item
    parts = [("", item)] + [(f"{n}.", getattr(item, n)) for n in ("debtor", "contact") if hasattr(item, n)]
    for prefix, model in parts:
        for name, value in model.__dict__.items():
            if isinstance(value, str) and value.startswith(FORMULA_START):
                out.append(RecordError(
                    src.path, src.line(*(prefix + name).split(".")), "W150", prefix + name,
                    "文字以电子表格公式符号开头（CSV 注入）：开放数据会加单引号写出；请核对是否误录入",
                ))  # fmt: skip
    return out
