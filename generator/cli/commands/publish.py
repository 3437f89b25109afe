"""`chenglai publish [--to REMOTE] [--dry-run] [-o DIR] [-s SETTINGS]`: the live build to the
public host over rclone (generator/build/publish.py)."""

from __future__ import annotations

import argparse
import sys

from generator.cli.registry import EXIT_ERRORS, EXIT_OK, command


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", metavar="REMOTE", help="发布目标（rclone 路径；默认：设置 PORTAL_PUBLISH_TO）")
    p.add_argument("--dry-run", action="store_true", help="只列出将上传与删除的文件，不发送")
    p.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认：设置文件中的 OUTPUT_PATH）")
    p.add_argument(
        "-s", "--settings", default="pelicanconf.py", metavar="FILE", help="Pelican 设置文件（默认 pelicanconf.py）"
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from generator.build import publish
    from generator.build.pipeline import read_settings

    over = {"OUTPUT_PATH": str(Path(args.output).absolute())} if args.output else {}
    settings = read_settings(args.settings, over)
    if args.dry_run:
        plan, store = publish.plan(settings, args.to)
        store.close()
        print(f"发布目标 {plan.remote}（第 {plan.generation} 代，发布日期 {plan.as_of.isoformat()}）；试运行，不发送：")
        for line in publish.describe(plan):
            print(line)
        return EXIT_OK
    out = publish.publish(settings, args.to, progress=lambda msg: print(msg, file=sys.stderr))
    p = out.plan
    if out.failed:
        for group, message in out.failed:
            reason = f"：{message}" if message else "（前一组未发送成功，为保证页面链接完整未发送）"
            print(f"chenglai: 未发送 {publish.LABELS[group]}{reason}", file=sys.stderr)
        print(
            "chenglai: 已发送的部分已记录；处理后重新运行 chenglai publish 即可，只发送未完成的部分。", file=sys.stderr
        )
        return EXIT_ERRORS
    sent = sum(len(v) for v in p.groups.values())
    print(
        f"已发布到 {p.remote}（第 {p.generation} 代）：上传 {sent} 个文件，删除 {len(p.deletions)} 个，"
        f"搜索索引{'已更新' if p.index_changed else '无变化'}；用时 {out.seconds:.1f} 秒。"
        f"需刷新的地址 {len(dict.fromkeys(out.purge))} 个（CDN 刷新清单：{publish.PURGE_FILE}）。"
    )
    return EXIT_OK


command("publish", "把线上构建发布到公网主机（rclone：本地目录、SFTP、对象存储），只发送有变化的文件")((configure, run))
