"""`chenglai vet PATH… --by NAME [--on DATE]`: the second person's vetting (SPEC §1.1).

Writes vetting.vetted_by / vetted_on, keeping comments and layout. Refused: a vetter who
entered the record (four eyes), a record already vetted by someone else, and any result
that would not pass `chenglai check`. A folder vets the drafts in it; records found there
that are already vetted are skipped, while a file named on its own is refused.
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

from generator.cli.registry import EXIT_ERRORS, EXIT_OK, command, parse_date
from generator.domain.records import iter_record_files
from generator.errors import RecordError, UsageError
from generator.settings import today_shanghai
from generator.staff.editing import Document, EditError, save_checked

_ROLE = re.compile(r"\s*[（(][^（）()]*[)）]\s*$")


def same_person(a: str, b: str) -> bool:
    """王某（书记员） and 王某 are one person: the role in brackets does not make a second."""
    return _ROLE.sub("", a.strip()) == _ROLE.sub("", b.strip())


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="记录文件或目录（目录：审核其中的全部草稿）")
    p.add_argument("--by", required=True, metavar="NAME", help="审核人，如 李某（执行法官）；不得与录入人相同")
    p.add_argument("--on", type=parse_date, metavar="DATE", help="审核日期 YYYY-MM-DD（默认上海时区今天）")


def run(args: argparse.Namespace) -> int:
    by = args.by.strip()
    if not by:
        raise UsageError("--by 审核人不能为空")
    on = args.on or today_shanghai()
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"路径不存在：{', '.join(missing)}")
    named = {Path(p) for p in args.paths if not Path(p).is_dir()}
    vetted = unchanged = skipped = refused = 0
    for path in iter_record_files(args.paths):
        problems, outcome = vet_file(path, by, on, explicit=path in named)
        for e in problems:
            print(e)
        if outcome == "vetted":
            vetted += 1
            print(f"已审核 {path}")
        elif outcome == "unchanged":
            unchanged += 1
        elif outcome == "skipped":
            skipped += 1
        else:
            refused += 1
    print(f"审核 {vetted} 条；已由本人审核、未变 {unchanged} 条；已由他人审核、跳过 {skipped} 条；拒绝 {refused} 条。")
    return EXIT_ERRORS if refused else EXIT_OK


def vet_file(path: Path, by: str, on: date, explicit: bool = True) -> tuple[list[RecordError], str]:
    """(problems, outcome) with outcome vetted | unchanged | skipped | refused."""
    p = str(path)
    try:
        doc = Document.read(path)
    except EditError as exc:
        return [RecordError(p, 1, "E003", "-", f"无法修改：{exc}")], "refused"
    entered_by = doc.get(("vetting", "entered_by"))
    if not isinstance(entered_by, str) or not entered_by.strip():
        return [
            RecordError(
                p,
                doc.line(("vetting", "entered_by")),
                "E011",
                "vetting.entered_by",
                "缺少录入人 entered_by，无法核对“双人审核”",
            )
        ], "refused"
    if same_person(entered_by, by):
        return [RecordError(p, doc.line(("vetting", "entered_by")), "E041", "vetting.vetted_by",
                            f"审核人 {by} 就是录入人（{entered_by}）：须由另一人审核")], "refused"  # fmt: skip
    previous = doc.get(("vetting", "vetted_by"))
    if previous is not None and str(previous).strip():
        if same_person(str(previous), by) and doc.get(("vetting", "vetted_on")) is not None:
            return [], "unchanged"
        if not same_person(str(previous), by):
            if not explicit:
                return [], "skipped"
            return [RecordError(p, doc.line(("vetting", "vetted_by")), "E041", "vetting.vetted_by",
                                f"已由 {previous} 于 {doc.get(('vetting', 'vetted_on'))} 审核；"
                                "如需重新审核，请先删除 vetted_by 与 vetted_on")], "refused"  # fmt: skip
    doc.set(("vetting", "vetted_by"), by)
    doc.set(("vetting", "vetted_on"), on)
    errors = save_checked(path, doc, drafts_ok=False)
    return errors, "refused" if errors else "vetted"


command("vet", "记录第二人审核（vetted_by / vetted_on），审核人不得与录入人相同")((configure, run))
