"""`chenglai build [--as-of DATE] [-o DIR] [-s SETTINGS] [--allow-drop] [--full]`."""

from __future__ import annotations

import argparse

from generator.cli.registry import EXIT_OK, command, parse_date


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=parse_date, metavar="DATE", help="发布日期 YYYY-MM-DD（默认：上海时区今天）")
    p.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认：设置文件中的 OUTPUT_PATH）")
    p.add_argument(
        "-s", "--settings", default="pelicanconf.py", metavar="FILE", help="Pelican 设置文件（默认 pelicanconf.py）"
    )
    p.add_argument("--allow-drop", action="store_true", help="允许公开记录数较上次构建大幅下降（PORTAL_MAX_DROP）")
    p.add_argument("--full", action="store_true", help="参照构建：不读取任何缓存，全部重新生成（默认只生成输入有变化的文件）")


def run(args: argparse.Namespace) -> int:
    from generator import progress
    from generator.build.pipeline import build_site

    with progress.shown():  # on a terminal: the phase, a count and the time left, erased at the end
        r = build_site(
            args.settings, output=args.output, as_of=args.as_of, allow_drop=args.allow_drop, full=args.full
        )
    if r.unchanged:
        print(
            f"内容、设置与发布日期（{r.as_of.isoformat()}）均与线上构建相同，无需重新生成："
            f"公开记录 {r.public} 条，删除公告 {r.notices} 条；用时 {r.seconds:.1f} 秒。\n输出：{r.output}（第 {r.generation} 代）"
        )
        return EXIT_OK
    how = "增量构建：只生成输入有变化的文件" if r.incremental else "完整构建"
    print(
        f"构建完成（发布日期 {r.as_of.isoformat()}）：公开记录 {r.public} 条，删除公告 {r.notices} 条；"
        f"{how}，解析记录文件 {r.parsed} 个（其余取自缓存）；"
        f"文件 新生成 {r.files_written} 个、沿用 {r.files_unchanged} 个、删除 {r.files_removed} 个；"
        f"用时 {r.seconds:.1f} 秒。\n输出：{r.output}（第 {r.generation} 代）\n索引：{r.index}"
    )
    return EXIT_OK


command("build", "检查记录并构建网站与搜索索引（全部检查通过才替换线上目录）")((configure, run))
