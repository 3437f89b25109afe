"""The law's rules for one record and across records; each problem has a stable code."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from generator.domain import casenumber, ids, lifecycle
from generator.domain.records import NO_FIXED_TERM, SourceRecord
from generator.errors import RecordError

MIN_TERM, MAX_TERM = 2, 5  # art. 2: two years, extended by one to three
MIN_AGE = 18  # art. 4: minors are never listed
_ROLE = re.compile(r"\s*[（(][^（）()]*[)）]\s*$")


# OWASP CSV injection: a spreadsheet (Excel, WPS) runs a cell whose text begins with one of
# these as a formula. The open data writes such text with a leading ' (render.exports.csv_cell);
# `check` warns (W001), since in a record it is most likely a slip or a planted formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_START_NAMES = {"\t": "制表符", "\r": "回车"}
_UNPUBLISHED = ("vetting",)  # text of these models never reaches a page or a data file


def check_warnings(src: SourceRecord) -> list[RecordError]:
    """What `check` warns about (W codes: printed, never failing a check or a build): text
    of a record that begins with a spreadsheet formula character (W001); no service date (W110)."""
    r = src.record
    out: list[RecordError] = []
    for prefix, model in (("", r), ("basis.", r.basis), ("debtor.", r.debtor), ("vetting.", r.vetting)):
        for name, value in model.__dict__.items():  # the model's fields (a pydantic model keeps them here)
            if not isinstance(value, str) or not value.startswith(FORMULA_START):
                continue
            field = prefix + name
            start = _START_NAMES.get(value[0], f"“{value[0]}”")
            if prefix.rstrip(".") in _UNPUBLISHED:
                where = "此字段不公开，但记录可能被导出到电子表格"
            else:
                where = "开放数据 /data/debtors.csv 会在此单元格前加单引号 ' 作为文字写出"
            out.append(
                RecordError(
                    src.path,
                    src.line(*field.split(".")),
                    "W001",
                    field,
                    f"文字以{start}开头，电子表格（Excel、WPS）会把它当作公式执行（CSV 注入）：{where}；"
                    "请核对是否误录入，如非原文请删去开头的符号",
                )
            )
    return out + lifecycle.warnings(src)


def same_person(a: str, b: str) -> bool:
    """王某（书记员） and 王某（执行法官） are one person: a role in brackets does not make a second."""
    return same_key(a) == same_key(b)


def check_record(src: SourceRecord, drafts_ok: bool = False) -> list[RecordError]:
    """Every rule that one record can break on its own."""
    r = src.record
    out: list[RecordError] = []

    def err(code: str, field: str, message: str, at: str | None = None) -> None:
        # `at`: where to point when the field itself is missing (the line that asks for it)
        out.append(RecordError(src.path, src.line(*(at or field).split(".")), code, field, message))

    if casenumber.parse(r.case_number) is None:
        err("E020", "case_number", f"执行案号 {r.case_number!r} 格式不正确，应如 （2024）鲁0502执1234号")
    if r.debtor_seq is not None and r.debtor_seq < 1:
        err("E012", "debtor_seq", "被执行人序号应为 1 及以上的整数")

    # dates in order: filed_on ≤ vetted_on ≤ listed_on
    v = r.vetting
    if r.filed_on > r.listed_on:
        err("E030", "filed_on", f"立案时间 {r.filed_on} 晚于发布时间 {r.listed_on}")
    if v.vetted_on is not None:
        if v.vetted_on > r.listed_on:
            err("E031", "vetting.vetted_on", f"审核时间 {v.vetted_on} 晚于发布时间 {r.listed_on}：应先审核后发布；"
                f"请把 listed_on 改为实际公布的日期（不早于 {v.vetted_on}），或核对 vetted_on")  # fmt: skip
        if v.vetted_on < r.filed_on:
            err("E032", "vetting.vetted_on", f"审核时间 {v.vetted_on} 早于立案时间 {r.filed_on}")

    four_eyes(v, drafts_ok, err,
              ("E040", "记录尚未经第二人审核（草稿），不能合并发布：请由审核人运行 `chenglai vet " + src.path + " --by 姓名`"),
              ("E041", "须由另一人审核"))  # fmt: skip

    # grounds and terms
    if len(set(r.grounds)) != len(r.grounds):
        err("E050", "grounds", "失信情形重复")
    fixed_term = any(g != NO_FIXED_TERM for g in r.grounds)
    if r.term_years is None:
        if fixed_term:
            err(
                "E051", "term_years", "除“有履行能力而拒不履行”外的失信情形须填写期限（2 年，可延长 1–3 年）", "grounds"
            )
    elif not fixed_term:
        # art. 2 sets no term for this ground: the record stays until performance; a term
        # written here would be silently ignored by the publication policy
        err("E053", "term_years", "仅有“有履行能力而拒不履行”情形时不设固定期限（至履行完毕后删除）：请删除 term_years")
    elif not MIN_TERM <= r.term_years <= MAX_TERM:
        err("E052", "term_years", f"期限应为 {MIN_TERM} 至 {MAX_TERM} 年（2 年，可延长 1–3 年），实际为 {r.term_years}")

    # status and removal
    if r.status == "removed":
        if r.removed_on is None:
            err("E060", "removed_on", "状态为 removed 时须填写删除日期 removed_on", "status")
        if r.removal_reason is None:
            err("E060", "removal_reason", "状态为 removed 时须填写删除原因 removal_reason", "status")
    else:
        if r.removed_on is not None:
            err("E061", "removed_on", "状态为 listed 的记录不应有删除日期；删除请运行 `chenglai remove`")
        if r.removal_reason is not None:
            err("E061", "removal_reason", "状态为 listed 的记录不应有删除原因；删除请运行 `chenglai remove`")
    if r.removed_on is not None and r.removed_on < r.listed_on:
        err("E062", "removed_on", f"删除日期 {r.removed_on} 早于发布时间 {r.listed_on}")

    if r.outstanding is not None and (r.outstanding < 0 or r.outstanding.as_tuple().exponent < -2):  # type: ignore[operator]
        err("E070", "outstanding", f"未履行金额应为不小于 0、最多两位小数的数字，实际为 {r.outstanding}")

    if not (len(r.region_code) == 6 and r.region_code.isascii() and r.region_code.isdigit()):
        err("E071", "region_code", f"地区代码应为 6 位数字（GB/T 2260），实际为 {r.region_code!r}")
    elif ids.region_name(r.region_code) is None:
        err("E072", "region_code", f"地区代码 {r.region_code} 不在 GB/T 2260 行政区划代码（含历史代码）中")

    lifecycle.check(src, err)
    out.extend(_debtor_rules(src, err))
    return out


def _debtor_rules(src: SourceRecord, err) -> list[RecordError]:  # type: ignore[no-untyped-def]
    r, d = src.record, src.record.debtor
    person_fields: dict[str, object] = {"id_masked": d.id_masked, "gender": d.gender, "age": d.age}
    org_fields: dict[str, object] = {"uscc": d.uscc, "legal_representative": d.legal_representative}
    if d.kind == "person":
        for name, value in {**org_fields, "org_code": d.org_code}.items():
            if value is not None:
                err("E086", f"debtor.{name}", f"自然人记录不应有 {name}（仅用于法人或其他组织）")
        for name, value in person_fields.items():
            if value is None:
                err("E011", f"debtor.{name}", "自然人记录缺少必填字段", "debtor.kind")
        if d.age is not None and d.age < MIN_AGE:
            err("E084", "debtor.age", f"年龄 {d.age} 岁：未成年人不得纳入失信被执行人名单（规定第四条）")
        kind = d.id_kind or "resident"
        problem = None if d.id_masked is None else ids.masked_problem(d.id_masked, kind)
        if problem is not None:
            err("E117", "debtor.id_masked", f"{problem}（《规定》第六条：证件号码；debtor.id_kind: {kind}）")
        elif d.id_masked is not None and not ids.masked_without_birth(d.id_masked, kind):
            _masked_id_rules(d.id_masked, d.gender, d.age, r.listed_on.year, err, kind)
    else:
        for name, value in {**person_fields, "id_kind": d.id_kind}.items():
            if value is not None:
                err("E086", f"debtor.{name}", f"法人或其他组织记录不应有 {name}（仅用于自然人）")
        if d.legal_representative is None:
            err("E011", "debtor.legal_representative", "法人或其他组织记录缺少必填字段", "debtor.kind")
        if d.uscc is None and d.org_code is None:
            err("E011", "debtor.uscc", "法人或其他组织记录须填写统一社会信用代码 uscc；没有统一社会信用代码的，"
                "填写组织机构代码 org_code（如 12345678-8，《规定》第六条）", "debtor.kind")  # fmt: skip
        if d.org_code is not None and not ids.is_org_code_valid(d.org_code):
            if ids.ORG_CODE_RE.fullmatch(d.org_code):
                err("E118", "debtor.org_code", f"组织机构代码 {d.org_code} 校验码不正确（GB 11714）：请核对（《规定》第六条）")
            else:
                err("E118", "debtor.org_code", f"组织机构代码 {d.org_code!r} 格式不正确：应为 8 位数字或大写字母、"
                    "连字符和 1 位校验码，如 12345678-8（GB 11714，《规定》第六条）")  # fmt: skip
        if d.uscc is not None and not ids.is_uscc_valid(d.uscc):
            if ids.USCC_RE.fullmatch(d.uscc):
                err("E090", "debtor.uscc", f"统一社会信用代码 {d.uscc} 校验位不正确（GB 32100）：请核对")
            else:
                err(
                    "E090",
                    "debtor.uscc",
                    f"统一社会信用代码 {d.uscc!r} 格式不正确：应为 18 位数字或大写字母"
                    "（不含 I、O、S、V、Z），中间不留空格",
                )
    return []


def _masked_id_rules(masked: str, gender: str | None, age: int | None, listed_year: int, err, kind: str = "resident") -> None:  # type: ignore[no-untyped-def]
    field = "debtor.id_masked"
    if ids.FULL_RE.match(masked.upper()):
        if not ids.FULL_ID_RE.search(masked):
            # 18 characters but no valid birth date, so the text scan (E085) passed it by
            err(
                "E080",
                field,
                "身份证号码未脱敏且不是有效号码：应为前 10 位 + **** + 后 4 位；请核对号码后运行 `chenglai mask` 改写",
            )
        return  # a full number: already reported as E085 with the line, naming `chenglai mask`
    m = ids.MASKED_RE.match(masked)
    if not m:
        err(
            "E080", field, f"脱敏身份证号码 {masked!r} 格式不正确，应为前 10 位 + **** + 后 4 位，如 3705021985****1234"
        )
        return
    if kind == "resident" and ids.region_name(m["region"]) is None:
        err("E081", field, f"身份证号码地区码 {m['region']} 不在 GB/T 2260 行政区划代码（含历史代码）中")
    born = int(m["year"])
    if age is not None:
        expected = listed_year - born
        if abs(expected - age) > 1:
            err(
                "E082",
                "debtor.age",
                f"年龄 {age} 与出生年份 {born}、发布年份 {listed_year} 不符（应约为 {expected} 岁）",
            )
        elif expected < MIN_AGE <= age:
            err("E084", field, f"出生于 {born} 年，发布时未满 18 周岁：未成年人不得纳入失信被执行人名单")
    if gender is not None and kind != "foreign_permanent" and ids.gender(masked) != gender:
        err("E083", "debtor.gender", f"性别 {gender} 与身份证号码第 17 位（{masked[16]}，奇数为男、偶数为女）不符")


# What the rules across files compare of one record, as plain strings: (case text,
# debtor_seq, record id, court code, court); None when the case number does not parse
AcrossIds = tuple[str, int | None, str, str, str] | None


class AcrossEntry(NamedTuple):
    """One record as the rules across files see it: small plain values, so a record kept by
    content hash between builds (generator.read.view) is checked against the others without
    being parsed again."""

    path: str
    ids: AcrossIds
    case_line: int  # where its case number is written
    court_line: int  # where its court is written
    case_number: str  # the case number as written (named in the messages)
    listing_no: int | None = None  # art. 10 ¶3: 2, 3… for a re-listing
    listed_on: date | None = None
    removed_on: date | None = None  # None: not removed (status listed)
    person: str | None = None  # the debtor's name when a person
    legal_representative: str | None = None  # an organisation's (W111)
    listing_line: int = 1  # where listed_on is written


def across_entry(src: SourceRecord) -> AcrossEntry:
    r = src.record
    case = casenumber.parse(r.case_number)
    ids = None
    if case is not None:
        rid = casenumber.record_id(case, r.debtor_seq, r.listing_no)
        ids = (case.text, r.debtor_seq, rid, case.court_code, r.court)
    removed = r.removed_on if r.status == "removed" else None
    return AcrossEntry(
        src.path, ids, src.line("case_number"), src.line("court"), r.case_number,
        r.listing_no, r.listed_on, removed, r.debtor.name if r.debtor.kind == "person" else None,
        r.debtor.legal_representative, src.line("listed_on"),
    )  # fmt: skip


def _number(entry: AcrossEntry) -> int:
    return entry.listing_no or 1


def check_across(entries: Iterable[AcrossEntry]) -> list[RecordError]:
    """Rules between records: duplicates among records not removed, re-listings (art. 10 ¶3),
    one page address per record, one name per court code. The first record (in the order
    given) of a clash is the one the others are reported against."""
    out: list[RecordError] = []
    cases: dict[tuple[str, int | None], list[AcrossEntry]] = {}
    ids_seen: dict[str, AcrossEntry] = {}
    courts: dict[str, tuple[str, AcrossEntry]] = {}
    for entry in entries:
        if entry.ids is None:
            continue  # reported on its own (E020)
        text, debtor_seq, rid, court_code, court_name = entry.ids
        group = cases.setdefault((text, debtor_seq), [])
        clash = next((e for e in group if _number(e) == _number(entry)), None)
        group.append(entry)
        seq = "" if debtor_seq is None else f"（序号 {debtor_seq}）"
        if clash is not None and clash.removed_on is None and entry.removed_on is None:
            out.append(
                RecordError(
                    entry.path,
                    entry.case_line,
                    "E021",
                    "case_number",
                    f"与 {clash.path}:{clash.case_line} 重复：同一执行案号 {text}{seq}只能有一条在列记录；"
                    "重复录入的请删除多余的文件；前次纳入已删除、再次纳入的，前次记录应为 status: removed，"
                    "新记录填写 listing_no（《规定》第十条第三款）",
                )
            )
        elif clash is not None:
            # one of the two was removed: this is a re-listing (art. 10 ¶3) that must say so
            after = max(_number(e) for e in group)
            out.append(
                RecordError(
                    entry.path,
                    entry.case_line,
                    "E113",
                    "listing_no",
                    f"{clash.path}:{clash.case_line} 已有同一执行案号 {text}{seq}的记录且其中一条已删除："
                    f"再次纳入（《规定》第十条第三款）须填写 listing_no: {after + 1}，发布时间晚于前次删除日期",
                )
            )
        else:
            # different case numbers can still share a page address: 津 and 晋 are both "jin"
            other = ids_seen.setdefault(rid, entry)
            if other is not entry:
                out.append(
                    RecordError(
                        entry.path,
                        entry.case_line,
                        "E021",
                        "case_number",
                        f"与 {other.path}:{other.case_line}（{other.case_number}）"
                        f"得出相同的记录编号 {rid}，网页地址会冲突",
                    )
                )
        court = courts.setdefault(court_code, (court_name, entry))
        if court[0] != court_name:
            out.append(
                RecordError(
                    entry.path,
                    entry.court_line,
                    "E022",
                    "court",
                    f"法院代码 {court_code} 在 {court[1].path} 中对应“{court[0]}”，此处为“{court_name}”",
                )
            )
    for group in cases.values():
        if len(group) > 1:
            out.extend(_relisting(group))
    return out


def _relisting(group: list[AcrossEntry]) -> list[RecordError]:
    """E114: a re-listing comes after every earlier listing of the case and debtor was removed."""
    out: list[RecordError] = []
    for entry in group:
        if entry.listing_no is None or entry.listed_on is None:
            continue
        for earlier in group:
            if _number(earlier) >= _number(entry):
                continue
            if earlier.removed_on is None:
                message = (f"前次纳入的记录 {earlier.path} 仍在列：再次纳入须在前次记录删除之后"
                           "（《规定》第十条第三款）；请先删除前次记录")  # fmt: skip
            elif entry.listed_on <= earlier.removed_on:
                message = (f"再次纳入的发布时间 {entry.listed_on} 不晚于前次记录 {earlier.path} 的删除日期 "
                           f"{earlier.removed_on}（《规定》第十条第三款）：发布时间应在 {earlier.removed_on} 之后")  # fmt: skip
            else:
                continue
            out.append(RecordError(entry.path, entry.listing_line, "E114", "listed_on", message))
    return out


def warn_across(entries: Iterable[AcrossEntry]) -> list[RecordError]:
    """W111: an organisation's legal representative also listed as a person in the same case
    (法发〔2019〕35号: not for the unit's debt)."""
    by_case: dict[str, list[AcrossEntry]] = {}
    for entry in entries:
        if entry.ids is not None:
            by_case.setdefault(entry.ids[0], []).append(entry)
    out: list[RecordError] = []
    for group in by_case.values():
        reps = {same_key(e.legal_representative): e for e in group if e.legal_representative}
        for entry in group:
            org = reps.get(same_key(entry.person)) if entry.person else None
            if org is not None:
                out.append(
                    RecordError(
                        entry.path,
                        entry.case_line,
                        "W111",
                        "debtor.name",
                        f"被执行人 {entry.person} 是同案单位被执行人（{org.path}）的法定代表人或负责人："
                        "单位是被执行人的，不得因单位的债务将其法定代表人、负责人纳入失信名单"
                        "（法发〔2019〕35号）；请核对其本人是否另有失信情形",
                    )
                )
    return out


def same_key(name: str | None) -> str:
    """A person's name without a role in brackets: what same_person compares."""
    return _ROLE.sub("", (name or "").strip())


def four_eyes(v: Any, drafts_ok: bool, err: Any, draft: tuple[str, str], same: tuple[str, str]) -> None:
    """The second person's vetting, for records and the other kinds alike: a draft has neither
    vetted_by nor vetted_on (`draft`: its code and message, unless drafts are allowed); one without
    the other is a slip (E011); the vetter may not be the clerk who entered it (`same`: code, tail)."""
    if v.vetted_by is None and v.vetted_on is None:
        if not drafts_ok:
            err(draft[0], "vetting", draft[1])
    elif v.vetted_on is None:
        err("E011", "vetting.vetted_on", "已填写审核人 vetted_by 但缺少审核日期 vetted_on", "vetting.vetted_by")
    elif v.vetted_by is None:
        err("E011", "vetting.vetted_by", "已填写审核日期 vetted_on 但缺少审核人 vetted_by", "vetting.vetted_on")
    elif same_person(v.vetted_by, v.entered_by):
        err(same[0], "vetting.vetted_by", f"审核人 {v.vetted_by} 与录入人 {v.entered_by} 是同一人：{same[1]}")
