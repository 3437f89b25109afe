"""Open data under /data/: debtors.csv, debtors.json, schema.json and daily change files.

One table, FIELDS, names every published field once: its JSON key, its CSV header (the
import headers of SPEC §5.1 where they overlap), its JSON Schema. Only PublicRecord fields
are listed, so staff names, source paths and file digests cannot reach a data file.

Change files: `/data/changes/YYYY-MM-DD.json` (date = as_of) lists the records added,
modified and deleted since the last build of an EARLIER day, compared by a digest of the
published fields (an edit to a non-public field such as vetting is no change). The state
folder keeps `data-manifest.json`: the digests now, the digests the day started from (so a
second build on the same day recomputes the whole day rather than its last edit), and the
operations (op + id) of each day of the last PORTAL_CHANGES_DAYS days. Every build
regenerates every day's file from those operations and TODAY's records: an ADD/MOD carries
the record as published now, and one whose record is no longer public is left out (its DEL
says so). Republishing the stored old files instead would keep, for up to 90 days, the name
of someone removed as wrongly listed, or a name since corrected.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import Any

from generator.domain.policy import PublicRecord, PublicView, newest_first
from generator.domain.records import GROUNDS, KINDS, PERFORMANCE, REMOVAL_REASONS
from generator.errors import BuildError
from generator.render import datasplice
from generator.render.outputs import Delta, OutputFile, RenderContext
from generator.render.siteurls import setting, site_url

_PLAIN_ID = re.compile(r"[0-9a-z-]+")  # a record id (casenumber.record_id): JSON text as it is
MANIFEST = "data-manifest.json"
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
    Field("id_masked", "证件号码", "自然人的公民身份号码，已脱敏：前 10 位、****、后 4 位",
          _opt({"type": "string", "pattern": r"^\d{10}\*{4}\d{3}[\dX]$"}), lambda r, s: r.id_masked),
    Field("gender", "性别", "自然人的性别", _opt({"type": "string", "enum": ["男", "女"]}), lambda r, s: r.gender),
    Field("age", "年龄", "自然人在发布时间的周岁年龄", _opt({"type": "integer", "minimum": 18}), lambda r, s: r.age),
    Field("uscc", "统一社会信用代码", "组织的统一社会信用代码（GB 32100）",
          _opt({"type": "string", "pattern": r"^[0-9A-Z]{18}$"}), lambda r, s: r.uscc),
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
    Field("term_ends_on", "期限届满日", "期限届满、自动删除的日期（当天起不再公布）", _opt(_DATE),
          lambda r, s: _iso(r.term_ends_on)),
    Field("url", "网址", "本记录详情页网址", _TEXT, lambda r, s: site_url(s, r.url)),
)  # fmt: skip


def published(r: PublicRecord, settings: dict[str, Any]) -> dict[str, Any]:
    """The published form of one record: JSON values keyed by English field name."""
    return {f.key: f.value(r, settings) for f in FIELDS}


def digest(item: dict[str, Any]) -> str:
    """Content hash of a published record; what changes files compare."""
    return hashlib.sha256(datasplice.dumps_sorted(item)).hexdigest()[:24]


def csv_cell(key: str, value: Any) -> str:
    """A JSON value as its CSV text: Chinese for kind and grounds, empty for null."""
    if value is None:
        return ""
    if key == "kind":
        return KINDS[value]
    if key == "grounds":
        return GROUND_SEPARATOR.join(GROUNDS[g] for g in value)
    return str(value)


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
                "else": {"properties": {"uscc": {"type": "string"}, "id_masked": {"type": "null"},
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
        "description": "字段说明见数据说明页 /data/；变更文件 /data/changes/YYYY-MM-DD.json 按 #/$defs/changes_file 校验",
        "type": "object",
        "required": ["as_of", "count", "demo", "license", "license_url", "records"],
        "additionalProperties": False,
        "properties": {
            "as_of": {**_DATE, "description": "数据日期（北京时间）"},
            "count": {"type": "integer", "minimum": 0},
            "demo": {"type": "boolean", "description": "true 表示演示数据，纯属虚构"},
            "license": {"type": "string"},
            "license_url": {"type": "string"},
            "records": {"type": "array", "items": {"$ref": "#/$defs/record"}},
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

    def to_bytes(self) -> bytes:
        data = {
            "format": MANIFEST_FORMAT,
            "as_of": self.as_of.isoformat(),
            "base_as_of": _iso(self.base_as_of),
            "base": self.base,
            "digests": self.digests,
            "days": {d.isoformat(): {"since": _iso(v.since), "ops": v.ops} for d, v in self.days.items()},
        }
        return datasplice.dumps_sorted(data) + b"\n"


def read_manifest(state: Path | None) -> Manifest | None:
    """The previous build's manifest; None on a first build; BuildError when unreadable."""
    if state is None or not (state / MANIFEST).is_file():
        return None
    path = state / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
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
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # Starting over silently would publish a change file without the day's DELs
        raise BuildError(
            f"数据清单 {path} 无法读取（{exc}）。若确需重新开始，请删除该文件后再构建："
            "当天的变更文件将把全部记录列为 ADD，且不含此前的删除（DEL）。"
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


MEMO = "exports"  # RenderContext.memo: record id → (record digest, (CSV line, JSON text (UTF-8), digest))
CSV_HEAD = codecs.BOM_UTF8 + _csv_line([f.header for f in FIELDS]).encode("utf-8")
Rows = tuple[bytes, bytes, str]  # CSV line, JSON text, change digest


def _row(r: PublicRecord, settings: dict[str, Any]) -> Rows:
    item = published(r, settings)
    return csv_row(item).encode("utf-8"), _dumps(item).encode("utf-8"), digest(item)


def _rows(ctx: RenderContext, records: list[PublicRecord]) -> list[Rows]:
    """Each record's CSV line, JSON text and change digest; an unchanged record's come from the
    previous build (ctx.memo), as the same function of the same record gave them."""
    memo, kept = ctx.memo.get(MEMO, {}), {}
    out = []
    for r in records:
        known = memo.get(r.id)
        if known is not None and known[0] == r.digest:
            row = known[1]
        else:
            row = _row(r, ctx.settings)
        kept[r.id] = (r.digest, row)
        out.append(row)
    ctx.memo[MEMO] = kept  # today's records only
    return out


def _json_start(head: dict[str, Any], key: str) -> bytes:
    """json_document's text before the first list item."""
    return (_dumps(head)[:-1] + ("," if head else "") + f'"{key}":[').encode("utf-8")


def _data_head(view: PublicView, s: dict[str, Any], count: int) -> dict[str, Any]:
    return {
        "as_of": view.as_of.isoformat(),
        "count": count,
        "demo": bool(setting(s, "PORTAL_DEMO")),
        "license": setting(s, "PORTAL_DATA_LICENSE"),
        "license_url": setting(s, "PORTAL_DATA_LICENSE_URL"),
    }


def _schema_file(s: dict[str, Any]) -> OutputFile:
    return OutputFile("data/schema.json", (json.dumps(schema(s), ensure_ascii=False, indent=2) + "\n").encode())


def _index_file(view: PublicView, s: dict[str, Any], counts: dict[date, dict[str, int]]) -> OutputFile:
    index = [{"date": day.isoformat(), "url": site_url(s, f"data/changes/{day.isoformat()}.json"),
              "counts": counts[day]} for day in sorted(counts, reverse=True)]  # fmt: skip
    return OutputFile("data/changes/index.json", json_document({"as_of": view.as_of.isoformat()}, "files", index))


def _writer(ctx: RenderContext) -> Any:
    """The build's PortalWriter (None in a plain Pelican run with another writer)."""
    from generator.build.writer import PortalWriter
    from generator.read.plan import PLAN_KEY

    writer = getattr(ctx.settings.get(PLAN_KEY), "writer", None)
    return writer if isinstance(writer, PortalWriter) else None


# how the last render made its files: "updated" (from the live files), or "computed" (and why)
last_render = ""


def render(ctx: RenderContext) -> Iterator[OutputFile]:
    """/data/ files, plus the manifest the next build compares against (a state file). On an
    incremental build they are the live files with the changed records' rows replaced
    (generator.render.datasplice), when the live files are as this renderer left them."""
    global last_render
    writer = _writer(ctx)
    made: tuple[Iterator[OutputFile], datasplice.Layout] | None = None
    last_render = "computed"
    if ctx.delta is not None and writer is not None:
        try:
            made = _update(ctx, ctx.delta, writer)
            last_render = "updated"
        except datasplice.Stale as exc:
            last_render = f"computed: {exc}"
    files, layout = made if made is not None else _compute(ctx)
    for f in files:
        yield f
        if f.state:
            layout.manifest = datasplice.sha(f.data)
        elif writer is not None and f.path in layout.files:
            entry = writer.entries.get(f.path)
            if entry is None:
                layout.files.clear()  # no entry: the next build cannot tell the file is this one
                writer = None
            else:
                layout.files[f.path] = (entry[0], entry[1])  # (not the mtime: a full build's memo is the same)
    if writer is None or not layout.manifest:
        ctx.memo.pop(datasplice.LAYOUT, None)
    else:
        ctx.memo[datasplice.LAYOUT] = {"": (view_date(ctx), layout)}


def view_date(ctx: RenderContext) -> str:
    return ctx.view.as_of.isoformat()


def _compute(ctx: RenderContext) -> tuple[Iterator[OutputFile], datasplice.Layout]:
    """Every file from every record (and the layout of the two debtors files)."""
    view, s = ctx.view, ctx.settings
    records = sorted(view.public, key=newest_first)
    rows = _rows(ctx, records)
    ids = [r.id for r in records]
    csv_rows, json_texts = [row[0] for row in rows], [row[1] for row in rows]
    start = _json_start(_data_head(view, s, len(rows)), "records")
    id_text, id_len = datasplice.id_lines(ids)
    layout = datasplice.Layout(
        as_of=view.as_of,
        ids=id_text,
        id_len=id_len,
        keys=array("l", [-r.listed_on.toordinal() for r in records]),
        csv=array("q", map(len, csv_rows)),
        json=array("q", map(len, json_texts)),
        csv_start=len(CSV_HEAD),
        json_start=len(start) + 1,
        days=(),
    )
    by_id = dict(zip(ids, json_texts, strict=True))
    digests = dict(zip(ids, [row[2] for row in rows], strict=True))
    prev = read_manifest(ctx.state)
    if prev is None:
        base, since = {}, None
    elif prev.as_of == view.as_of:  # a second build today: count from where the day started
        base, since = prev.base, prev.base_as_of
    else:
        base, since = prev.digests, prev.as_of
    oldest = view.as_of - timedelta(days=int(setting(s, "PORTAL_CHANGES_DAYS")))
    days = {d: v for d, v in (prev.days if prev else {}).items() if oldest < d < view.as_of}
    days[view.as_of] = Day(since, operations(view, digests, base))
    layout.days = tuple(sorted(days, reverse=True))
    layout.files = dict.fromkeys(["data/debtors.csv", "data/debtors.json",
                                  *(f"data/changes/{d.isoformat()}.json" for d in layout.days)], ("", 0))  # fmt: skip

    def files() -> Iterator[OutputFile]:
        yield OutputFile("data/debtors.csv", debtors_csv([], csv_rows))
        yield OutputFile("data/debtors.json", json_document(_data_head(view, s, len(rows)), "records", [], json_texts))
        yield _schema_file(s)
        counts = {}
        for day in layout.days:
            data, counts[day] = changes_file(day, days[day], by_id)
            yield OutputFile(f"data/changes/{day.isoformat()}.json", data)
        yield _index_file(view, s, counts)
        yield OutputFile(MANIFEST, Manifest(view.as_of, since, base, digests, days).to_bytes(), state=True)

    return files(), layout


def _counts_head(data: bytes) -> tuple[dict[str, Any], int]:
    """A change file's head (date, since, counts) and where its list's text begins."""
    end = data.find(b',"changes":[')
    if end < 0:
        raise datasplice.Stale("change file head")
    head = json.loads(data[:end] + b"}")
    return head, end + len(b',"changes":[')


def _today_op(op: dict[str, Any]) -> dict[str, Any]:
    """An operation of today read back from the manifest, in the order `operations` made it (the
    order its line in today's change file has)."""
    return {"op": op["op"], "id": op["id"], **{k: op[k] for k in ("removed_on", "reason") if k in op}}


def _op_line(op: dict[str, Any], json_text: bytes | None) -> bytes | None:
    """A change file's line of `op` (changes_file), None when its record is not public."""
    if op["op"] == "DEL":
        return _dumps(op).encode("utf-8")
    if json_text is None:
        return None
    return b'{"op":"%s","id":"%s","record":%s}' % (op["op"].encode(), op["id"].encode(), json_text)


def _records(view: PublicView, wanted: frozenset[str], keys: dict[str, int]) -> dict[str, PublicRecord]:
    """The public records of `wanted`: found by their sort key in view.public (sorted so by
    policy) when it is the one they had (`keys`), else looked for in all of it."""
    public, out = view.public, {}
    for rid in wanted:
        i = bisect_left(public, (keys.get(rid, 0), rid), key=newest_first) if rid in keys else len(public)
        if i == len(public) or public[i].id != rid:
            break
        out[rid] = public[i]
    else:
        return out
    # (at C speed: a loop over 100,000 records costs more than all the rest)
    ids_now = map(attrgetter("id"), public)
    return {r.id: r for r in compress(public, map(wanted.__contains__, ids_now))}


def _update(ctx: RenderContext, delta: Delta, writer: Any) -> tuple[Iterator[OutputFile], datasplice.Layout]:
    """The files of `_compute`, from the live ones and the records in `delta` (datasplice);
    Stale when the live files are not the ones the layout describes, or it cannot tell."""
    from generator.render.datasplice import (
        Stale,
        add_edit,
        change_lines,
        dumps_sorted,
        object_entries,
        op_entries,
        rejoin,
    )

    view, s = ctx.view, ctx.settings
    entry = ctx.memo.get(datasplice.LAYOUT, {}).get("")
    rows_memo = ctx.memo.get(MEMO)
    if entry is None or rows_memo is None or entry[0] != view.as_of.isoformat():
        raise Stale("no layout for this date")
    old: datasplice.Layout = entry[1]
    if not (delta.same_as_of and delta.same_notices) or old.as_of != view.as_of or view.as_of not in old.days:
        raise Stale("another date or other notices")
    affected = sorted(delta.added | delta.removed | delta.changed)
    if len(affected) > datasplice.MAX_AFFECTED or not all(_PLAIN_ID.fullmatch(rid) for rid in affected):
        raise Stale("too many records, or an id that needs escaping")
    day_rel = {d: f"data/changes/{d.isoformat()}.json" for d in old.days}
    rels = ["data/debtors.csv", "data/debtors.json", *day_rel.values()]
    if set(rels) != old.files.keys():
        raise Stale("files")
    live = {}
    for rel in rels:  # the live files, when the live manifest has them as written (and they are as it says)
        data = writer.live_bytes(rel, old.files[rel])
        if data is None:
            raise Stale(f"{rel} is not the file written")
        live[rel] = data
    mf = datasplice.read_state(ctx.state, MANIFEST, old.manifest)
    if not mf.startswith(b'{"as_of":"%s",' % view.as_of.isoformat().encode()):
        raise Stale("manifest date")

    # the rows: now (changed and added), and as the live files have them (changed and removed)
    wanted = delta.added | delta.changed
    live_at = datasplice.positions(old, delta.changed | delta.removed)  # their live rows
    records = _records(view, wanted, {rid: old.keys[live_at[rid]] for rid in delta.changed})
    if len(records) != len(wanted):
        raise Stale("a record of the delta is not public")
    kept = dict(rows_memo)
    before: dict[str, Rows] = {}
    for rid in delta.changed | delta.removed:
        known = rows_memo.get(rid)
        if known is None:
            raise Stale(f"no row of {rid}")
        before[rid] = known[1]
        del kept[rid]
    now: dict[str, Rows] = {}
    new_rows: dict[str, tuple[int, bytes, bytes]] = {}
    for rid in sorted(wanted):
        r = records[rid]
        row = _row(r, s)
        kept[rid] = (r.digest, row)
        now[rid] = row
        new_rows[rid] = (-r.listed_on.toordinal(), row[0], row[1])
    csv_old, json_old = live["data/debtors.csv"], live["data/debtors.json"]
    datasplice.check_rows(csv_old, old.csv_start, old.csv, b"", live_at, {k: v[0] for k, v in before.items()})
    datasplice.check_rows(json_old, old.json_start, old.json, b",\n", live_at, {k: v[1] for k, v in before.items()})
    ed = datasplice.row_edits(old, live_at, new_rows)
    layout = datasplice.new_order(old, ed)
    count = len(layout.id_len)
    if not count or csv_old[: old.csv_start] != CSV_HEAD:
        raise Stale("csv head, or no rows")
    json_start = _json_start(_data_head(view, s, len(old.id_len)), "records") + b"\n"
    if json_old[: old.json_start] != json_start:
        raise Stale("json head")
    csv_body = datasplice.rows_file(csv_old, old.csv_start, old.csv, b"", b"", ed, 0)
    json_body = datasplice.rows_file(json_old, old.json_start, old.json, b",\n", datasplice.JSON_TAIL, ed, 1)
    new_start = _json_start(_data_head(view, s, count), "records") + b"\n"

    # the data manifest: digests now, today's operations
    base = object_entries(mf, b"base")
    days_at = mf.find(b',"days":{', base.hi)
    digests = object_entries(mf, b"digests", days_at)
    if days_at < 0 or not mf.startswith(b',"base_as_of":', base.hi + 1):
        raise Stale("manifest sections")
    ops = {d: op_entries(mf, d, days_at) for d in old.days}
    today = ops[view.as_of]
    if not today.hi < digests.lo:
        raise Stale("manifest order")
    notices = {n.id: n for n in view.notices} if delta.removed else {}
    dig_edits: datasplice.Edits = {}
    op_edits: datasplice.Edits = {}
    day_ops: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}  # today's: (old, new)
    for rid in affected:
        key = rid.encode()
        at, nxt, found = digests.find(key)
        was = before.get(rid)
        if found != (was is not None) or (
            was is not None and digests.text(at, nxt) != dumps_sorted({rid: was[2]})[1:-1]
        ):
            raise Stale(f"digest of {rid}")
        now_row = now.get(rid)
        if now_row is None:
            add_edit(dig_edits, at, nxt, [])
        elif was is None or was[2] != now_row[2]:
            add_edit(dig_edits, at, nxt if found else at, [(key, dumps_sorted({rid: now_row[2]})[1:-1])])
        b_at, b_nxt, b_found = base.find(key)
        base_digest = base.text(b_at, b_nxt)[len(key) + 4 : -1].decode() if b_found else None
        new_op: dict[str, Any] | None = None
        if now_row is None:
            if base_digest is not None:
                new_op = {"op": "DEL", "id": rid}
                if (n := notices.get(rid)) is not None:
                    new_op |= {"removed_on": n.removed_on.isoformat(), "reason": n.reason}
        elif base_digest is None:
            new_op = {"op": "ADD", "id": rid}
        elif base_digest != now_row[2]:
            new_op = {"op": "MOD", "id": rid}
        o_at, o_nxt, o_found = today.find(key)
        old_text = today.text(o_at, o_nxt) if o_found else None
        new_text = dumps_sorted(new_op) if new_op is not None else None
        if old_text != new_text:
            add_edit(op_edits, o_at, o_nxt, [(key, new_text)] if new_text is not None else [])
        day_ops[rid] = (_today_op(json.loads(old_text)) if old_text is not None else None, new_op)
    manifest = b"".join([mf[: today.lo], *rejoin(mf, today.lo, today.hi, b",", op_edits),
                         mf[today.hi : digests.lo], *rejoin(mf, digests.lo, digests.hi, b",", dig_edits),
                         mf[digests.hi :]])  # fmt: skip

    # the change files: the lines of the affected records, in each day's file
    changes: dict[date, tuple[bytes, list[Any]]] = {}
    counts: dict[date, dict[str, int]] = {}
    for d in old.days:
        data = live[day_rel[d]]
        head, lo = _counts_head(data)
        empty = len(data) == lo + 3 and data[lo:] == b"]}\n"
        if not empty and data[lo : lo + 1] != b"\n":
            raise Stale("change file list")
        lines = datasplice.Run(data, lo, lo, b",\n", b"{", lambda _s: b"") if empty else change_lines(data, lo + 1)
        c = dict(head["counts"])
        line_edits: datasplice.Edits = {}
        for rid in affected:
            key = rid.encode()
            if d == view.as_of:
                was_op, new_op = day_ops[rid]
            else:
                at, nxt, found = ops[d].find(key)
                was_op = new_op = json.loads(ops[d].text(at, nxt)) if found else None
            if was_op is None and new_op is None:
                continue
            was = before.get(rid)
            old_line = None if was_op is None else _op_line(was_op, None if was is None else was[1])
            now_row = now.get(rid)
            new_line = None if new_op is None else _op_line(new_op, None if now_row is None else now_row[1])
            if d != view.as_of and was_op is not None and was_op["op"] == "DEL":
                new_line = old_line  # an earlier day's DEL line: as written then
            at, nxt, found = lines.find(key)
            if found != (old_line is not None) or (found and lines.text(at, nxt) != old_line):
                raise Stale(f"line of {rid} on {d}")
            if old_line == new_line:
                continue
            if old_line is not None:
                c[was_op["op"]] -= 1  # type: ignore[index]
            if new_line is not None:
                c[new_op["op"]] += 1  # type: ignore[index]
            add_edit(line_edits, at, nxt, [(key, new_line)] if new_line is not None else [])
        counts[d] = {k: c[k] for k in ("ADD", "MOD", "DEL")}
        if _json_start(head, "changes") != data[:lo]:
            raise Stale("change file head")
        body = rejoin(data, lines.lo, lines.hi, b",\n", line_edits)
        start = _json_start({**head, "counts": counts[d]}, "changes")
        changes[d] = (start, body)

    layout.json_start, layout.manifest, layout.files = len(new_start), "", dict.fromkeys(rels, ("", 0))
    ctx.memo[MEMO] = kept

    def files() -> Iterator[OutputFile]:
        yield OutputFile("data/debtors.csv", b"".join([CSV_HEAD, *csv_body]))
        yield OutputFile("data/debtors.json", b"".join([new_start, *json_body, datasplice.JSON_TAIL]))
        live.clear()  # (the writer keeps what it still needs for its scan)
        yield _schema_file(s)
        for d in old.days:
            start, body = changes.pop(d)
            tail = [b"\n", *body, datasplice.JSON_TAIL] if body else [b"]}\n"]
            yield OutputFile(day_rel[d], b"".join([start, *tail]))
        yield _index_file(view, s, counts)
        yield OutputFile(MANIFEST, manifest, state=True)

    return files(), layout
