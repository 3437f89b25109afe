"""Write the staff guide's import sample: a case-system export with four fictitious rows.

The repository never holds a full 18-digit ID number (SPEC §1.2), yet an import file must:
so the sample is generated, its IDs completed with a computed GB 11643 check digit.
Region 370501 is Dongying's 市辖区 summary code, not used to issue real IDs.

    python scripts/make_import_sample.py import-sample.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.domain.ids import check_digit  # noqa: E402

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
ROWS = [
    [
        "（2026）鲁0502执101号",
        "东营市东营区人民法院",
        "370502",
        "2026-01-12",
        "东营市东营区人民法院",
        "（2025）鲁0502民初901号",
        "自然人",
        "示例甲",
        "{id:37050119800315011}",
        "",
        "支付货款86000元及利息",
        "全部未履行",
        "86000",
        "违反财产报告制度",
        "2026/3/2",
        "2",
        "",
        "（2026）鲁0502执101号之一",
        "2026-02-25",
        "2026-02-27",
        "王某（书记员）",
        "",
    ],
    [
        "（2026）鲁0502执102号",
        "东营市东营区人民法院",
        "370502",
        "2026-01-15",
        "东营市东营区人民法院",
        "（2025）鲁0502民初902号",
        "法人或其他组织",
        "东营示例商贸有限公司",
        "91370502MA3X0DEMP6",
        "示例乙",
        "支付工程款450000元",
        "部分未履行",
        "120000.50",
        "以伪造证据、暴力、威胁等方法妨碍、抗拒执行；违反限制消费令",
        "2026-03-02",
        "3",
        "以暴力、威胁方法妨碍、抗拒执行情节严重",
        "（2026）鲁0502执102号之一",
        "2026-02-25",
        "2026-02-28",
        "王某（书记员）",
        "",
    ],
    [
        "（2026）鲁0502执103号",
        "东营市东营区人民法院",
        "370502",
        "2026-01-20",
        "东营市东营区人民法院",
        "（2025）鲁0502民初903号",
        "自然人",
        "示例丙",
        "{id:37050119720908026}",
        "",
        "偿还借款本金30000元",
        "全部未履行",
        "30000",
        "有履行能力而拒不履行生效法律文书确定义务",
        "2026-03-02",
        "",
        "",
        "（2026）鲁0502执103号之一",
        "2026-02-25",
        "2026-02-27",
        "王某（书记员）",
        "1",
    ],
    [
        "（2026）鲁0502执103号",
        "东营市东营区人民法院",
        "370502",
        "2026-01-20",
        "东营市东营区人民法院",
        "（2025）鲁0502民初903号",
        "自然人",
        "示例丁",
        "{id:37050119750421043}",
        "",
        "对上述借款承担连带清偿责任",
        "全部未履行",
        "30000",
        "able_but_refuses",
        "2026-03-02",
        "",
        "",
        "（2026）鲁0502执103号之一",
        "2026-02-25",
        "2026-02-27",
        "王某（书记员）",
        "2",
    ],
]


def _full_id(cell: str) -> str:
    if cell.startswith("{id:"):
        first17 = cell[4:-1]
        return first17 + check_digit(first17)
    return cell


def write_sample(path: Path) -> Path:
    """Write the sample CSV (UTF-8 with BOM, as Excel saves "CSV UTF-8")."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for row in ROWS:
            w.writerow([_full_id(c) for c in row])
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "import-sample.csv")
    print(f"wrote {write_sample(target)}")
