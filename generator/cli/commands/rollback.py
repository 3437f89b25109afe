"""`chenglai rollback [-o DIR] [-s SETTINGS]`: put the previous build back, site and index together."""

from __future__ import annotations

import argparse

from generator.cli.registry import EXIT_OK, command


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认：设置文件中的 OUTPUT_PATH）")
    p.add_argument(
        "-s", "--settings", default="pelicanconf.py", metavar="FILE", help="Pelican 设置文件（默认 pelicanconf.py）"
    )


def run(args: argparse.Namespace) -> int:
    from generator.build.pipeline import rollback

    gen, info = rollback(args.settings, output=args.output)
    as_of = info.get("as_of", "未知")
    print(
        f"已恢复上一次构建 {gen.name}（发布日期 {as_of}；公开记录 {info.get('public', '?')} 条，"
        f"删除公告 {info.get('notices', '?')} 条）：网站与搜索索引一并恢复。\n"
        "注意：若记录文件未同时恢复，下一次构建会重新发布当前内容。"
    )
    return EXIT_OK


command("rollback", "恢复上一次构建（网站、搜索索引一并恢复）")((configure, run))
