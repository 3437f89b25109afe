"""Open data under /data/: debtors.csv, debtors.json, schema.json and daily change files.

The bulk files hold organisations only unless PORTAL_DATA_PERSONS (`bulk_records`, PIPL art. 6);
the site's /data/ page states the 数据使用条款 they are given under (PORTAL_DATA_LICENSE).

One table, FIELDS, names every published field once: its JSON key, its CSV header (the
import headers of SPEC §5.1 where they overlap), its JSON Schema. Only PublicRecord fields
are listed, so staff names, source paths and file digests cannot reach a data file.

Change files: `/data/changes/YYYY-MM-DD.json` (date = as_of) lists the records added,
modified and deleted since the last build of an EARLIER day, compared by a digest of the
published fields (an edit to a non-public field such as vetting is no change). Each build
records for the next one (RenderContext.recorded["exports"], never a file of the output) the
data manifest: the digests now, the digests the day started from (so a second build on the
same day recomputes the whole day rather than its last edit), and the operations (op + id) of
each day of the last PORTAL_CHANGES_DAYS days. Every build
regenerates every day's file from those operations and TODAY's records: an ADD/MOD carries
the record as published now, and one whose record is no longer public is left out (its DEL
says so). Republishing the stored old files instead would keep, for up to 90 days, the name
of someone removed as wrongly listed, or a name since corrected.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from generator.domain.policy import PublicRecord, PublicView, newest_first
from generator.domain.records import GROUNDS, ID_KINDS, KINDS, PERFORMANCE, REMOVAL_REASONS
from generator.domain.rules import FORMULA_START
from generator.errors import BuildError
from generator.render import datapage
from generator.render.outputs import Lazy, OutputFile, RenderContext, Single
from generator.render.siteurls import setting, site_url, terms_url

_PLAIN_ID = re.compile(r"[0-9a-z-]+")  # a record id (casenumber.record_id): JSON text as it is
MANIFEST_FORMAT = 1
GROUND_SEPARATOR = "；"  # the import accepts it too (SPEC §5.1)

Value = Callable[[PublicRecord, dict[str, Any]], Any]


def _opt(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema, also allowing null."""
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


_TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
_DATE: dict[str, Any] = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


@dataclass(frozen=True)
class Field:
    key: str  # JSON key, English
    header: str  # CSV header, Chinese
    description: str
    schema: dict[str, Any]
    value: Value  # the JSON value


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


