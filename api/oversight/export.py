"""The village overview as a file a county office opens in Excel (CSV or XLSX, Chinese headers).

A province's 20,000 villages are one file: the villages are counted a chunk at a time
(``dashboard.village_chunk``, each in a session of its own) and written as they come,
so the first bytes leave after the first chunk and memory stays flat however large the scope.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine

from api.ops.admission import Admission, in_chunks
from api.oversight.dashboard import village_chunk
from api.oversight.schemas import VillageRow
from api.spreadsheets import COUNT, PERCENT, TEXT, Column, csv_stream, xlsx_stream

SHEET_NAME = "各村走访情况"


def _columns(tz: ZoneInfo) -> list[Column[VillageRow]]:
    def last_visit(r: VillageRow) -> str:
        return r.last_visit_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if r.last_visit_at else ""

    return [
        Column("乡镇", lambda r: r.town_name or "", 12),
        Column("村", lambda r: r.village_name, 12),
        Column("村代码", lambda r: r.village_code, 14, TEXT),
        Column("软弱涣散村", lambda r: "是" if r.weak_lax else "否", 10),
        Column("第一书记", lambda r: "、".join(s.display_name for s in r.secretaries), 14),
        Column("农户数", lambda r: r.households, 8, COUNT),
        Column("走访户数", lambda r: r.households_visited, 9, COUNT),
        Column("覆盖率", lambda r: r.coverage, 8, PERCENT),
        Column("走访次数", lambda r: r.visits, 9, COUNT),
        Column("入户次数", lambda r: r.home_visits, 9, COUNT),
        Column("最近一次走访", last_visit, 17),
        Column("近30天驻村天数", lambda r: r.presence_days_30, 14, COUNT),
        Column("近30天驻村夜数", lambda r: r.nights_30, 14, COUNT),
        Column("未办结诉求", lambda r: r.open_requests, 10, COUNT),
        Column("群众知晓率", lambda r: r.awareness_rate, 10, PERCENT),
        Column("本月公开页查看", lambda r: r.public_views_month, 13, COUNT),
        Column("本月公开页留言", lambda r: r.public_messages_month, 13, COUNT),
        Column("待处理提示", lambda r: r.open_flags, 10, COUNT),
        Column("整改措施", lambda r: r.rectification.measures if r.rectification else None, 9, COUNT),
        Column("已完成", lambda r: r.rectification.measures_done if r.rectification else None, 8, COUNT),
        Column("逾期", lambda r: r.rectification.measures_overdue if r.rectification else None, 6, COUNT),
    ]


def village_chunks(
    admission: Admission, engine: Engine, where: ColumnElement[bool], *, days: int, today: dt.date, tz: ZoneInfo
) -> AsyncIterator[list[VillageRow]]:
    """Every village that ``where`` selects, in code order (so town by town), ``CHUNK`` at a time,
    each chunk with a place in line of its own (``api.ops.admission.in_chunks``)."""

    return in_chunks(admission, functools.partial(village_chunk, engine, where, days=days, today=today, tz=tz))


def overview_csv(chunks: AsyncIterator[list[VillageRow]], *, tz: ZoneInfo) -> AsyncIterator[bytes]:
    return csv_stream(_columns(tz), chunks)


def overview_xlsx(chunks: AsyncIterator[list[VillageRow]], *, tz: ZoneInfo, title: str) -> AsyncIterator[bytes]:
    return xlsx_stream(_columns(tz), chunks, sheet_name=SHEET_NAME, title=title)
