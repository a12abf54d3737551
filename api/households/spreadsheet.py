"""Reading a county ledger (台账) spreadsheet: XLSX, or CSV in UTF-8 (with or without BOM), GBK or UTF-16.

Pure bytes-in, rows-out code with no database, so every odd file a county office produces can
be tested on its own. Ledgers often carry a title line above the headers and columns we do
not use (序号, 身份证号…); the header row is found by its names, and extra columns are
reported, not refused. The 错误原因 column of a file of rejected rows (``api.households.export``)
is neither imported nor reported: that file, once fixed, is imported again as it is.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from xml.parsers import expat as xml_errors

from api.households import xlsx
from api.households.xlsx import MAX_CELL_CHARS

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
REASON_HEADER = "错误原因"
MAX_ROWS = 100_000
_HEADER_SEARCH_ROWS = 10
# A ledger has a dozen columns; cells further right than this are not looked at, so a stray
# cell in column XFD does not turn its row into 16,384 fields.
_MAX_COLUMNS = xlsx.MAX_COLUMNS
# What an XLSX may inflate to. Its parts are read only up to their declared sizes, so checking
# those refuses a zip bomb before any XML is parsed.
_MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_SPACES = re.compile(r"\s+")
# What a damaged XLSX raises from inside zipfile, zlib and the XML parser.
_BROKEN_XLSX = (
    zipfile.BadZipFile,
    xml_errors.ExpatError,
    zlib.error,
    EOFError,
    LookupError,  # a part the workbook needs is missing
    OSError,
    RuntimeError,  # zipfile: encrypted members, unsupported compression
    TypeError,
    ValueError,
)
_UNREADABLE_XLSX = "无法读取这个 Excel 文件：它可能已损坏，或不是 .xlsx 格式。"
_UNKNOWN_ENCODING = "无法识别文件的文字编码：请保存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx。"


class SpreadsheetError(ValueError):
    """The file as a whole cannot be imported; the message says why, in words for its sender."""


class NotASpreadsheet(SpreadsheetError):
    pass


class TooManyRows(SpreadsheetError):
    pass


class _NoHeader(SpreadsheetError):
    """No header row near the top."""

    def __init__(self) -> None:
        super().__init__(f"找不到表头：前 {_HEADER_SEARCH_ROWS} 行中没有“户主姓名”“村代码”等列名。")


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
    if data.startswith(_XLSX_MAGIC):
        return _xlsx_table(data)
    if data.startswith(_OLE_MAGIC):
        # The old binary format, and also any Excel file saved with an opening password.
        raise NotASpreadsheet(
            "这是旧版 Excel（.xls）文件，或设置了打开密码的 Excel 文件：请在 Excel 中取消密码，"
            "“另存为” .xlsx 或 CSV 后再导入。"
        )
    return _csv_table(data)


def _xlsx_table(data: bytes) -> Table:
    """The first sheet that has a ledger header (a 说明 sheet in front of the ledger is common)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_UNZIPPED_BYTES:
                raise TooManyRows("这个 Excel 文件解压后过大，请把台账拆分后分批导入。")
            strings = xlsx.shared_strings(archive)
            first_error: SpreadsheetError | None = None
            for part in xlsx.sheets(archive):
                try:
                    return _to_table(xlsx.rows(archive, part, strings))
                except _NoHeader as exc:
                    first_error = first_error or exc
    except xlsx.XlsxError as exc:
        raise NotASpreadsheet(str(exc)) from exc
    except SpreadsheetError:
        raise
    except _BROKEN_XLSX as exc:
        raise NotASpreadsheet(_UNREADABLE_XLSX) from exc
    if first_error is None:
        raise SpreadsheetError("这个 Excel 文件中没有工作表。")
    raise SpreadsheetError(str(first_error))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode 文本" (.txt): UTF-16 with a byte order mark, tab-separated.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotASpreadsheet(_UNKNOWN_ENCODING) from exc
    if b"\x00" in data:
        raise NotASpreadsheet("这不是 CSV 或 Excel（.xlsx）文件。请上传台账表格。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotASpreadsheet(_UNKNOWN_ENCODING)


def _delimiter(lines: Sequence[str]) -> str:
    """Tab or comma, judged on the header line: a title line above it may have neither."""
    for line in lines:
        if any(name in line for name in HEADERS) and ("\t" in line or "," in line):
            return "\t" if line.count("\t") > line.count(",") else ","
    tabs = sum(line.count("\t") for line in lines)
    commas = sum(line.count(",") for line in lines)
    return "\t" if tabs > commas else ","


def _csv_table(data: bytes) -> Table:
    text = _decode(data)
    if not text.strip():
        raise SpreadsheetError("文件是空的。")
    start = text.lstrip()
    if start.startswith("<"):
        raise NotASpreadsheet(
            "这是网页（HTML）格式的文件，不是表格：有些系统导出的 .xls 其实是网页。"
            "请在 Excel 中打开后“另存为” .xlsx 或 CSV 再导入。"
        )
    if start.startswith(("{", "%PDF")):
        raise NotASpreadsheet("这不是 CSV 或 Excel（.xlsx）文件。请上传台账表格。")
    delimiter = _delimiter(text[: 1 << 16].splitlines()[:_HEADER_SEARCH_ROWS])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _to_table((number, [cell.strip() for cell in row]) for number, row in enumerate(reader, start=1))
    except _NoHeader as exc:
        if delimiter not in text:
            # Not one line splits into columns: a text file, not a table.
            raise NotASpreadsheet("这不是台账表格：文件中没有分列的内容。请上传 CSV 或 Excel（.xlsx）台账。") from exc
        raise SpreadsheetError(str(exc)) from exc
    except csv.Error as exc:
        raise NotASpreadsheet(f"CSV 格式有误：{exc}") from exc


def _header_names(cells: Iterable[str]) -> list[str]:
    """Header cells as names: Excel headers are often wrapped onto two lines inside the cell."""
    return [_SPACES.sub("", cell.replace("\ufeff", "")) for cell in cells]


def _cut(cell: str) -> str:
    return cell.strip()[: MAX_CELL_CHARS + 1]


def _to_table(numbered_rows: Iterable[tuple[int, list[str]]]) -> Table:
    """The ledger in rows numbered as the spreadsheet shows them, each cell cut to a length
    no field allows (so that an over-long cell is refused with its row, never kept shortened)."""
    rows_iter: Iterator[tuple[int, list[str]]] = iter(numbered_rows)
    header: list[str] | None = None
    for number, cells in rows_iter:
        if number > _HEADER_SEARCH_ROWS:
            break
        names = _header_names(cells[:_MAX_COLUMNS])
        if any(name in HEADERS for name in names):
            header = names
            break
    if header is None:
        raise _NoHeader()
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise SpreadsheetError(f"缺少必需的列：{'、'.join(missing)}。表头应包含：{'、'.join(HEADERS)}。")
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        if name in HEADERS and HEADERS[name] not in positions:
            positions[HEADERS[name]] = index
        elif name and name != REASON_HEADER:
            ignored.append(name)

    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in rows_iter:
        values = {
            field: cells[i].strip()[: MAX_CELL_CHARS + 1] if i < len(cells) else "" for field, i in positions.items()
        }
        if not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise TooManyRows(f"一次最多导入 {MAX_ROWS} 户，请把文件拆分后分批导入。")
        rows.append((number, values))
    return Table(columns=list(positions), ignored_columns=ignored, rows=rows)
