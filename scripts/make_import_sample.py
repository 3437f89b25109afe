"""Write the staff guide's import sample: a case-system export with four fictitious rows.

The repository never holds a full 18-digit ID number (SPEC §1.2), yet an import file must:
so the sample is generated, its IDs completed with a computed GB 11643 check digit.
Region 370501 is Dongying's 市辖区 summary code, not used to issue real IDs.

    python scripts/make_import_sample.py import-sample.csv [--date YYYY-MM-DD]

Its dates are relative to the given date (default: today in Asia/Shanghai, printed), so the
sample imports and vets on that day without E031: a fixed date would soon lie in the past.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.domain.ids import check_digit  # noqa: E402
from generator.settings import today_shanghai  # noqa: E402

HEADER = [
    "执行案号",
    "执行法院",
    "地区代码",
    "立案时间",
    "作出执行依据单位",
    "执行依据文号",
    "被执行人类型",
    "被执行人姓名/名称",
    "证件号码",
    "法定代表人或负责人",
    "生效法律文书确定的义务",
    "履行情况",
    "未履行金额",
    "失信情形",
    "发布时间",
    "期限（年）",
    "延长理由",
    "纳入决定书文号",
    "决定书作出日期",
    "送达日期",
    "录入人",
    "被执行人序号",
]
# Days from the sample's date: filed 75 days before, published a week after (so vetting
# within that week passes check: E031 forbids a vetting date after the publication date).
FILED_BEFORE = timedelta(days=75)
PUBLISHED_AFTER = timedelta(days=7)


def rows(on: date) -> list[list[str]]:
    """The four fictitious rows, dated relative to `on` (the day of import and vetting)."""
    filed = on - FILED_BEFORE
    listed = on + PUBLISHED_AFTER
    decided, served = (listed - timedelta(days=5)).isoformat(), (listed - timedelta(days=3)).isoformat()
    y, b = filed.year, filed.year - 1  # case year = filing year; the judgment a year before
    court = "东营市东营区人民法院"
    clerk = "王某（书记员）"
    return [
        [f"（{y}）鲁0502执101号", court, "370502", filed.isoformat(), court, f"（{b}）鲁0502民初901号", "自然人",
         "示例甲", "{id:37050119800315011}", "", "支付货款86000元及利息", "全部未履行", "86000", "违反财产报告制度",
         f"{listed.year}/{listed.month}/{listed.day}", "2", "", f"（{y}）鲁0502执101号之一", decided, served, clerk, ""],
        [f"（{y}）鲁0502执102号", court, "370502", (filed + timedelta(days=3)).isoformat(), court,
         f"（{b}）鲁0502民初902号", "法人或其他组织", "东营示例商贸有限公司", "91370502MA3X0DEMP6", "示例乙",
         "支付工程款450000元", "部分未履行", "120000.50",
         "以伪造证据、暴力、威胁等方法妨碍、抗拒执行；违反限制消费令", listed.isoformat(), "3",
         "以暴力、威胁方法妨碍、抗拒执行情节严重", f"（{y}）鲁0502执102号之一", decided, served, clerk, ""],
        [f"（{y}）鲁0502执103号", court, "370502", (filed + timedelta(days=8)).isoformat(), court,
         f"（{b}）鲁0502民初903号", "自然人", "示例丙", "{id:37050119720908026}", "", "偿还借款本金30000元",
         "全部未履行", "30000", "有履行能力而拒不履行生效法律文书确定义务", listed.isoformat(), "", "",
         f"（{y}）鲁0502执103号之一", decided, served, clerk, "1"],
        [f"（{y}）鲁0502执103号", court, "370502", (filed + timedelta(days=8)).isoformat(), court,
         f"（{b}）鲁0502民初903号", "自然人", "示例丁", "{id:37050119750421043}", "", "对上述借款承担连带清偿责任",
         "全部未履行", "30000", "able_but_refuses", listed.isoformat(), "", "", f"（{y}）鲁0502执103号之一",
         decided, served, clerk, "2"],
    ]  # fmt: skip


def _full_id(cell: str) -> str:
    if cell.startswith("{id:"):
        first17 = cell[4:-1]
        return first17 + check_digit(first17)
    return cell


def write_sample(path: Path, on: date) -> Path:
    """Write the sample CSV dated relative to `on` (UTF-8 with BOM, as Excel saves "CSV UTF-8").
    The same path and date write the same bytes."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        for row in rows(on):
            w.writerow([_full_id(c) for c in row])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成导入样例文件（四条虚构记录，日期相对于 --date）")
    parser.add_argument("target", nargs="?", default="import-sample.csv", help="输出文件（默认 import-sample.csv）")
    parser.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="导入与审核的日期（默认上海时区今天）：立案在其前 75 天，发布在其后 7 天")  # fmt: skip
    args = parser.parse_args(argv)
    on = args.date or today_shanghai()  # the one place the date is taken from the clock: said below
    path = write_sample(Path(args.target), on)
    print(f"已生成 {path}（按 {on.isoformat()} 生成：发布时间 {(on + PUBLISHED_AFTER).isoformat()}，"
          f"请在此日期前审核）")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
