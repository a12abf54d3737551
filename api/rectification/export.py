"""The ledgers of a scope as one XLSX a county office files and prints (整改台账).

One row per measure, under its problem's columns; a problem with no measure yet still has its
row, with the measure's columns empty, so that nothing found is missing from the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from api.auth.principal import Principal
from api.rectification.models import (
    MEASURE_STATUSES,
    PROBLEM_CATEGORIES,
    RESPONSIBLE,
    RectificationMeasure,
    RectificationProblem,
    RectificationProgress,
)
from api.rectification.schemas import RECTIFICATION_LABELS
from api.rectification.service import is_overdue
from api.regions.models import Region
from api.spreadsheets import TEXT, Column, add_sheet, book_bytes, new_book


@dataclass(frozen=True)
class LedgerRow:
    town: str
    village: str
    village_status: str
    problem: RectificationProblem
    measure: RectificationMeasure | None
    latest: RectificationProgress | None


def ledger_rows(session: Session, *, by: Principal, scope: str | None) -> list[LedgerRow]:
    """Every problem and measure in the scope, ordered by town, village, problem, deadline."""
    town = aliased(Region)
    stmt = (
        select(RectificationProblem, RectificationMeasure, Region, town)
        .join(Region, col(Region.code) == col(RectificationProblem.village_code))
        .join(town, col(town.code) == col(Region.parent_code), isouter=True)
        .join(
            RectificationMeasure,
            col(RectificationMeasure.problem_id) == col(RectificationProblem.id),
            isouter=True,
        )
        .where(by.where_under(RectificationProblem.village_code, scope))
        .order_by(
            col(Region.parent_code),
            col(Region.code),
            col(RectificationProblem.found_on),
            col(RectificationProblem.id),
            col(RectificationMeasure.deadline),
            col(RectificationMeasure.id),
        )
    )
    rows = list(session.exec(stmt))
    latest = _latest_progress(session, {m.id for _, m, _, _ in rows if m is not None})
    return [
        LedgerRow(
            town=t.name if t is not None else "",
            village=v.name,
            village_status=v.rectification_status,
            problem=p,
            measure=m,
            latest=latest.get(m.id) if m is not None and m.id is not None else None,
        )
        for p, m, v, t in rows
    ]


def _latest_progress(session: Session, measure_ids: set[int | None]) -> dict[int, RectificationProgress]:
    """Each measure's newest report, in one grouped query per 500 measures."""
    found: dict[int, RectificationProgress] = {}
    ordered = sorted(i for i in measure_ids if i is not None)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        newest = (
            sa_select(col(RectificationProgress.measure_id), func.max(col(RectificationProgress.at)).label("at"))
            .where(col(RectificationProgress.measure_id).in_(chunk))
            .group_by(col(RectificationProgress.measure_id))
            .subquery()
        )
        stmt = select(RectificationProgress).join(
            newest,
            (newest.c.measure_id == col(RectificationProgress.measure_id))
            & (newest.c.at == col(RectificationProgress.at)),
        )
        for report in session.exec(stmt):
            found[report.measure_id] = report
    return found


def _columns(tz: ZoneInfo, today: dt.date) -> list[Column[LedgerRow]]:
    def when(at: dt.datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""

    def latest(r: LedgerRow) -> str:
        if r.latest is None:
            return ""
        return f"{r.latest.at.astimezone(tz).strftime('%Y-%m-%d')} {r.latest.text}"

    return [
        Column("乡镇", lambda r: r.town, 12),
        Column("村", lambda r: r.village, 12),
        Column("问题类别", lambda r: PROBLEM_CATEGORIES[r.problem.category], 14),
        Column("问题描述", lambda r: r.problem.description, 40),
        Column("发现单位/人", lambda r: r.problem.found_by, 16),
        Column("发现日期", lambda r: r.problem.found_on.isoformat(), 12, TEXT),
        Column("整改措施", lambda r: r.measure.text if r.measure else "", 40),
        Column("整改目标", lambda r: r.measure.target if r.measure else "", 30),
        Column("完成时限", lambda r: r.measure.deadline.isoformat() if r.measure else "", 12, TEXT),
        Column("责任主体", lambda r: RESPONSIBLE[r.measure.responsible] if r.measure else "", 14),
        Column("状态", lambda r: MEASURE_STATUSES[r.measure.status] if r.measure else "", 12),
        Column("是否逾期", lambda r: ("是" if is_overdue(r.measure, today) else "否") if r.measure else "", 9),
        Column("最新进展", latest, 40),
        Column("完成时间", lambda r: when(r.measure.done_at) if r.measure else "", 17),
        Column("乡镇确认时间", lambda r: when(r.measure.confirmed_at) if r.measure else "", 17),
        Column("整改验收状态", lambda r: RECTIFICATION_LABELS.get(r.village_status, r.village_status), 12),
    ]


def ledger_xlsx(rows: list[LedgerRow], *, tz: ZoneInfo, today: dt.date, title: str) -> bytes:
    book = new_book()
    add_sheet(book, "整改台账", _columns(tz, today), rows, title=title)
    return book_bytes(book)
