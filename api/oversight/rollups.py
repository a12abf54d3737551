"""Adding just-stored visits and check-ins to the dashboard rollups, in the same transaction.

Callers pass only records that were inserted by this transaction (``insert_new``'s answer), so
a resent record is never counted twice; every update here is commutative, so order and
lateness do not matter.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, Table, case
from sqlmodel import Session

from api.clock import monday_of
from api.db import upsert_insert
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


@dataclass(frozen=True)
class _Upserts:
    """The four upserts, built once per database kind: building one costs more than running it."""

    visit_day: Executable
    visit_week: Executable
    village_activity: Executable
    presence_day: Executable


@functools.cache
def _upserts(dialect: str) -> _Upserts:
    day: Table = VisitDay.__table__  # type: ignore[attr-defined]
    week: Table = VisitWeek.__table__  # type: ignore[attr-defined]
    activity: Table = VillageActivity.__table__  # type: ignore[attr-defined]
    new_day, new_week, new_activity = (upsert_insert(dialect, t) for t in (day, week, activity))
    return _Upserts(
        visit_day=new_day.on_conflict_do_update(
            index_elements=["village_code", "day", "user_id"],
            set_={
                "visits": day.c.visits + new_day.excluded.visits,
                "home_visits": day.c.home_visits + new_day.excluded.home_visits,
            },
        ),
        visit_week=new_week.on_conflict_do_update(
            index_elements=["village_code", "week", "user_id"],
            set_={"visits": week.c.visits + new_week.excluded.visits},
        ),
        village_activity=new_activity.on_conflict_do_update(
            index_elements=["village_code"],
            set_={
                "last_visit_at": case(
                    (
                        new_activity.excluded.last_visit_at > activity.c.last_visit_at,
                        new_activity.excluded.last_visit_at,
                    ),
                    else_=activity.c.last_visit_at,
                )
            },
        ),
        presence_day=upsert_insert(dialect, PresenceDay.__table__).on_conflict_do_nothing(),  # type: ignore[attr-defined]
    )


def _run(session: Session, pick: Callable[[_Upserts], Executable], rows: list[dict[str, Any]]) -> None:
    """Run one of the upserts for ``rows`` on the session's connection (plain SQL, no ORM)."""
    connection = session.connection()
    connection.execute(pick(_upserts(connection.dialect.name)), rows)


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
    _run(
        session,
        lambda u: u.visit_week,
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
    _run(session, lambda u: u.visit_day, day_rows)
    _run(
        session,
        lambda u: u.village_activity,
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
    _run(
        session,
        lambda u: u.presence_day,
        [{"village_code": v, "day": d, "user_id": u, "night": n} for v, d, u, n in sorted(rows)],
    )
