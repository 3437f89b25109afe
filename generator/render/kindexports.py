"""Open data of the 限制消费令 (SPEC §7): /data/restrictions.csv (UTF-8 with BOM) and
/data/restrictions.json, from the PublicView's public orders only.

Organisations only by default, as the debtors' bulk files (SPEC §6, PIPL): a natural person's
order is on its page and in search, not in a file anyone can mirror — unless the setting
PORTAL_DATA_PERSONS is True. Cells are written through exports.csv_cell (formula
injection: a leading ').
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from generator.domain.kindpolicy import PublicRestriction
from generator.render.exports import csv_cell
from generator.render.outputs import Lazy, RenderContext, Single
from generator.render.siteurls import setting, site_url

# (JSON key, CSV header, value)
FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("id", "记录编号", lambda r, s: r.id),
    ("url", "网址", lambda r, s: site_url(s, r.url)),
    ("name", "被执行人姓名/名称", lambda r, s: r.name),
    ("kind", "被执行人类型", lambda r, s: r.kind),
    ("id_masked", "身份证号码", lambda r, s: r.id_masked),
    ("uscc", "统一社会信用代码", lambda r, s: r.uscc),
    ("legal_representative", "法定代表人或负责人", lambda r, s: r.legal_representative),
    ("restricted_persons", "同受限制的人员", lambda r, s: list(r.restricted_persons)),
    ("case_number", "执行案号", lambda r, s: r.case_number),
    ("court", "执行法院", lambda r, s: r.court),
    ("region_code", "地区代码", lambda r, s: r.region_code),
    ("order_no", "限制消费令文号", lambda r, s: r.order_no),
    ("issued_on", "发布日期", lambda r, s: r.issued_on.isoformat()),
)


def published(r: PublicRestriction, settings: dict[str, Any]) -> dict[str, Any]:
    return {key: value(r, settings) for key, _header, value in FIELDS}


def included(view_restrictions: tuple[Any, ...], settings: dict[str, Any]) -> list[PublicRestriction]:
    """The orders the bulk files hold: organisations, and persons only when the setting says so."""
    persons = bool(setting(settings, "PORTAL_DATA_PERSONS"))
    return [r for r in view_restrictions if persons or r.kind == "organization"]


def _line(cells: list[str]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue().encode("utf-8")


def restrictions_csv(items: list[dict[str, Any]]) -> bytes:
    rows = [_line([header for _key, header, _v in FIELDS])]
    for item in items:
        cells = []
        for key, _header, _v in FIELDS:
            value = item[key]
            cells.append(csv_cell(key, "、".join(value) if isinstance(value, list) else value))
        rows.append(_line(cells))
    return codecs.BOM_UTF8 + b"".join(rows)


def restrictions_json(head: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
    return (json.dumps({**head, "records": items}, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def render(ctx: RenderContext) -> Iterator[Lazy]:
    s = ctx.settings
    items = [published(r, s) for r in included(ctx.view.restrictions, s)]
    head = {
        "as_of": ctx.view.as_of.isoformat(), "count": len(items), "kind": "restriction",
        "note": "限制消费令不是失信被执行人名单", "persons_included": bool(setting(s, "PORTAL_DATA_PERSONS")),
        "demo": bool(setting(s, "PORTAL_DEMO")), "license": setting(s, "PORTAL_DATA_LICENSE"),
    }  # fmt: skip
    yield Lazy("data/restrictions.csv", ("csv", items), lambda: restrictions_csv(items))
    yield Lazy("data/restrictions.json", ("json", head, items), lambda: restrictions_json(head, items))


RENDERER = Single("kindexports", render)
