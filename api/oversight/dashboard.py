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
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.assignments.models import Assignment
from api.auth.models import User
from api.flags.models import Flag
from api.households.models import Household
from api.oversight.models import PresenceDay, VillageActivity, VisitDay
from api.oversight.schemas import SecretaryRef, SecretaryRow, VillageRow
from api.regions.models import Region
from api.requests.models import VillagerRequest

PRESENCE_DAYS = 30
COVERAGE_DAYS = 90


def start_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The instant a local day begins."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def _grouped(session: Session, key: object, value: object, *where: object) -> dict[str, int]:
    stmt = select(key, value).where(*where).group_by(key)  # type: ignore[call-overload]
    return {k: int(v or 0) for k, v in session.exec(stmt).all()}


def village_rows(
    *, session: Session, villages: Sequence[Region], days: int, today: dt.date, tz: ZoneInfo
) -> list[VillageRow]:
    """One row per village, in the order given."""
    codes = [v.code for v in villages]
    if not codes:
        return []
    window_start = today - dt.timedelta(days=days - 1)
    presence_start = today - dt.timedelta(days=PRESENCE_DAYS - 1)
    in_codes = col(Household.village_code).in_(codes)
    households = _grouped(session, Household.village_code, func.count(), in_codes)
    visited = _grouped(
        session,
        Household.village_code,
        func.count(),
        in_codes,
        col(Household.last_visit_at) >= start_of(window_start, tz),
    )
    recent = col(VisitDay.village_code).in_(codes), col(VisitDay.day) >= window_start
    visits = _grouped(session, VisitDay.village_code, func.sum(VisitDay.visits), *recent)
    home_visits = _grouped(session, VisitDay.village_code, func.sum(VisitDay.home_visits), *recent)
    present = col(PresenceDay.village_code).in_(codes), col(PresenceDay.day) >= presence_start
    days_present = _grouped(
        session, PresenceDay.village_code, func.count(func.distinct(PresenceDay.day)), *present, ~col(PresenceDay.night)
    )
    nights = _grouped(
        session, PresenceDay.village_code, func.count(func.distinct(PresenceDay.day)), *present, col(PresenceDay.night)
    )
    open_requests = _grouped(
        session,
        VillagerRequest.village_code,
        func.count(),
        col(VillagerRequest.village_code).in_(codes),
        col(VillagerRequest.status) != "resolved",
    )
    open_flags = _grouped(
        session, Flag.village_code, func.count(), col(Flag.village_code).in_(codes), col(Flag.status) == "open"
    )
    last_visit = dict(
        session.exec(
            select(VillageActivity.village_code, VillageActivity.last_visit_at).where(
                col(VillageActivity.village_code).in_(codes)
            )
        ).all()
    )
    towns = {
        r.code: r.name
        for r in session.exec(select(Region).where(col(Region.code).in_({v.parent_code for v in villages})))
    }
    posted = _posted(session, codes, today)
    rows = []
    for v in villages:
        total = households.get(v.code, 0)
        seen = visited.get(v.code, 0)
        rows.append(
            VillageRow(
                village_code=v.code,
                village_name=v.name,
                town_code=v.parent_code,
                town_name=towns.get(v.parent_code or ""),
                weak_lax=v.weak_lax,
                secretaries=[SecretaryRef(user_id=u.id, display_name=u.display_name) for u, _ in posted[v.code]],
                households=total,
                households_visited=seen,
                coverage=round(seen / total, 4) if total else None,
                visits=visits.get(v.code, 0),
                home_visits=home_visits.get(v.code, 0),
                last_visit_at=last_visit.get(v.code),
                presence_days_30=days_present.get(v.code, 0),
                nights_30=nights.get(v.code, 0),
                open_requests=open_requests.get(v.code, 0),
                awareness_rate=None,
                open_flags=open_flags.get(v.code, 0),
            )
        )
    return rows


def _posted(session: Session, codes: Sequence[str], today: dt.date) -> dict[str, list[tuple[User, Assignment]]]:
    """Who is posted to each village today, first secretaries first."""
    stmt = (
        select(User, Assignment)
        .join(Assignment, col(Assignment.user_id) == User.id)
        .where(
            col(Assignment.village_code).in_(codes),
            col(Assignment.start_date) <= today,
            (col(Assignment.end_date).is_(None)) | (col(Assignment.end_date) >= today),
        )
        .order_by(col(Assignment.position), col(Assignment.id))
    )
    posted: dict[str, list[tuple[User, Assignment]]] = defaultdict(list)
    for user, assignment in session.exec(stmt).all():
        posted[assignment.village_code].append((user, assignment))
    return posted


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def secretary_rows(
    *, session: Session, postings: Sequence[tuple[User, Assignment, Region]], weeks: int, today: dt.date, tz: ZoneInfo
) -> list[SecretaryRow]:
    """One row per posting: weekly visits (calendar weeks, the current one last), presence, coverage."""
    if not postings:
        return []
    first_monday = monday_of(today) - dt.timedelta(weeks=weeks - 1)
    user_ids = {u.id for u, _, _ in postings}
    codes = {a.village_code for _, a, _ in postings}
    weekly: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * weeks)
    for user_id, village, day, count in session.exec(
        select(col(VisitDay.user_id), col(VisitDay.village_code), col(VisitDay.day), col(VisitDay.visits)).where(
            col(VisitDay.user_id).in_(user_ids),
            col(VisitDay.village_code).in_(codes),
            col(VisitDay.day) >= first_monday,
        )
    ).all():
        weekly[(user_id, village)][(day - first_monday).days // 7] += count
    presence_start = today - dt.timedelta(days=PRESENCE_DAYS - 1)
    presence: dict[tuple[int, str, bool], int] = {
        (u, v, n): c
        for u, v, n, c in session.exec(
            select(col(PresenceDay.user_id), col(PresenceDay.village_code), col(PresenceDay.night), func.count())
            .where(col(PresenceDay.user_id).in_(user_ids), col(PresenceDay.day) >= presence_start)
            .group_by(col(PresenceDay.user_id), col(PresenceDay.village_code), col(PresenceDay.night))
        ).all()
    }
    coverage = {
        row.village_code: row.coverage
        for row in village_rows(
            session=session,
            villages=list({r.code: r for _, _, r in postings}.values()),
            days=COVERAGE_DAYS,
            today=today,
            tz=tz,
        )
    }
    return [
        SecretaryRow(
            user_id=user.id,
            display_name=user.display_name,
            village_code=village.code,
            village_name=village.name,
            position=assignment.position,
            dispatch_unit=assignment.dispatch_unit,
            visits_per_week=weekly[(user.id, village.code)],  # type: ignore[index]
            presence_days_30=presence.get((user.id, village.code, False), 0),  # type: ignore[arg-type]
            nights_30=presence.get((user.id, village.code, True), 0),  # type: ignore[arg-type]
            coverage_90=coverage.get(village.code),
        )
        for user, assignment, village in postings
    ]
