"""What a supervisor's village and secretary pages show beyond the dashboard row.

These read raw records, but only one village's or one person's recent ones (a few hundred
rows through the (village_code, started_at) and (user_id, started_at) indexes).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from api.clock import start_of
from api.oversight.models import PresenceDay
from api.oversight.schemas import PresenceMark, VisitPoint
from api.visits.models import Visit


def visit_points(*, session: Session, village_code: str, since: dt.date, tz: ZoneInfo) -> list[VisitPoint]:
    """Where the village's visits since ``since`` were recorded, for the plot against its radius."""
    stmt = select(Visit).where(
        Visit.village_code == village_code,
        col(Visit.started_at) >= start_of(since, tz),
        col(Visit.lat).is_not(None),
    )
    return [
        VisitPoint(
            visit_id=v.id,
            user_id=v.user_id,
            kind=v.kind,
            started_at=v.started_at,
            lat=v.lat,
            lon=v.lon,
            accuracy_m=v.accuracy_m,
            off_site="off_site" in v.checks,
        )
        for v in session.exec(stmt.order_by(col(Visit.started_at)))
    ]


def presence_calendar(*, session: Session, user_id: int, since: dt.date) -> list[PresenceMark]:
    """The days (and nights) a secretary was present in a village since ``since``."""
    marks: dict[tuple[dt.date, str], PresenceMark] = {}
    for p in session.exec(select(PresenceDay).where(PresenceDay.user_id == user_id, col(PresenceDay.day) >= since)):
        mark = marks.setdefault((p.day, p.village_code), PresenceMark(day=p.day, village_code=p.village_code))
        if p.night:
            mark.night = True
        else:
            mark.day_present = True
    return sorted(marks.values(), key=lambda m: (m.day, m.village_code))


def punch_card(*, session: Session, user_id: int, since: dt.date, tz: ZoneInfo) -> list[list[int]]:
    """Visits by weekday (Monday first) × local hour: made-up records cluster at odd hours."""
    grid = [[0] * 24 for _ in range(7)]
    for started_at in session.exec(
        select(col(Visit.started_at)).where(Visit.user_id == user_id, col(Visit.started_at) >= start_of(since, tz))
    ).all():
        local = started_at.astimezone(tz)
        grid[local.weekday()][local.hour] += 1
    return grid