FIELDS: tuple[Field, ...] = (
    Field("id", "记录编号", "记录编号，由执行案号生成，网址与订阅条目标识都用它",
          {"type": "string", "pattern": r"^\d{4}-[a-z0-9]+(-[a-z0-9]+)+$"}, lambda r, s: r.id),
    Field("case_number", "执行案号", "执行案号（括号与数字已统一为全角括号、半角数字）", _TEXT,
          lambda r, s: r.case_number),
    Field("debtor_seq", "被执行人序号", "同一案件有多名被执行人时的序号", _opt({"type": "integer", "minimum": 1}),
          lambda r, s: r.debtor_seq),
    Field("court", "执行法院", "执行法院", _TEXT, lambda r, s: r.court),
    Field("region_code", "地区代码", "执行法院所在行政区划代码（GB/T 2260）",
          {"type": "string", "pattern": r"^\d{6}$"}, lambda r, s: r.region_code),
    Field("region_name", "地区名称", "行政区划名称", _TEXT, lambda r, s: r.region_name),
    Field("filed_on", "立案时间", "立案时间", _DATE, lambda r, s: _iso(r.filed_on)),
    Field("basis_issuer", "作出执行依据单位", "作出执行依据单位", _TEXT, lambda r, s: r.basis_issuer),
    Field("basis_document", "执行依据文号", "执行依据文号", _TEXT, lambda r, s: r.basis_document),
    Field("kind", "被执行人类型", "person 自然人 | organization 法人或其他组织（CSV 中为中文）",
          {"type": "string", "enum": list(KINDS)}, lambda r, s: r.kind),
    Field("name", "被执行人姓名/名称", "被执行人姓名或名称", _TEXT, lambda r, s: r.name),
    Field("id_kind", "证件类型", "自然人的证件类型：resident 居民身份证、hk_macao_permit 港澳居民居住证、"
          "taiwan_permit 台湾居民居住证、foreign_permanent 外国人永久居留身份证、passport 护照（CSV 中为中文）",
          _opt({"type": "string", "enum": list(ID_KINDS)}),
          lambda r, s: None if r.kind != "person" else (r.id_kind or "resident")),
    Field("id_masked", "证件号码", "自然人的证件号码，已脱敏：18 位号码为前 10 位、****、后 4 位；"
          "2017 年版外国人永久居留证为前 7 位、****、后 4 位；护照为前 2 位、****、后 2 位",
          _opt({"type": "string", "pattern": r"^(\d{10}\*{4}\d{3}[\dX]|[A-Z]{3}\d{4}\*{4}\d{4}|[A-Z0-9]{2}\*{4}[A-Z0-9]{2})$"}),
          lambda r, s: r.id_masked),
    Field("gender", "性别", "自然人的性别", _opt({"type": "string", "enum": ["男", "女"]}), lambda r, s: r.gender),
    Field("age", "年龄", "自然人在发布时间的周岁年龄", _opt({"type": "integer", "minimum": 18}), lambda r, s: r.age),
    Field("uscc", "统一社会信用代码", "组织的统一社会信用代码（GB 32100）",
          _opt({"type": "string", "pattern": r"^[0-9A-Z]{18}$"}), lambda r, s: r.uscc),
    Field("org_code", "组织机构代码", "没有统一社会信用代码的组织的组织机构代码（GB 11714）",
          _opt({"type": "string", "pattern": r"^[0-9A-Z]{8}-[0-9X]$"}), lambda r, s: r.org_code),
    Field("legal_representative", "法定代表人或负责人", "组织的法定代表人或负责人", _opt(_TEXT),
          lambda r, s: r.legal_representative),
    Field("obligation", "生效法律文书确定的义务", "生效法律文书确定的义务", _TEXT, lambda r, s: r.obligation),
    Field("performance", "履行情况", "被执行人的履行情况", {"type": "string", "enum": list(PERFORMANCE)},
          lambda r, s: r.performance),
    Field("outstanding", "未履行金额", "未履行金额（人民币元），两位小数的十进制字符串，避免浮点误差",
          _opt({"type": "string", "pattern": r"^\d+\.\d{2}$"}),
          lambda r, s: None if r.outstanding is None else f"{r.outstanding:.2f}"),
    Field("grounds", "失信情形", "失信情形代码（CSV 中为中文表述，以“；”分隔）",
          {"type": "array", "items": {"enum": list(GROUNDS)}, "minItems": 1, "uniqueItems": True},
          lambda r, s: list(r.grounds)),
    Field("listed_on", "发布时间", "纳入名单并发布的日期", _DATE, lambda r, s: _iso(r.listed_on)),
    Field("term_years", "期限（年）", "失信期限（年）；仅因“有履行能力而拒不履行”纳入的为空",
          _opt({"type": "integer", "minimum": 1, "maximum": 5}), lambda r, s: r.term_years),
    Field("term_ends_on", "期限届满日", "期限的最后一日（民法典第二百零二条：对应日；次日起不再公布）", _opt(_DATE),
          lambda r, s: _iso(r.term_ends_on)),
    Field("url", "网址", "本记录详情页网址", _TEXT, lambda r, s: site_url(s, r.url)),
)  # fmt: skip


def published(r: PublicRecord, settings: dict[str, Any]) -> dict[str, Any]:
    """The published form of one record: JSON values keyed by English field name."""
    return {f.key: f.value(r, settings) for f in FIELDS}


def digest(item: dict[str, Any]) -> str:
    """Content hash of a published record; what changes files compare."""
    return hashlib.sha256(_dumps_sorted(item)).hexdigest()[:24]


# Columns that hold numbers (an int, or the amount as its decimal text "120000.00"): written as
# they are, never as text with a leading ' — a spreadsheet must still read them as numbers
_NUMBERS = frozenset({"debtor_seq", "age", "outstanding", "term_years"})


def csv_cell(key: str, value: Any) -> str:
    """A JSON value as its CSV text: Chinese for kind and grounds, empty for null. Text that
    begins with = + - @, a tab or a carriage return gets a leading ' (OWASP CSV injection):
    Excel and WPS would run it as a formula (=HYPERLINK(…) in an obligation); numbers stay numbers."""
    if value is None:
        return ""
    if key == "kind":
        text = KINDS[value]
    elif key == "id_kind":
        text = ID_KINDS.get(value, value)
    elif key == "grounds":
        text = GROUND_SEPARATOR.join(GROUNDS[g] for g in value)
    else:
        text = str(value)
        if key in _NUMBERS or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return text
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


def csv_row(item: dict[str, Any]) -> str:
    """One record's line of debtors.csv (a quoted value may hold line breaks)."""
    return _csv_line([csv_cell(f.key, item[f.key]) for f in FIELDS])


