"""Fictitious identity numbers and case-system export sheets for the staff-tool tests.

Every number here is made up: a region code, a birth date and a sequence chosen by the
test, with the GB 11643 check digit computed, so it is valid without being anyone's.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from stdnum.cn import uscc

from generator.domain import ids


def full_id(region: str = "370502", born: str = "19850101", seq: str = "123") -> str:
    first17 = region + born + seq
    return first17 + ids.check_digit(first17)


def bad_check_digit(number: str) -> str:
    wrong = "0" if number[17] != "0" else "1"
    return number[:17] + wrong


def make_uscc(body: str = "91370502MA3C0ABCD") -> str:
    return body + uscc.calc_check_digit(body)


# SPEC §5.1 headers, in the order a case system might export them, plus one it does not know.
HEADERS = [
    "执行案号", "执行法院", "地区代码", "立案时间", "作出执行依据单位", "执行依据文号", "被执行人类型",
    "被执行人姓名/名称", "证件号码", "法定代表人或负责人", "生效法律文书确定的义务", "履行情况", "未履行金额",
    "失信情形", "发布时间", "期限（年）", "延长理由", "纳入决定书文号", "录入人", "被执行人序号", "备注",
]  # fmt: skip


def person_row(n: int, **changes: Any) -> dict[str, Any]:
    """A good person row for case （2025）鲁0502执{n}号."""
    row: dict[str, Any] = {
        "执行案号": f"（2025）鲁0502执{n}号",
        "执行法院": "东营市东营区人民法院",
        "地区代码": "370502",
        "立案时间": "2025-03-05",
        "作出执行依据单位": "东营市东营区人民法院",
        "执行依据文号": f"（2024）鲁0502民初{n}号",
        "被执行人类型": "自然人",
        "被执行人姓名/名称": f"测试甲{n}",
        "证件号码": full_id(seq=f"{n % 1000:03d}"),
        "法定代表人或负责人": "",
        "生效法律文书确定的义务": "支付货款120000元及利息",
        "履行情况": "全部未履行",
        "未履行金额": "120000",
        "失信情形": "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行",
        "发布时间": "2025-06-01",
        "期限（年）": "2",
        "延长理由": "",
        "纳入决定书文号": f"（2025）鲁0502执{n}号之一",
        "录入人": "王某（书记员）",
        "被执行人序号": "",
        "备注": "虚构测试数据",
    }
    row.update(changes)
    return row


def org_row(n: int, **changes: Any) -> dict[str, Any]:
    row = person_row(
        n,
        **{
            "被执行人类型": "法人或其他组织",
            "被执行人姓名/名称": f"东营测试{n}商贸有限公司",
            "证件号码": make_uscc(),
            "法定代表人或负责人": "测试乙",
            "履行情况": "部分未履行",
            "未履行金额": "1,234.50",
            "失信情形": "以伪造证据、暴力、威胁等方法妨碍、抗拒执行、违反财产报告制度",
            "期限（年）": "3",
            "延长理由": "以暴力、威胁方法妨碍、抗拒执行情节严重",
        },
    )
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8", headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        for row in rows:
            w.writerow(["" if row.get(h) is None else row.get(h, "") for h in headers])
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any] | None], headers: list[str] = HEADERS) -> Path:
    """A real workbook; None in `rows` leaves a blank line (Excel row numbers keep counting)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "失信名单"
    ws.append(headers)
    for row in rows:
        ws.append([] if row is None else [row.get(h) for h in headers])
    # date cells as Excel stores them: a number with a date format
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    other = wb.create_sheet("说明")
    other.append(["本工作簿为虚构测试数据"])
    wb.save(path)
    return path
