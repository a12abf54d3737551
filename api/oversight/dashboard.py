"""The numbers of the two dashboards, read from the rollups a village (or secretary) at a time.

Each figure is one grouped query over small tables, restricted to the villages of the page
being answered, so a call costs the same for a county or a province's first page.

- ``households_visited``: households whose latest home visit lies in the window (the household
  row keeps its latest home visit exactly), so coverage needs no scan of the visits.
- ``visits``: every kind of visit in the window, from the per-day rollup.
- ``presence_days_30``: local days with an on-site check-in in the village by anyone posted
  there; ``nights_30``: nights (20:00–06:00) likewise.
- A secretary's ``coverage_90`` is their village's coverage: home visits are counted per
  household, not per visitor.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.assignments.models import Assignment, covering
from api.auth.models import User
from api.clock import monday_of, start_of
from api.db import utcnow
from api.flags.models import Flag
from api.households.models import Household
from api.inspections.service import latest_awareness
from api.oversight.cue import cue
from api.oversight.models import PresenceDay, VillageActivity, VisitDay, VisitWeek
from api.oversight.schemas import SecretaryRef, SecretaryRow, VillageRow
from api.pagination import PageParams, paginate
from api.public.service import month_counts
from api.rectification.service import summaries
from api.regions.models import Region
from api.requests.models import VillagerRequest, not_hidden
from api.shares import share

PRESENCE_DAYS = 30
COVERAGE_DAYS = 90
CHUNK = 500  # villages counted at a time when a whole scope is wanted: a dashboard page's worth


def _by_key(session: Session, stmt: Any) -> dict[Any, tuple[int, ...]]:
    """Rows of a grouped statement keyed by their first column; the other columns as ints."""
    return {key: tuple(int(v or 0) for v in values) for key, *values in session.execute(stmt)}


def household_counts(
    session: Session, codes: Sequence[str], *, visited_since: dt.datetime
) -> dict[str, tuple[int, ...]]:
    """Per village: (households, households whose latest home visit is at or after ``visited_since``).

    One pass over the (village_code, last_visit_at) index.
    """
    visited = func.count(case((col(Household.last_visit_at) >= visited_since, 1)))
    return _by_key(
        session,
        sa_select(col(Household.village_code), func.count(), visited)
        .where(col(Household.village_code).in_(codes))
        .group_by(col(Household.village_code)),
    )


def village_rows(
    *,
    session: Session,
    villages: Sequence[Region],
    days: int,
    today: dt.date,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> list[VillageRow]:
    """One row per village, in the order given; ``now`` (the current time by default) judges the cue."""
    codes = [v.code for v in villages]
    if not codes:
        return []
    window_start = today - dt.timedelta(days=days - 1)
    presence_start = today - dt.timedelta(days=PRESENCE_DAYS - 1)
    households = household_counts(session, codes, visited_since=start_of(window_start, tz))
    visits = _by_key(
        session,
        sa_select(col(VisitDay.village_code), func.sum(VisitDay.visits), func.sum(VisitDay.home_visits))
        .where(col(VisitDay.village_code).in_(codes), col(VisitDay.day) >= window_start)
        .group_by(col(VisitDay.village_code)),
    )
    day, night = col(PresenceDay.day), col(PresenceDay.night)
    presence = _by_key(
        session,
        sa_select(
            col(PresenceDay.village_code),
            func.count(func.distinct(case((night, None), else_=day))),
            func.count(func.distinct(case((night, day)))),
        )
        .where(col(PresenceDay.village_code).in_(codes), day >= presence_start)
        .group_by(col(PresenceDay.village_code)),
    )
    open_requests = _by_key(
        session,
        sa_select(col(VillagerRequest.village_code), func.count())
        .where(col(VillagerRequest.village_code).in_(codes), col(VillagerRequest.status) != "resolved", not_hidden())
        .group_by(col(VillagerRequest.village_code)),
    )
    open_flags = _by_key(
        session,
        sa_select(col(Flag.village_code), func.count())
        .where(col(Flag.village_code).in_(codes), col(Flag.status) == "open")
        .group_by(col(Flag.village_code)),
    )
    last_visit = dict(
        session.execute(
            sa_select(col(VillageActivity.village_code), col(VillageActivity.last_visit_at)).where(
                col(VillageActivity.village_code).in_(codes)
            )
        ).all()
    )
    towns = dict(
        session.execute(
            sa_select(col(Region.code), col(Region.name)).where(col(Region.code).in_({v.parent_code for v in villages}))
        ).all()
    )
    posted = _posted(session, codes, today)
    awareness = latest_awareness(session, codes)
    public = month_counts(session, codes, today)
    ledgers = summaries(session, codes, today)
    now = now or utcnow()
    rows = []
    for v in villages:
        total, seen = households.get(v.code, (0, 0))
        visit_count, home_visits = visits.get(v.code, (0, 0))
        days_present, nights = presence.get(v.code, (0, 0))
        flags = open_flags.get(v.code, (0,))[0]
        coverage = share(seen, total)
        rows.append(
            VillageRow(
                village_code=v.code,
                village_name=v.name,
                town_code=v.parent_code,
                town_name=towns.get(v.parent_code or ""),
                weak_lax=v.weak_lax,
                secretaries=posted[v.code],
                households=total,
                households_visited=seen,
                coverage=coverage,
                visits=visit_count,
                home_visits=home_visits,
                last_visit_at=last_visit.get(v.code),
                presence_days_30=days_present,
                nights_30=nights,
                open_requests=open_requests.get(v.code, (0,))[0],
                awareness_rate=awareness.get(v.code),
                public_views_month=public.get(v.code, (0, 0))[0],
                public_messages_month=public.get(v.code, (0, 0))[1],
                open_flags=flags,
                rectification=ledgers.get(v.code),
                cue=cue(
                    posted=bool(posted[v.code]),
                    coverage=coverage,
                    presence_days_30=days_present,
                    last_visit_at=last_visit.get(v.code),
                    open_flags=flags,
                    now=now,
                ),
            )
        )
    return rows


def village_chunk(
    engine: Engine,
    where: ColumnElement[bool],
    after: str | None,
    *,
    days: int,
    today: dt.date,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> tuple[list[VillageRow], str | None]:
    """The rows of up to ``CHUNK`` villages that ``where`` selects, by code from after ``after``, in a
    session of their own; and the code the next chunk starts after (None after the last).

    For work over every village of a province (an export, the summary's count): a page's
    worth at a time keeps each statement and memory the size of one dashboard page.
    """
    with Session(engine) as session:
        stmt = select(Region).where(Region.level == "village", where)
        villages, more = paginate(session, stmt, Region.code, PageParams(limit=CHUNK, after=after))
        rows = village_rows(session=session, villages=villages, days=days, today=today, tz=tz, now=now)
        return rows, villages[-1].code if more else None


def _posted(session: Session, codes: Sequence[str], today: dt.date) -> dict[str, list[SecretaryRef]]:
    """Who is posted to each village today, first secretaries first."""
    stmt = (
        sa_select(col(Assignment.village_code), col(User.id), col(User.display_name))
        .join(Assignment, col(Assignment.user_id) == col(User.id))
        .where(
            col(Assignment.village_code).in_(codes),
            covering(today),
        )
        .order_by(col(Assignment.position), col(Assignment.id))
    )
    posted: dict[str, list[SecretaryRef]] = defaultdict(list)
    for code, user_id, name in session.execute(stmt):
        posted[code].append(SecretaryRef(user_id=user_id, display_name=name))
    return posted


def weekly_visits(
    session: Session, *, today: dt.date, weeks: int, where: Sequence[Any], by: Sequence[Any] = ()
) -> dict[tuple[Any, ...], list[int]]:
    """Visits per calendar week (Monday first, the current week last), grouped by the ``by`` columns."""
    first = monday_of(today) - dt.timedelta(weeks=weeks - 1)
    week = col(VisitWeek.week)
    stmt = sa_select(*by, week, func.sum(VisitWeek.visits)).where(week >= first, *where).group_by(*by, week)
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * weeks)
    for *key, monday, visits in session.execute(stmt):
        counts[tuple(key)][(monday - first).days // 7] += int(visits)
    return counts


def secretary_rows(
    *, session: Session, postings: Sequence[tuple[User, Assignment, Region]], weeks: int, today: dt.date, tz: ZoneInfo
) -> list[SecretaryRow]:
    """One row per posting: weekly visits (calendar weeks, the current one last), presence, coverage."""
    if not postings:
        return []
    user_ids = {u.id for u, _, _ in postings}
    codes = sorted({a.village_code for _, a, _ in postings})
    in_villages = col(VisitWeek.village_code).in_(codes), col(VisitWeek.user_id).in_(user_ids)
    weekly = weekly_visits(
        session, today=today, weeks=weeks, where=in_villages, by=(col(VisitWeek.user_id), col(VisitWeek.village_code))
    )
    presence_start = today - dt.timedelta(days=PRESENCE_DAYS - 1)
    presence: dict[tuple[int, str, bool], int] = {
        (u, v, n): c
        for u, v, n, c in session.execute(
            sa_select(col(PresenceDay.user_id), col(PresenceDay.village_code), col(PresenceDay.night), func.count())
            .where(
                col(PresenceDay.village_code).in_(codes),
                col(PresenceDay.day) >= presence_start,
                col(PresenceDay.user_id).in_(user_ids),
            )
            .group_by(col(PresenceDay.user_id), col(PresenceDay.village_code), col(PresenceDay.night))
        ).all()
    }
    since = start_of(today - dt.timedelta(days=COVERAGE_DAYS - 1), tz)
    households = household_counts(session, codes, visited_since=since)
    coverage = {code: share(seen, total) for code, (total, seen) in households.items()}
    return [
        SecretaryRow(
            user_id=user.id,
            display_name=user.display_name,
            village_code=village.code,
            village_name=village.name,
            position=assignment.position,
            dispatch_unit=assignment.dispatch_unit,
            visits_per_week=weekly[(user.id, village.code)],
            presence_days_30=presence.get((user.id, village.code, False), 0),  # type: ignore[arg-type]
            nights_30=presence.get((user.id, village.code, True), 0),  # type: ignore[arg-type]
            coverage_90=coverage.get(village.code),
        )
        for user, assignment, village in postings
    ]
