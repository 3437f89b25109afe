"""`chenglai search QUERY [--json] [-o DIR | --index DIR] [--court …]`: query the live index, for staff."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from generator.cli.registry import EXIT_OK, command
from generator.errors import SearchError, UsageError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", metavar="QUERY", help="姓名、名称、拼音、案号、证件号码或其后 4 位")
    p.add_argument("--json", action="store_true", help="输出与 /api/search 相同的 JSON")
    p.add_argument(
        "-o", "--output", default="output", metavar="DIR", help="查询此输出目录当前构建的索引（默认 output）"
    )
    p.add_argument("--index", metavar="DIR", help="改为查询此索引目录")
    p.add_argument("--court", metavar="SLUG", help="只查某法院，如 lu0502")
    p.add_argument("--region", metavar="CODE", help="只查某地区（6 位地区代码）")
    p.add_argument("--ground", metavar="CODE", help="只查某失信情形，如 evades_by_fraud")
    p.add_argument("--kind", choices=("person", "organization", "news"), help="只查自然人、组织或新闻")
    p.add_argument("--page", default="1", metavar="N", help="页码（每页 10 条）")


def run(args: argparse.Namespace) -> int:
    from search import query as sq
    from search.service import KIND_LABELS, SearchApp, site_root

    app = SearchApp(Path(args.index)) if args.index else SearchApp(output=Path(args.output))
    folder = app.live_index()
    try:
        gen = app.generation()
        filters = sq.parse_filters(args.court, args.region, args.ground, args.kind, gen.known)
        page = app.search(args.query, filters, sq.parse_page(args.page), gen)
    except SearchError as exc:
        if exc.status == 503:
            raise UsageError(f"找不到搜索索引 {folder}：请先运行 chenglai build，或用 --index 指定") from None
        if exc.status == 400:
            raise UsageError(str(exc)) from None
        raise
    if args.json:
        print(json.dumps(page.as_json(site_root(gen.site)), ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in page.removed:
        print(f"案号 {r.case_number} 的失信信息已于 {r.removed_on} 删除，见删除公告 /{r.url}")
    first = (page.page - 1) * page.per_page
    for n, hit in enumerate(page.hits, start=first + 1):
        court = f" · {hit.court}" if hit.court else ""
        print(f"{n}. {hit.title}（{KIND_LABELS.get(hit.kind, hit.kind)}{court}）  /{hit.url}")
        print(f"   {hit.snippet}")
    if page.total:
        print(f"共 {page.total} 条，第 {page.page}/{page.pages} 页。")
    else:
        print(f"没有找到与“{page.query}”相符的公开信息。")
    return EXIT_OK


command("search", "查询已构建的搜索索引（与网站搜索相同的规则）")((configure, run))
