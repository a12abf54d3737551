"""The bulletin's rectification section (整顿整改): per town, as things stood at the period's end.

Read from the ledger's own dates, so a bulletin made again later says the same:

- a village is *rectifying* when it had a problem on its ledger found by the period's end and was
  not accepted then; *accepted* when the county's latest verdict before the period's end was 验收通过;
- a measure counts when it was put on the ledger by the period's end; it is *done* when its
  latest report of done or return by the town before the end was a report of done; *overdue*
  when its deadline had passed by the end and it was not done then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.bulletins.figures import Period
from api.bulletins.schemas import RectificationStanding
from api.clock import start_of
from api.records import select_map
from api.rectification.models import RectificationEvent, RectificationMeasure, RectificationProblem
from api.regions.models import Region

VERDICTS = ("accepted", "acceptance_returned")
MEASURE_TURNS = ("reported_done", "returned")


def rectification_standings(
    session: Session, *, villages: Sequence[Region], period: Period, tz: ZoneInfo
) -> list[RectificationStanding]:
    """One row per town with a village on a ledger, in the towns' code order, then the total."""
    codes = [v.code for v in villages]
    if not codes:
        return []
    end = start_of(period.end, tz)
    on_ledger = set(
        session.scalars(
            sa_select(col(RectificationProblem.village_code))
            .where(col(RectificationProblem.village_code).in_(codes), col(RectificationProblem.found_on) < period.end)
            .distinct()
        )
    )
    accepted = {code for code, _ in _latest(session, codes, end, VERDICTS, "accepted")}
    done = {measure for _, measure in _latest(session, codes, end, MEASURE_TURNS, "reported_done")}
    measures = session.execute(
        sa_select(
            col(RectificationMeasure.village_code), col(RectificationMeasure.id), col(RectificationMeasure.deadline)
        ).where(col(RectificationMeasure.village_code).in_(codes), col(RectificationMeasure.created_at) < end)
    ).all()

    rows: dict[str, RectificationStanding] = {}
    town_of = {v.code: v.parent_code or "" for v in villages}
    town_names = select_map(session, Region.code, Region.name, set(town_of.values()))

    def row(town: str) -> RectificationStanding:
        return rows.setdefault(town, RectificationStanding(code=town, name=town_names.get(town, town)))

    for code in sorted(on_ledger | accepted):
        r = row(town_of[code])
        if code in accepted:
            r.villages_accepted += 1
        else:
            r.villages_rectifying += 1
    last_day = period.end - dt.timedelta(days=1)
    for code, measure, deadline in measures:
        r = row(town_of[code])
        r.measures += 1
        if measure in done:
            r.measures_done += 1
        elif deadline < last_day:
            r.measures_overdue += 1
    towns = [rows[code] for code in sorted(rows)]
    total = RectificationStanding(code="", name="合计")
    for r in towns:
        for name in ("villages_rectifying", "villages_accepted", "measures", "measures_done", "measures_overdue"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return [*towns, total] if towns else []


def _latest(
    session: Session, codes: Sequence[str], end: dt.datetime, actions: Sequence[str], wanted: str
) -> set[tuple[str, int | None]]:
    """``(village, measure)`` pairs whose latest event of ``actions`` before ``end`` is ``wanted``
    (per village for the county's verdicts, whose events name no measure; per measure otherwise)."""
    latest = (
        sa_select(func.max(col(RectificationEvent.id)))
        .where(
            col(RectificationEvent.village_code).in_(codes),
            col(RectificationEvent.action).in_(actions),
            col(RectificationEvent.at) < end,
        )
        .group_by(col(RectificationEvent.village_code), col(RectificationEvent.measure_id))
    )
    stmt = sa_select(
        col(RectificationEvent.village_code), col(RectificationEvent.measure_id), col(RectificationEvent.action)
    ).where(col(RectificationEvent.id).in_(latest))
    return {(code, measure) for code, measure, action in session.execute(stmt) if action == wanted}
