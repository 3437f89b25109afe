"""`chenglai expiring [--within DAYS] [--as-of DATE] [--json] [PATH…]`: terms ending soon.

For the periodic review: a listed record whose term (listed_on + term_years, counted as the
Civil Code counts) ends within the window disappears from the site on its own the day after its
last day (the daily rebuild); staff check
whether it should be extended (art. 2: 1–3 more years) or removed earlier.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

from generator.cli.registry import EXIT_OK, command, parse_date
from generator.domain import casenumber, workdays
from generator.domain.policy import term_last_day
from generator.errors import UsageError
from generator.read.checker import check_paths
from generator.settings import today_shanghai


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="记录文件或目录（默认 content/debtors）")
    p.add_argument("--within", type=int, default=30, metavar="DAYS", help="列出期限在多少天内届满的记录（默认 30）")
    p.add_argument("--as-of", type=parse_date, metavar="DATE", help="从哪一天算起 YYYY-MM-DD（默认上海时区今天）")
    p.add_argument("--json", action="store_true", help="输出 JSON")


def run(args: argparse.Namespace) -> int:
    if args.within < 0:
        raise UsageError("--within 应为非负整数")
    paths = args.paths or ["content/debtors"]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"路径不存在：{', '.join(missing)}")
    as_of = args.as_of or today_shanghai()
    until = as_of + timedelta(days=args.within)
    result = check_paths(paths, drafts_ok=True)
    rows = []
    for src in result.records:
        r = src.record
        end = term_last_day(r.listed_on, r.term_years, r.grounds)
        if r.status != "listed" or end is None or not as_of <= end <= until:
            continue
        case = casenumber.parse(r.case_number)
        assert case is not None  # valid records parse
        # art. 10 ¶2: deleted within three working days after the term ends (the site itself
        # drops it the day after its last day)
        delete_by = workdays.add_working_days(end, 3)
        rows.append({
            "id": casenumber.record_id(case, r.debtor_seq, r.listing_no),
            "case_number": case.text,
            "debtor_seq": r.debtor_seq,
            "name": r.debtor.name,
            "court": r.court,
            "listed_on": r.listed_on.isoformat(),
            "term_years": r.term_years,
            "term_ends_on": end.isoformat(),
            "days_left": (end - as_of).days,
            "delete_by": delete_by.day.isoformat(),
            "calendar_known": delete_by.calendar_known,
            "draft": r.is_draft,
            "path": src.path,
        })  # fmt: skip
    rows.sort(key=lambda row: (row["term_ends_on"], row["id"]))
    if result.errors:
        print(
            f"注意：{len({e.path for e in result.errors})} 个文件未通过检查，未列入（运行 chenglai check 查看）。",
            file=sys.stderr,
        )
    if args.json:
        print(
            json.dumps(
                {"as_of": as_of.isoformat(), "within": args.within, "records": rows}, ensure_ascii=False, indent=2
            )
        )
        return EXIT_OK
    unknown = sorted({str(row["delete_by"])[:4] for row in rows if not row["calendar_known"]})
    for row in rows:
        draft = "  [草稿]" if row["draft"] else ""
        print(f"{row['term_ends_on']}  还有 {row['days_left']:>3} 天  {row['case_number']}  {row['name']}  "
              f"{row['court']}  {row['path']}  最迟删除 {row['delete_by']}{draft}")  # fmt: skip
    print(f"{as_of} 起 {args.within} 天内期限届满的记录：{len(rows)} 条。"
          "所列日期为期限的最后一日（民法典第二百零一、二百零二条），次日每日自动重建会将其撤下；"
          "依《规定》第十条第二款，期限届满后三个工作日内须删除（“最迟删除”按国务院节假日与调休安排计算）。"
          "如需延长期限（1–3 年）或提前删除，请在此之前处理。")  # fmt: skip
    if unknown:
        print(f"注意：{'、'.join(unknown)} 年的节假日安排尚未收入 chinese-calendar，“最迟删除”暂按周一至周五计算。")
    return EXIT_OK


command("expiring", "列出期限即将届满的记录（供定期复核）")((configure, run))
