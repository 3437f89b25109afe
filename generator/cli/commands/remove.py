"""`chenglai remove CASE_NUMBER --reason CODE [--on DATE] [--seq N] [PATH]` (SPEC §1.4).

Finds the record by its normalised case number, sets status: removed, removed_on and
removal_reason (comments and layout kept), and reminds that art. 10 gives three working days.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.cli.registry import EXIT_ERRORS, EXIT_OK, command, parse_date
from generator.domain import casenumber, workdays
from generator.domain.records import REMOVAL_REASONS, iter_record_files
from generator.domain.yamlload import decode, load
from generator.errors import RecordError, UsageError
from generator.settings import today_shanghai
from generator.staff.editing import Document, EditError, save_checked

COMPUTED = "term_expired"
REMOVAL_DAYS = 3  # art. 10: 三个工作日内删除


def _reason(text: str) -> str:
    by_label = {label: code for code, label in REMOVAL_REASONS.items()}
    code = by_label.get(text.strip(), text.strip())
    if code == COMPUTED:
        raise argparse.ArgumentTypeError(
            "term_expired（期限届满）由系统按 listed_on 与 term_years（民法典第二百零一、二百零二条）自动计算，无需删除操作"
        )
    if code not in REMOVAL_REASONS:
        choices = "；".join(f"{c}（{label}）" for c, label in REMOVAL_REASONS.items() if c != COMPUTED)
        raise argparse.ArgumentTypeError(f"未知删除原因 {text!r}，应为：{choices}")
    return code


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_number", metavar="CASE_NUMBER", help="执行案号，括号、全角数字均可，如 （2024）鲁0502执1234号")
    p.add_argument(
        "path", nargs="?", default="content/debtors", metavar="PATH", help="记录目录或文件（默认 content/debtors）"
    )
    p.add_argument("--reason", required=True, type=_reason, metavar="CODE",
                   help="删除原因代码或中文：" + "、".join(c for c in REMOVAL_REASONS if c != COMPUTED))  # fmt: skip
    p.add_argument("--on", type=parse_date, metavar="DATE", help="删除日期 YYYY-MM-DD（默认上海时区今天）")
    p.add_argument("--seq", type=int, metavar="N", help="同案多名被执行人时的被执行人序号 debtor_seq")
    _parse_intermixed(p)


def _parse_intermixed(p: argparse.ArgumentParser) -> None:
    """SPEC puts PATH after the options (`remove CASE --reason X PATH`), but argparse takes
    positionals in one run only; the subparser action calls parse_known_args, so route that
    through parse_known_intermixed_args (which itself calls the plain method)."""
    plain = p.parse_known_args

    def parse(args: Any = None, namespace: Any = None) -> Any:
        p.parse_known_args = plain  # type: ignore[method-assign]
        try:
            return p.parse_known_intermixed_args(args, namespace)
        finally:
            p.parse_known_args = parse  # type: ignore[method-assign]

    p.parse_known_args = parse  # type: ignore[method-assign]


@dataclass(frozen=True)
class Match:
    path: Path
    seq: int | None
    name: str
    removed: bool = False  # an earlier listing of a re-listed debtor (art. 10 ¶3) stays as removed


def find_records(case: casenumber.CaseNumber, root: str | Path) -> list[Match]:
    """Record files whose case number normalises to `case` (files that fail to load are skipped)."""
    # cheap text filter first: the number's digits appear in the file, in ASCII or full width
    needles = (case.number, case.number.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}))
    found = []
    for path in iter_record_files([root]):
        try:
            data = path.read_bytes()
            text = decode(str(path), data)
            if not any(n in text for n in needles):
                continue
            raw, _lines, _text = load(str(path), data)
        except (OSError, RecordError):
            continue
        other = casenumber.parse(str(raw.get("case_number", "")))
        if other is not None and other.text == case.text:
            debtor = raw.get("debtor")
            seq = raw.get("debtor_seq")
            name = str(debtor.get("name", "")) if isinstance(debtor, dict) else ""
            found.append(Match(path, seq if isinstance(seq, int) else None, name, raw.get("status") == "removed"))
    return found


def run(args: argparse.Namespace) -> int:
    case = casenumber.parse(args.case_number)
    if case is None:
        raise UsageError(f"执行案号 {args.case_number!r} 格式不正确，应如 （2024）鲁0502执1234号")
    if not Path(args.path).exists():
        raise UsageError(f"路径不存在：{args.path}")
    on = args.on or today_shanghai()
    matches = find_records(case, args.path)
    listing = "\n".join(f"  --seq {m.seq if m.seq is not None else '（无）'}  {m.name}  {m.path}" for m in matches)
    if args.seq is not None:
        matches = [m for m in matches if m.seq == args.seq]
    listed = [m for m in matches if not m.removed]
    if len(listed) == 1 and len({m.seq for m in matches}) == 1:
        matches = listed  # a re-listing: the earlier listing of the same debtor is removed already
    if not matches:
        where = f"（序号 {args.seq}）" if args.seq is not None else ""
        more = f"；该案号的记录有：\n{listing}" if listing else ""
        raise UsageError(f"在 {args.path} 中未找到执行案号 {case.text}{where} 的记录{more}")
    if len(matches) > 1:
        raise UsageError(f"执行案号 {case.text} 有 {len(matches)} 名被执行人，请用 --seq 指定：\n{listing}")
    path = matches[0].path
    try:
        doc = Document.read(path)
    except EditError as exc:
        raise RecordError(str(path), 1, "E003", "-", f"无法修改：{exc}") from None
    if doc.get(("status",)) == "removed":
        same = doc.get(("removal_reason",)) == args.reason and doc.get(("removed_on",)) == on
        if same:
            print(f"{path} 已于 {on} 以 {args.reason} 删除，未改动。")
            return EXIT_OK
        print(f"{path}:{doc.line(('status',))}: 记录已于 {doc.get(('removed_on',))} 以 "
              f"{doc.get(('removal_reason',))} 删除；如需更正删除信息，请直接编辑文件。")  # fmt: skip
        return EXIT_ERRORS
    doc.set(("status",), "removed")
    doc.set(("removed_on",), on)
    doc.set(("removal_reason",), args.reason)
    errors = save_checked(path, doc, drafts_ok=True)
    if errors:
        for e in errors:
            print(e)
        if any(e.code == "E110" for e in errors):
            print("有纳入期限的记录只能以 early_deletion（提前删除）或 corrected（纠正）删除，或待期限届满自动下线"
                  "（《规定》第十条第二款）。")  # fmt: skip
        print(f"未修改 {path}：删除后的记录不能通过检查。")
        return EXIT_ERRORS
    print(
        f"已删除 {path}：status: removed，removed_on: {on}，removal_reason: {args.reason}（{REMOVAL_REASONS[args.reason]}）"
    )
    deadline = workdays.add_working_days(on, REMOVAL_DAYS)
    print(
        f"提醒：依《最高人民法院关于公布失信被执行人名单信息的若干规定》第十条，删除情形出现后应在三个工作日内删除失信信息。"
        f"若删除情形出现于 {on}，最迟应在 {deadline.day} 前合并发布（{workdays.describe(deadline)}）。"
        "请立即提交并发起合并请求；合并后网站自动重建，该记录从名单、搜索、订阅和数据文件中消失，/removals/ 显示删除公告。"
    )
    return EXIT_OK


command("remove", "删除（屏蔽）一条失信记录：设置 status、removed_on、removal_reason")((configure, run))
