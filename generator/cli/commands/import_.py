"""`chenglai import FILE.csv|FILE.xlsx [--entered-by NAME] [-o DIR] [--update]`.

Exit code 1 when any row was refused: the files of the good rows are still written, so the
clerk fixes only the refused rows and imports again (written rows then report as existing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import progress
from generator.cli.registry import EXIT_ERRORS, EXIT_OK, command
from generator.errors import ContentErrors, UsageError
from generator.staff.importer import ImportFileError, import_file


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="案件系统导出的 .csv（UTF-8 或 GBK）或 .xlsx 文件")
    p.add_argument("--entered-by", metavar="NAME", help="录入人（文件中没有“录入人”列或该格为空时使用）")
    p.add_argument("-o", "--output", metavar="DIR", default="content/debtors", help="记录目录（默认 content/debtors）")
    p.add_argument("--update", action="store_true", help="已有记录时用导入内容更新（保留注释；内容有变则撤销原审核）")


def run(args: argparse.Namespace) -> int:
    source = Path(args.file)
    if not source.is_file():
        raise UsageError(f"导入文件不存在：{source}")
    entered_by = args.entered_by.strip() if args.entered_by else None
    try:
        with progress.shown():
            result = import_file(source, Path(args.output), entered_by=entered_by, update=args.update)
    except ImportFileError as exc:
        raise ContentErrors(exc.errors) from None
    for warning in result.warnings:
        print(f"注意：{warning}", file=sys.stderr)
    for path in result.created:
        print(f"新建 {path}")
    for path in result.updated:
        print(f"更新 {path}")
    print(
        f"导入 {source.name}：新建 {len(result.created)} 条，更新 {len(result.updated)} 条，"
        f"未变 {len(result.unchanged)} 条，拒绝 {len(result.refused_rows)} 行。"
    )
    if result.refused:
        print("被拒绝的行（其余行已写入；改正后可重新导入这些行）：")
        for refusal in result.refused:
            print(f"  {refusal}")
        return EXIT_ERRORS
    if result.created or result.updated:
        print("导入的记录为草稿：请提交合并请求，由第二人运行 `chenglai vet 文件… --by 姓名` 审核。")
    return EXIT_OK


command("import", "从案件系统导出的 CSV/XLSX 生成记录草稿（完整身份证号码校验后脱敏）")((configure, run))
