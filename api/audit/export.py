"""The audit log as a file for the county's records: CSV (UTF-8 with a byte-order mark) or XLSX.

Rows are written as they are read (``api.audit.reading.every_entry``), so a log of any length
is exported in bounded memory (``api.spreadsheets.csv_stream`` / ``xlsx_stream``). Everything a
reader controls (a user agent, a token's name, a person's name) goes through
``api.spreadsheets``, where it stays text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from api.audit.schemas import AuditEntryPublic
from api.auth.accounts import ROLE_NAMES
from api.spreadsheets import COUNT, TEXT, Column, csv_stream, xlsx_stream

ExportFormat = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TITLE = "个人信息读取记录"
SHEET_NAME = "读取记录"
RESOURCE_NAMES = {"households": "农户", "visits": "走访记录", "photos": "照片"}
_ROLE_NAMES = {**ROLE_NAMES, "api_token": "API 令牌"}


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


def csv_file(chunks: AsyncIterator[list[AuditEntryPublic]], *, tz: ZoneInfo) -> AsyncIterator[bytes]:
    return csv_stream(_columns(tz), chunks)


def xlsx_file(chunks: AsyncIterator[list[AuditEntryPublic]], *, tz: ZoneInfo) -> AsyncIterator[bytes]:
    return xlsx_stream(_columns(tz), chunks, sheet_name=SHEET_NAME, title=TITLE)
