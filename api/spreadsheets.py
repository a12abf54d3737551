"""Tables as files a county office opens in Excel: CSV with a byte-order mark, or XLSX sheets
with Chinese headers, column widths, number formats, a frozen header and a print setup.

The dashboards' overview and the quarterly bulletin both describe their tables as columns
here, so every export looks and prints the same, and is equally safe to open:

- A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
  a spreadsheet program (OWASP's "CSV injection"): a village renamed
  ``=HYPERLINK("http://…","点击")`` would put a live link in the county office's hands. In a CSV
  such text gets a leading ``'``; in an XLSX every text is a text cell, marked so that Excel
  keeps it text even when someone edits it.
- Control characters that an XLSX cannot hold (stored before names refused them) become
  "\ufffd" instead of failing the whole export.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from starlette.concurrency import run_in_threadpool

Row = TypeVar("Row")
SHEET_ROWS = 1_000_000  # rows of a sheet, a round number below Excel's limit of 1,048,576
_PIECE = 64 * 1024  # bytes of a finished XLSX sent at a time

PERCENT = "0.0%"
POINTS = "+0.0%;-0.0%;0.0%"  # a change between two percentages, signed
COUNT = "#,##0"
TEXT = "@"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _clean(value: Any) -> Any:
    """Text an XLSX can hold; other values as they are."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell that no spreadsheet program takes for a formula."""
    value = _clean(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


@dataclass(frozen=True)
class Column(Generic[Row]):
    """A column: its header, how to read a row's value, its width in Excel's units, its format
    (one for the column, or one per row for a sheet of labelled figures)."""

    header: str
    value: Callable[[Row], Any]
    width: int
    number_format: str | Callable[[Row], str | None] | None = None

    def format_of(self, row: Row) -> str | None:
        return self.number_format(row) if callable(self.number_format) else self.number_format


def csv_bytes(columns: Sequence[Column[Row]], rows: Iterable[Row]) -> bytes:
    """A whole CSV file: its header (see ``csv_header``) and its rows."""
    return csv_header(columns) + csv_rows(columns, rows)


def csv_header(columns: Sequence[Column[Row]]) -> bytes:
    """The start of a CSV file: the byte-order mark Excel needs to read Chinese, and the header row."""
    return "\ufeff".encode() + _csv_lines([[c.header for c in columns]])


def csv_rows(columns: Sequence[Column[Row]], rows: Iterable[Row]) -> bytes:
    """Rows of a CSV file, without its header: a file sent in parts is the header, then these."""
    return _csv_lines([c.value(row) for c in columns] for row in rows)


def _csv_lines(lines: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([csv_cell(value) for value in line] for line in lines)
    return out.getvalue().encode("utf-8")


def new_book(*, write_only: bool = False) -> Workbook:
    """A workbook without its default empty sheet.

    A write-only workbook keeps its rows in a temporary file rather than in memory, for exports
    whose length has no bound; its sheets are filled with ``start_sheet`` and ``append_rows``.
    """
    book = Workbook(write_only=write_only)
    if book.active is not None:
        book.remove(book.active)
    return book


def add_sheet(
    book: Workbook,
    name: str,
    columns: Sequence[Column[Row]],
    rows: Iterable[Row],
    *,
    title: str,
    landscape: bool = True,
) -> None:
    """A sheet with a bold, frozen header row, set widths and formats, ready to print on A4."""
    append_rows(start_sheet(book, name, columns, title=title, landscape=landscape), columns, rows)


def start_sheet(
    book: Workbook, name: str, columns: Sequence[Column[Row]], *, title: str, landscape: bool = True
) -> Worksheet:
    """A new sheet with its bold, frozen header row, column widths and A4 print setup, and no rows yet.

    The header row goes in last: a write-only sheet writes its columns, views and print setup
    when its first row arrives.
    """
    # Typed as a worksheet: a write-only sheet has the same settings, made with it.
    sheet: Worksheet = book.create_sheet(name)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header = [_cell(sheet, column.header, None) for column in columns]
    for cell in header:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if sheet.oddHeader is not None:
        sheet.oddHeader.center.text = title
    if sheet.oddFooter is not None:
        sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.append(header)
    return sheet


def append_rows(sheet: Worksheet, columns: Sequence[Column[Row]], rows: Iterable[Row]) -> None:
    """Rows at the bottom of a sheet made by ``start_sheet``, every text a text cell."""
    for row in rows:
        sheet.append([_cell(sheet, column.value(row), column.format_of(row)) for column in columns])


def _cell(sheet: Worksheet, value: Any, number_format: str | None) -> Cell:
    cell = WriteOnlyCell(sheet, _clean(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl makes "=…" a formula; stored text is never one
        cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    return cell


def book_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def csv_stream(columns: Sequence[Column[Row]], chunks: AsyncIterator[Sequence[Row]]) -> AsyncIterator[bytes]:
    """A CSV of any length, sent a chunk of rows at a time as they are read."""
    yield csv_header(columns)
    async for chunk in chunks:
        yield csv_rows(columns, chunk)


async def xlsx_stream(
    columns: Sequence[Column[Row]], chunks: AsyncIterator[Sequence[Row]], *, sheet_name: str, title: str
) -> AsyncIterator[bytes]:
    """An XLSX of any length in bounded memory. A workbook is a zip whose index comes last, so its
    rows go to write-only sheets (temporary files, not memory) and the finished file is sent from
    disk. Rows beyond what a sheet holds go on in a second sheet, and so on."""
    book = new_book(write_only=True)
    sheet, written = start_sheet(book, sheet_name, columns, title=title), 0
    async for chunk in chunks:
        if written + len(chunk) > SHEET_ROWS:
            name = f"{sheet_name}（{len(book.worksheets) + 1}）"
            sheet, written = start_sheet(book, name, columns, title=title), 0
        await run_in_threadpool(append_rows, sheet, columns, chunk)
        written += len(chunk)
    with tempfile.TemporaryFile() as out:
        await run_in_threadpool(book.save, out)
        out.seek(0)
        while piece := await run_in_threadpool(out.read, _PIECE):
            yield piece