def debtors_csv(items: list[dict[str, Any]], rows: list[bytes] | None = None) -> bytes:
    """The CSV file; `rows` (csv_row of each item, UTF-8) when already made."""
    lines = rows if rows is not None else [csv_row(item).encode("utf-8") for item in items]
    # the BOM makes Excel read UTF-8; joined as bytes: no 100 MB string at 100,000 records
    # one join: each concatenation of the 75 MB result would copy it again
    return b"".join([codecs.BOM_UTF8 + _csv_line([f.header for f in FIELDS]).encode("utf-8"), *lines])


def _dumps_sorted(value: Any) -> bytes:
    """Keys sorted, compact: what a record's change digest is taken of."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(",", ":"))


def json_document(head: dict[str, Any], key: str, items: list[Any], texts: list[bytes] | None = None) -> bytes:
    """`head` plus a list under `key`, one list item per line: diffable, still compact.
    `texts`: the items already serialised (_dumps, UTF-8)."""
    lines = texts if texts is not None else [_dumps(i).encode("utf-8") for i in items]
    start = (_dumps(head)[:-1] + ("," if head else "") + f'"{key}":[').encode("utf-8")
    if not lines:
        return start + b"]}\n"
    # one join: each concatenation of the 75 MB result would copy it again
    body = list(lines)
    body[0] = start + b"\n" + body[0]
    body[-1] = body[-1] + b"\n]}\n"
    return b",\n".join(body)


def schema(settings: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema (2020-12) of debtors.json; $defs also describe change files."""
    record = {
        "type": "object",
        "title": "失信被执行人名单信息（公开字段）",
        "properties": {f.key: {"title": f.header, "description": f.description, **f.schema} for f in FIELDS},
        "required": [f.key for f in FIELDS],
        "additionalProperties": False,
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": "person"}}},
                "then": {"properties": {"id_masked": {"type": "string"}, "gender": {"type": "string"},
                                        "age": {"type": "integer"}, "uscc": {"type": "null"}}},
                "else": {"properties": {"id_masked": {"type": "null"}, "id_kind": {"type": "null"},
                                        "gender": {"type": "null"}, "age": {"type": "null"}}},
            }
        ],
    }  # fmt: skip
    change = {
        "type": "object",
        "required": ["op", "id"],
        "properties": {
            "op": {"enum": ["ADD", "MOD", "DEL"], "description": "ADD 新增 · MOD 修改 · DEL 删除（应立即停止使用）"},
            "id": {"type": "string"},
            "record": {"$ref": "#/$defs/record"},
            "removed_on": _DATE,
            "reason": {"enum": list(REMOVAL_REASONS), "description": "删除原因代码（有删除公告时）"},
        },
        "additionalProperties": False,
        "allOf": [
            {"if": {"properties": {"op": {"enum": ["ADD", "MOD"]}}}, "then": {"required": ["record"]},
             "else": {"not": {"required": ["record"]}}},
        ],
    }  # fmt: skip
    counts = {"type": "object", "properties": {op: {"type": "integer", "minimum": 0} for op in ("ADD", "MOD", "DEL")}}
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "失信被执行人名单开放数据 debtors.json",
        "description": "字段说明见数据说明页 /data/；变更文件 /data/changes/YYYY-MM-DD.json 按 #/$defs/changes_file 校验。"
        "debtors.csv 中以 =、+、-、@、制表符或回车开头的文字单元格，前面加一个英文单引号 '，"
        "以免电子表格软件把它当作公式执行（CSV 注入）；数值列（序号、年龄、金额、期限）不加。"
        "本 JSON 文件中的值原样提供，不加单引号",
        "type": "object",
        "required": ["as_of", "count", "demo", "license", "license_url", "records"],
        "additionalProperties": False,
        "properties": {
            "as_of": {**_DATE, "description": "数据日期（北京时间）"},
            "count": {"type": "integer", "minimum": 0},
            "demo": {"type": "boolean", "description": "true 表示演示数据，纯属虚构"},
            "license": {"type": "string"},
            "license_url": {"type": "string"},
            "records": {
                "type": "array",
                "items": {"$ref": "#/$defs/record"},
                "description": "当天公开的记录；默认只含法人或其他组织（见数据说明页）",
            },
        },
        "$defs": {
            "record": record,
            "change": change,
            "changes_file": {
                "type": "object",
                "required": ["date", "since", "counts", "changes"],
                "additionalProperties": False,
                "properties": {
                    "date": _DATE,
                    "since": {**_opt(_DATE), "description": "比较基准：此前最近一次构建的数据日期；null 表示首次构建"},
                    "counts": counts,
                    "changes": {"type": "array", "items": {"$ref": "#/$defs/change"}},
                },
            },
        },
    }
    base = str(settings.get("SITEURL") or "")
    if base.startswith(("http://", "https://")):
        out = {"$id": site_url(settings, "data/schema.json"), **out}
    return out


