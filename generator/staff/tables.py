"""Read a case-system export (CSV or XLSX) into header + numbered rows, nothing more.

Row numbers are the ones a clerk sees in Excel: the header is row 1. For CSV that is the
record's position (a cell with a line break still counts as one row), as Excel shows it.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")


class TableError(Exception):
    """The file cannot be read as a table; the message is for staff (Chinese)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number, cells); empty rows left out
    encoding: str | None = None  # CSV only: how it was decoded
    notes: list[str] = field(default_factory=list)


def read_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    if suffix == ".xls":
        raise TableError("不支持旧版 .xls 文件：请在 Excel 中“另存为” .xlsx 或 CSV 后再导入")
    raise TableError(f"不支持的文件类型 {path.suffix or '（无扩展名）'}：请提供 .csv 或 .xlsx 文件")


def _rows(raw: list[tuple[int, list[Any]]]) -> Table:
    """First row is the header; blank rows (every cell empty) are skipped."""
    raw = [(n, cells) for n, cells in raw if any(not _blank(c) for c in cells)]
    if not raw:
        raise TableError("文件是空的：第一行应为列名，其后每行一条记录")
    header_row, headers = raw[0]
    if header_row != 1:
        raise TableError(f"第 1 行为空：第一行应为列名（现在的列名在第 {header_row} 行）")
    names = ["" if _blank(h) else str(h).strip() for h in headers]
    while names and not names[-1]:
        names.pop()
    width = len(names)
    rows = [(n, (cells + [None] * width)[:width]) for n, cells in raw[1:]]
    return Table(names, rows)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise TableError(f"无法作为 Excel 工作簿打开（文件损坏或不是 .xlsx）：{exc}") from None
    try:
        if not wb.worksheets:
            raise TableError("工作簿中没有工作表")
        sheet = wb.worksheets[0]
        raw = [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        table = _rows(raw)
        if len(wb.worksheets) > 1:
            table.notes.append(f"只导入第一个工作表“{sheet.title}”，其余 {len(wb.worksheets) - 1} 个工作表被忽略")
        return table
    finally:
        wb.close()


def decode_csv(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first; else GB18030, which covers GBK and GB2312 —
    what Excel on a Chinese Windows writes for “CSV”."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8（带 BOM）"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError("文件是 UTF-16 编码（Excel“Unicode 文本”）：请另存为“CSV UTF-8（逗号分隔）”或 .xlsx")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK/GB18030"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TableError(f"第 {line} 行附近含有无法识别的字节：文件既不是 UTF-8 也不是 GBK 编码") from None


def _read_csv(path: Path) -> Table:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(f"无法读取文件：{exc.strerror}") from None
    try:
        text, encoding = decode_csv(data)
    except UnicodeDecodeError:
        raise TableError("文件以 UTF-8 BOM 开头，但内容不是 UTF-8 编码") from None
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        raw = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1)]
    except csv.Error as exc:
        raise TableError(f"CSV 格式错误：{exc}") from None
    table = _rows(raw)  # type: ignore[arg-type]
    table.encoding = encoding
    return table
