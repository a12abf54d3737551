"""The audit log as a file for the county's records: CSV (UTF-8 with a byte-order mark) or XLSX.

Rows are written as they are read (``api.audit.reading.every_entry``), so a log of any length
is exported in bounded memory. Everything a reader controls (a user agent, a token's name, a
person's name) goes through ``api.spreadsheets``, where it stays text.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool

from api.audit.schemas import AuditEntryPublic
from api.auth.accounts import ROLE_NAMES
from api.spreadsheets import COUNT, TEXT, Column, append_rows, csv_header, csv_rows, new_book, start_sheet

ExportFormat = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TITLE = "个人信息读取记录"
SHEET_NAME = "读取记录"
SHEET_ROWS = 1_000_000  # rows of a sheet, a round number below Excel's limit of 1,048,576
RESOURCE_NAMES = {"households": "农户", "visits": "走访记录", "photos": "照片"}
_ROLE_NAMES = {**ROLE_NAMES, "api_token": "API 令牌"}
_PIECE = 64 * 1024  # bytes of a finished XLSX sent at a time


def _columns(tz: ZoneInfo) -> list[Column[AuditEntryPublic]]:
    def local(at: datetime) -> datetime:
        # Spreadsheets have no time zones: the county's own clock, to the second.
        return at.astimezone(tz).replace(tzinfo=None, microsecond=0)

    return [
        Column("读取时间", lambda e: local(e.at), 20, "yyyy-mm-dd hh:mm:ss"),
        Column("账号", lambda e: e.username, 16, TEXT),
        Column("姓名", lambda e: e.user_display_name, 12, TEXT),
        Column("API 令牌", lambda e: e.token_name, 20, TEXT),
        Column("角色", lambda e: _ROLE_NAMES.get(e.role, e.role), 10, TEXT),
        Column("读取内容", lambda e: RESOURCE_NAMES[e.resource], 10, TEXT),
        Column("记录编号", lambda e: e.record_id, 38, TEXT),
        Column("列表的筛选条件", lambda e: json.dumps(e.filters, ensure_ascii=False) if e.filters else None, 30, TEXT),
        Column("返回条数", lambda e: e.row_count, 10, COUNT),
        Column("客户端地址", lambda e: e.client_addr, 16, TEXT),
        Column("浏览器或程序", lambda e: e.user_agent, 40, TEXT),
    ]


async def csv_file(chunks: AsyncIterator[list[AuditEntryPublic]], *, tz: ZoneInfo) -> AsyncIterator[bytes]:
    """The CSV, sent a chunk of rows at a time."""
    columns = _columns(tz)
    yield csv_header(columns)
    async for chunk in chunks:
        yield csv_rows(columns, chunk)


async def xlsx_file(chunks: AsyncIterator[list[AuditEntryPublic]], *, tz: ZoneInfo) -> AsyncIterator[bytes]:
    """The XLSX. A workbook is a zip whose index comes last, so its rows go to write-only sheets
    (temporary files, not memory) and the finished file is sent from disk. A log longer than a
    sheet holds goes on in a second sheet, and so on."""
    columns = _columns(tz)
    book = new_book(write_only=True)
    sheet, written = start_sheet(book, SHEET_NAME, columns, title=TITLE), 0
    async for chunk in chunks:
        if written + len(chunk) > SHEET_ROWS:
            name = f"{SHEET_NAME}（{len(book.worksheets) + 1}）"
            sheet, written = start_sheet(book, name, columns, title=TITLE), 0
        await run_in_threadpool(append_rows, sheet, columns, chunk)
        written += len(chunk)
    with tempfile.TemporaryFile() as out:
        await run_in_threadpool(book.save, out)
        out.seek(0)
        while piece := await run_in_threadpool(out.read, _PIECE):
            yield piece