@dataclass(frozen=True)
class Day:
    """One day's operations: what its change file lists, without the records."""

    since: date | None  # the data date the day's changes are counted from; None: first build
    ops: list[dict[str, Any]]  # {"op", "id"} (+ "removed_on", "reason" for a DEL with notice)


@dataclass(frozen=True)
class Manifest:
    as_of: date
    base_as_of: date | None  # the date of the build the day's changes are counted from
    base: dict[str, str]  # id → digest at the start of as_of
    digests: dict[str, str]  # id → digest after this build
    days: dict[date, Day]  # the change-file window

    def to_value(self) -> dict[str, Any]:
        """What the build keeps for the next one: plain values only (no class of this module),
        so a value kept by an older build still reads."""
        return {
            "format": MANIFEST_FORMAT,
            "as_of": self.as_of.isoformat(),
            "base_as_of": _iso(self.base_as_of),
            "base": self.base,
            "digests": self.digests,
            "days": {d.isoformat(): {"since": _iso(v.since), "ops": v.ops} for d, v in self.days.items()},
        }


def read_manifest(raw: Any) -> Manifest | None:
    """The manifest the live build recorded (Manifest.to_value); None on a first build;
    BuildError when it cannot be read."""
    if raw is None:
        return None
    try:
        if raw.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"未知格式 {raw.get('format')!r}")
        return Manifest(
            as_of=date.fromisoformat(raw["as_of"]),
            base_as_of=date.fromisoformat(raw["base_as_of"]) if raw["base_as_of"] else None,
            base={str(k): str(v) for k, v in raw["base"].items()},
            digests={str(k): str(v) for k, v in raw["digests"].items()},
            days={
                date.fromisoformat(d): Day(date.fromisoformat(v["since"]) if v["since"] else None, list(v["ops"]))
                for d, v in raw["days"].items()
            },
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Starting over silently would publish a change file without the day's DELs
        raise BuildError(
            f"上次构建记录的数据清单（开放数据的变更历史）无法读取（{exc}）。若确需重新开始，请删除输出目录旁的"
            "状态库 state.sqlite3 后再构建：当天的变更文件将把全部记录列为 ADD，且不含此前的删除（DEL）。"
        ) from exc


def operations(view: PublicView, digests: dict[str, str], base: dict[str, str]) -> list[dict[str, Any]]:
    """ADD / MOD / DEL of the records now (`digests`) against `base`, sorted by id."""
    notices = {n.id: n for n in view.notices}
    out: list[dict[str, Any]] = []
    for rid in sorted(set(base) | set(digests)):
        if rid not in digests:
            op: dict[str, Any] = {"op": "DEL", "id": rid}
            if (n := notices.get(rid)) is not None:
                op |= {"removed_on": n.removed_on.isoformat(), "reason": n.reason}
            out.append(op)
        elif rid not in base:
            out.append({"op": "ADD", "id": rid})
        elif base[rid] != digests[rid]:
            out.append({"op": "MOD", "id": rid})
    return out


def changes_file(day: date, entry: Day, items: dict[str, bytes]) -> tuple[bytes, dict[str, int]]:
    """A day's change file from its operations and the records published now (id → the
    record serialised by _dumps, UTF-8)."""
    texts, ops = [], []
    for op in entry.ops:
        kind, rid = op["op"], op["id"]
        if kind == "DEL":
            texts.append(_dumps(op).encode("utf-8"))
        elif (item := items.get(rid)) is not None:  # no longer public: left out, a later DEL says it is gone
            # _dumps({**op, "record": item}), from the item's text (a plain id needs no JSON escaping:
            # 78,000 json.dumps calls less for a first day's file)
            if len(op) == 2 and _PLAIN_ID.fullmatch(rid):
                texts.append(b'{"op":"%s","id":"%s","record":%s}' % (kind.encode(), rid.encode(), item))
            else:
                start = f'{{"op":"{kind}","id":{_dumps(rid)}' if len(op) == 2 else _dumps(op)[:-1]
                texts.append(start.encode("utf-8") + b',"record":' + item + b"}")
        else:
            continue
        ops.append(kind)
    counts = {name: ops.count(name) for name in ("ADD", "MOD", "DEL")}
    head = {"date": day.isoformat(), "since": _iso(entry.since), "counts": counts}
    return json_document(head, "changes", [], texts), counts


Row = tuple[bytes, bytes, str]  # CSV line, JSON text (UTF-8), change digest
NAME = "exports"  # the renderer's name: its key in RenderContext.previous and .recorded
ROWS = "exports.row"  # the memo of `row`, by record id


def row(r: PublicRecord, settings: dict[str, Any]) -> Row:
    """One record's CSV line, JSON text and change digest."""
    item = published(r, settings)
    return csv_row(item).encode("utf-8"), _dumps(item).encode("utf-8"), digest(item)


def _rows(ctx: RenderContext, records: list[PublicRecord]) -> list[Row]:
    """`row` of each record: memoised by the record (the settings are in ctx.digest)."""
    memo, settings = ctx.memo(ROWS), ctx.settings
    return [memo.get_or_make(r.id, ctx.digest(r), functools.partial(row, r, settings)) for r in records]


def _data_head(view: PublicView, s: dict[str, Any], count: int) -> dict[str, Any]:
    return {
        "as_of": view.as_of.isoformat(),
        "count": count,
        "demo": bool(setting(s, "PORTAL_DEMO")),
        "license": setting(s, "PORTAL_DATA_LICENSE"),
        "license_url": terms_url(s),
    }


def _schema_file(s: dict[str, Any]) -> OutputFile:
    return OutputFile("data/schema.json", (json.dumps(schema(s), ensure_ascii=False, indent=2) + "\n").encode())


def _index_file(view: PublicView, s: dict[str, Any], counts: dict[date, dict[str, int]]) -> OutputFile:
    index = [{"date": day.isoformat(), "url": site_url(s, f"data/changes/{day.isoformat()}.json"),
              "counts": counts[day]} for day in sorted(counts, reverse=True)]  # fmt: skip
    return OutputFile("data/changes/index.json", json_document({"as_of": view.as_of.isoformat()}, "files", index))


def bulk_records(view: PublicView, settings: dict[str, Any]) -> list[PublicRecord]:
    """The records of the bulk files: organisations only, unless PORTAL_DATA_PERSONS (PIPL art. 6:
    a whole list of named persons in one download is more than the listing's purpose needs; each
    person stays on the site, one page and one search at a time). A person left out is no
    change: the change files never list one (a DEL when the setting is turned off)."""
    if setting(settings, "PORTAL_DATA_PERSONS"):
        return list(view.public)
    return [r for r in view.public if r.kind != "person"]


def render(ctx: RenderContext) -> Iterator[OutputFile | Lazy]:
    """Every /data/ file, then /data/index.html listing them (their sizes: datapage)."""
    files = list(_files(ctx))
    yield from files
    yield datapage.page(ctx, files)


def _files(ctx: RenderContext) -> Iterator[OutputFile]:
    """Every /data/ file; records the data manifest for the next build (ctx.recorded[NAME]),
    from the one the live build recorded (ctx.previous[NAME])."""
    view, s = ctx.view, ctx.settings
    prev = read_manifest(ctx.previous.get(NAME))
    records = sorted(bulk_records(view, s), key=newest_first)
    rows = _rows(ctx, records)
    ids = [r.id for r in records]
    csv_rows, json_texts = [r[0] for r in rows], [r[1] for r in rows]
    by_id = dict(zip(ids, json_texts, strict=True))
    digests = dict(zip(ids, [r[2] for r in rows], strict=True))
    if prev is None:
        base, since = {}, None
    elif prev.as_of == view.as_of:  # a second build today: count from where the day started
        base, since = prev.base, prev.base_as_of
    else:
        base, since = prev.digests, prev.as_of
    oldest = view.as_of - timedelta(days=int(setting(s, "PORTAL_CHANGES_DAYS")))
    days = {d: v for d, v in (prev.days if prev else {}).items() if oldest < d < view.as_of}
    days[view.as_of] = Day(since, operations(view, digests, base))
    ctx.recorded[NAME] = Manifest(view.as_of, since, base, digests, days).to_value()

    yield OutputFile("data/debtors.csv", debtors_csv([], csv_rows))
    yield OutputFile("data/debtors.json", json_document(_data_head(view, s, len(rows)), "records", [], json_texts))
    yield _schema_file(s)
    counts = {}
    for day in sorted(days, reverse=True):
        data, counts[day] = changes_file(day, days[day], by_id)
        yield OutputFile(f"data/changes/{day.isoformat()}.json", data)
    yield _index_file(view, s, counts)


# Single: it sets ctx.recorded, which only the build's own process may do
RENDERER = Single(NAME, render)
