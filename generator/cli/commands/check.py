"""`chenglai check [--drafts] [PATH…]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import progress
from generator.cli.registry import EXIT_ERRORS, EXIT_OK, command
from generator.errors import UsageError
from generator.read.checker import check_paths


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="记录文件或目录（默认 content/debtors）")
    p.add_argument("--drafts", action="store_true", help="接受尚未审核的草稿")


def run(args: argparse.Namespace) -> int:
    paths = args.paths or ["content/debtors"]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"路径不存在：{', '.join(missing)}")
    with progress.shown():
        result = check_paths(paths, drafts_ok=args.drafts)
    # warnings (W codes) in the same form, in file order among the errors; they fail nothing
    for err in sorted([*result.errors, *result.warnings]):
        print(err)
    warned = f"另有 {len(result.warnings)} 个警告（W 代码，不影响检查结果），请核对。" if result.warnings else ""
    if result.errors:
        files = len({e.path for e in result.errors})
        print(
            f"共 {len(result.errors)} 个问题，涉及 {files} 个文件；{result.passed} 条记录通过。{warned}",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    print(f"{result.passed} 条记录全部通过检查。{warned}", file=sys.stderr)
    return EXIT_OK


command("check", "检查记录文件：每个问题一行 path:line: CODE field: message")((configure, run))
