"""`chenglai check [--drafts] [PATH…]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import progress
from generator.cli.registry import EXIT_ERRORS, EXIT_OK, command
from generator.errors import UsageError
from generator.read.checker import check_paths
from generator.read.kinds import check_items, expand_content, kind_folders, kind_of, known_debtor_ids


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="记录文件或目录（默认 content/debtors 及 restrictions、rewards、exposure）")
    p.add_argument("--drafts", action="store_true", help="接受尚未审核的草稿")


def run(args: argparse.Namespace) -> int:
    paths = args.paths or ["content/debtors", *map(str, kind_folders(Path("content")))]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"路径不存在：{', '.join(missing)}")
    # a content folder stands for its debtors and the other kinds' folders (SPEC §7)
    paths = [q for p in paths for q in (expand_content(Path(p)) or [p])]
    kinds = [p for p in paths if kind_of(p) is not None]
    with progress.shown():
        result = check_paths([p for p in paths if kind_of(p) is None], drafts_ok=args.drafts)
    if kinds:
        extra = check_items(kinds, args.drafts, known_debtor_ids(kinds, result, args.drafts))
        result.add(extra.errors, extra.items, extra.warnings)
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
