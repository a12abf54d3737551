"""The village overview as a file a county office opens in Excel (CSV or XLSX, Chinese headers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from api.oversight.schemas import VillageRow

Cell = Callable[[VillageRow, ZoneInfo], Any]

# Header, value, column width (in Excel's character units), number format.
COLUMNS: list[tuple[str, Cell, int, str | None]] = [
    ("乡镇", lambda r, tz: r.town_name or "", 12, None),
    ("村", lambda r, tz: r.village_name, 12, None),
    ("村代码", lambda r, tz: r.village_code, 14, "@"),
    ("软弱涣散村", lambda r, tz: "是" if r.weak_lax else "否", 10, None),
    ("第一书记", lambda r, tz: "、".join(s.display_name for s in r.secretaries), 14, None),
    ("农户数", lambda r, tz: r.households, 8, "0"),
    ("走访户数", lambda r, tz: r.households_visited, 9, "0"),
    ("覆盖率", lambda r, tz: r.coverage, 8, "0.0%"),
    ("走访次数", lambda r, tz: r.visits, 9, "0"),
    ("入户次数", lambda r, tz: r.home_visits, 9, "0"),
    (
        "最近一次走访",
        lambda r, tz: r.last_visit_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if r.last_visit_at else "",
        17,
        None,
    ),
    ("近30天驻村天数", lambda r, tz: r.presence_days_30, 14, "0"),
    ("近30天驻村夜数", lambda r, tz: r.nights_30, 14, "0"),
    ("未办结诉求", lambda r, tz: r.open_requests, 10, "0"),
    ("群众知晓率", lambda r, tz: r.awareness_rate, 10, "0.0%"),
    ("待处理提示", lambda r, tz: r.open_flags, 10, "0"),
]


def overview_csv(rows: Sequence[VillageRow], *, tz: ZoneInfo) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Chinese from a CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, *_ in COLUMNS])
    for row in rows:
        writer.writerow(["" if (v := cell(row, tz)) is None else v for _, cell, *_ in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def overview_xlsx(rows: Sequence[VillageRow], *, tz: ZoneInfo, title: str) -> bytes:
    """One sheet with a bold, frozen header row, set widths and number formats, ready to print."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "各村走访情况"
    sheet.append([header for header, *_ in COLUMNS])
    for row in rows:
        sheet.append([cell(row, tz) for _, cell, *_ in COLUMNS])
    for index, (_, _, width, number_format) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    if sheet.oddHeader is not None:
        sheet.oddHeader.center.text = title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
