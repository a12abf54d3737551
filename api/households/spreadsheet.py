"""Reading a county ledger (台账) spreadsheet: XLSX, or CSV in UTF-8 (with or without BOM) or GBK.

Pure bytes-in, rows-out code with no database, so every odd file a county office produces can
be tested on its own. Ledgers often carry a title line above the headers and columns we do
not use (序号, 身份证号…); the header row is found by its names, and extra columns are
reported, not refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

HEADERS = {
    "村代码": "village_code",
    "户编号": "household_no",
    "户主姓名": "head_name",
    "村民小组": "group_name",
    "住址": "address",
    "联系电话": "phone",
    "标签": "tags",
}
REQUIRED = ("村代码", "户编号", "户主姓名")
MAX_ROWS = 100_000
_HEADER_SEARCH_ROWS = 10


class SpreadsheetError(ValueError):
    """The file as a whole cannot be imported; the message says why, in words for its sender."""


class NotASpreadsheet(SpreadsheetError):
    pass


class TooManyRows(SpreadsheetError):
    pass


@dataclass
class Table:
    """The ledger's rows as ``{field: text}``, each with the row number a spreadsheet shows."""

    columns: list[str]
    ignored_columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_table(data: bytes) -> Table:
    """Parse an uploaded ledger, or raise ``SpreadsheetError`` saying what is wrong with it."""
    if not data.strip():
        raise SpreadsheetError("文件是空的。")
    if data.startswith(b"PK\x03\x04"):
        raw_rows = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotASpreadsheet("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 或 CSV 后再导入。")
    else:
        raw_rows = _csv_rows(data)
    return _to_table(raw_rows)


def _cell_text(value: Any) -> str:
    """Spreadsheet cells as text; Excel turns 户编号 and phone numbers into numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise NotASpreadsheet("无法读取这个 Excel 文件：它可能已损坏，或不是 .xlsx 格式。") from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise NotASpreadsheet("这不是 CSV 或 Excel（.xlsx）文件。请上传台账表格。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotASpreadsheet("无法识别文件的文字编码：请保存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx。")


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [cell.strip() for cell in row]
    except csv.Error as exc:
        raise NotASpreadsheet(f"CSV 格式有误：{exc}") from exc


def _to_table(raw_rows: Iterator[list[str]]) -> Table:
    header: list[str] | None = None
    header_row = 0
    for number, cells in enumerate(raw_rows, start=1):
        names = [cell.replace("\ufeff", "").strip() for cell in cells]
        if any(name in HEADERS for name in names):
            header, header_row = names, number
            break
        if number >= _HEADER_SEARCH_ROWS:
            break
    if header is None:
        raise SpreadsheetError(f"找不到表头：前 {_HEADER_SEARCH_ROWS} 行中没有“户主姓名”“村代码”等列名。")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise SpreadsheetError(f"缺少必需的列：{'、'.join(missing)}。表头应包含：{'、'.join(HEADERS)}。")
    positions = {HEADERS[name]: index for index, name in enumerate(header) if name in HEADERS}
    ignored = [name for name in header if name and name not in HEADERS]

    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(raw_rows, start=header_row + 1):
        if not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise TooManyRows(f"一次最多导入 {MAX_ROWS} 户，请把文件拆分后分批导入。")
        rows.append((number, {field: cells[i] if i < len(cells) else "" for field, i in positions.items()}))
    return Table(columns=list(positions), ignored_columns=ignored, rows=rows)
