"""Adding just-stored visits and check-ins to the dashboard rollups, in the same transaction.

Callers pass only records that were inserted by this transaction (``insert_new``'s answer), so
a resent record is never counted twice; every update here is commutative, so order and
lateness do not matter.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

from api.clock import monday_of
from api.oversight.models import PresenceDay, VillageActivity, VisitDay, VisitWeek

NIGHT_STARTS = dt.time(20, 0)
NIGHT_ENDS = dt.time(6, 0)


@dataclass(frozen=True)
class StoredVisit:
    village_code: str
    user_id: int
    started_at: dt.datetime
    home_visit: bool


@dataclass(frozen=True)
class StoredCheckin:
    village_code: str
    user_id: int
    at: dt.datetime
    on_site: bool


def _insert(session: Session, model: type[SQLModel]) -> Any:
    dialect = session.connection().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def add_visits(session: Session, visits: Iterable[StoredVisit], *, tz: ZoneInfo) -> None:
    """Count the visits into their day and week rows and the villages' latest visit."""
    visits = list(visits)
    add_visit_days(session, visits, tz=tz)
    add_week_counts(
        session, Counter((v.village_code, monday_of(v.started_at.astimezone(tz).date()), v.user_id) for v in visits)
    )


def add_week_counts(session: Session, counts: Counter[tuple[str, dt.date, int]]) -> None:
    """Add visit counts keyed by (village, the week's Monday, secretary) to the week rows."""
    if not counts:
        return
    stmt = _insert(session, VisitWeek)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["village_code", "week", "user_id"],
            set_={"visits": VisitWeek.__table__.c.visits + stmt.excluded.visits},  # type: ignore[attr-defined]
        ),
        [{"village_code": v, "week": w, "user_id": u, "visits": n} for (v, w, u), n in sorted(counts.items())],
    )


def add_visit_days(session: Session, visits: Sequence[StoredVisit], *, tz: ZoneInfo) -> None:
    """Count the visits into their (village, local day, secretary) rows and the villages' latest visit.

    Migration 20261201_0004 fills the tables it creates with this.
    """
    if not visits:
        return
    counts: Counter[tuple[str, dt.date, int]] = Counter()
    homes: Counter[tuple[str, dt.date, int]] = Counter()
    latest: dict[str, dt.datetime] = {}
    for v in visits:
        key = (v.village_code, v.started_at.astimezone(tz).date(), v.user_id)
        counts[key] += 1
        homes[key] += v.home_visit
        if v.village_code not in latest or v.started_at > latest[v.village_code]:
            latest[v.village_code] = v.started_at
    day_rows = [
        {"village_code": village, "day": day, "user_id": user, "visits": n, "home_visits": homes[(village, day, user)]}
        for (village, day, user), n in sorted(counts.items())
    ]
    stmt = _insert(session, VisitDay)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["village_code", "day", "user_id"],
            set_={
                "visits": VisitDay.__table__.c.visits + stmt.excluded.visits,  # type: ignore[attr-defined]
                "home_visits": VisitDay.__table__.c.home_visits + stmt.excluded.home_visits,  # type: ignore[attr-defined]
            },
        ),
        day_rows,
    )
    stmt = _insert(session, VillageActivity)
    current = VillageActivity.__table__.c.last_visit_at  # type: ignore[attr-defined]
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["village_code"],
            set_={
                "last_visit_at": case(
                    (stmt.excluded.last_visit_at > current, stmt.excluded.last_visit_at), else_=current
                )
            },
        ),
        [{"village_code": village, "last_visit_at": at} for village, at in sorted(latest.items())],
    )


def presence_of(at: dt.datetime, *, tz: ZoneInfo) -> list[tuple[dt.date, bool]]:
    """The day a check-in shows presence on, and the night too when it is made at night."""
    local = at.astimezone(tz)
    marks = [(local.date(), False)]
    if local.time() >= NIGHT_STARTS:
        marks.append((local.date(), True))
    elif local.time() < NIGHT_ENDS:
        marks.append((local.date() - dt.timedelta(days=1), True))
    return marks


def add_checkins(session: Session, checkins: Iterable[StoredCheckin], *, tz: ZoneInfo) -> None:
    """Mark the days and nights the check-ins show; one made off site shows no presence."""
    rows = {
        (c.village_code, day, c.user_id, night)
        for c in checkins
        if c.on_site
        for day, night in presence_of(c.at, tz=tz)
    }
    if not rows:
        return
    stmt = _insert(session, PresenceDay).on_conflict_do_nothing()
    session.execute(
        stmt,
        [{"village_code": v, "day": d, "user_id": u, "night": n} for v, d, u, n in sorted(rows)],
    )
