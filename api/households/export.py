"""The ledger as files a county office fills in: the template, and the rows an import refused.

Both are made to be imported again unchanged: the ledger's own headers in the first row, every
cell a text cell (so that Excel keeps 户编号 ``0012`` and a 12-digit 村代码 as typed, and a
value such as ``=1+1`` stays text, see ``api.spreadsheets``). The rejected rows add a last
column, 错误原因, which the importer passes over when the fixed file comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from api.households.schemas import ImportRejection
from api.households.spreadsheet import HEADERS, REASON_HEADER, REQUIRED
from api.spreadsheets import TEXT, Column, add_sheet, book_bytes, csv_bytes, new_book

Cells = Mapping[str, str]

TEMPLATE_NAME = "农户台账模板"
REJECTED_NAME = "农户台账出错的行"
_WIDTHS = {
    "村代码": 15,
    "户编号": 12,
    "户主姓名": 12,
    "村民小组": 14,
    "住址": 28,
    "联系电话": 15,
    "标签": 20,
    REASON_HEADER: 48,
}
# Obviously not a real household, and importable as it is: the template is tried out that way.
_EXAMPLE = {
    "户编号": "示例0001",
    "户主姓名": "张三（示例）",
    "村民小组": "第一村民小组",
    "住址": "第一村民小组8号",
    "联系电话": "13800000000",
    "标签": "脱贫户、留守老人",
}
_NO_VILLAGE = "请填写村的12位区划代码"


def _cell(header: str) -> Callable[[Cells], str]:
    return lambda cells: cells.get(header, "")


def _columns(headers: Iterable[str]) -> list[Column[Cells]]:
    return [Column(header, _cell(header), _WIDTHS[header], TEXT) for header in headers]


def _template_rows(village_code: str | None) -> list[Cells]:
    """One example row, in a village the requester may import into when there is one."""
    return [{"村代码": village_code or _NO_VILLAGE, **_EXAMPLE}]


def template_csv(village_code: str | None) -> bytes:
    return csv_bytes(_columns(HEADERS), _template_rows(village_code))


def template_xlsx(village_code: str | None) -> bytes:
    book = new_book()
    add_sheet(book, "农户台账", _columns(HEADERS), _template_rows(village_code), title=TEMPLATE_NAME)
    return book_bytes(book)


def rejected_xlsx(rows: Sequence[ImportRejection]) -> bytes:
    """The refused rows with the columns their file had (a column it lacked is not added, so that
    importing the fixed rows does not clear it), and the reason last."""
    present = {header for row in rows for header in row.values}
    headers = [h for h in HEADERS if h in present or h in REQUIRED]
    cells = [{**row.values, REASON_HEADER: f"原表第 {row.row} 行：{row.reason}"} for row in rows]
    book = new_book()
    add_sheet(book, "出错的行", _columns([*headers, REASON_HEADER]), cells, title=REJECTED_NAME)
    return book_bytes(book)
