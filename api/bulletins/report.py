"""Putting a quarterly bulletin together (一季度一督查一通报): rankings, changes, problems.

Towns and villages are ranked by coverage, then presence, then awareness, then fewer open
flags, then the share of requests resolved; a figure that cannot be computed (no households,
nobody inspected) ranks after every figure that can. Each change is in points against the
previous quarter, with the same definitions. Only villages someone was posted to during the
quarter are counted and ranked; the others are only counted apart (``unposted_villages``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.assignments.models import Assignment
from api.bulletins.figures import Figures, Period, village_figures
from api.bulletins.quarters import Quarter
from api.bulletins.rectification import rectification_standings
from api.bulletins.schemas import Bulletin, Problem, Standing
from api.clock import start_of
from api.errors import InvalidInput
from api.flags.models import Flag
from api.flags.schemas import FLAG_KIND_NAMES
from api.regions.codes import CODE_LENGTH, under
from api.regions.models import Region

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def build(
    session: Session, *, quarter: Quarter, prefix: str, today: dt.date, tz: ZoneInfo, now: dt.datetime
) -> Bulletin:
    if quarter.first_day > today:
        raise InvalidInput(f"{quarter.label}还没有开始，无法通报。", loc=("path", "quarter"))
    period = Period(quarter.first_day, min(quarter.next.first_day, today + dt.timedelta(days=1)))
    before = Period(quarter.previous.first_day, quarter.first_day)
    in_scope = list(
        session.exec(
            select(Region).where(Region.level == "village", under(col(Region.code), prefix)).order_by(col(Region.code))
        )
    )
    posted = _posted_during(session, period)
    villages = [v for v in in_scope if v.code in posted]
    towns = {
        r.code: r for r in session.exec(select(Region).where(col(Region.code).in_({v.parent_code for v in villages})))
    }
    codes = [v.code for v in villages]
    current = village_figures(session, villages=codes, prefix=prefix, period=period, tz=tz)
    previous = village_figures(session, villages=codes, prefix=prefix, period=before, tz=tz)

    town_now: dict[str, Figures] = defaultdict(Figures)
    town_before: dict[str, Figures] = defaultdict(Figures)
    for v in villages:
        town_now[v.parent_code or ""] += current[v.code]
        town_before[v.parent_code or ""] += previous[v.code]

    def town_name(code: str | None) -> str | None:
        return towns[code].name if code in towns else None

    village_standings = _ranked(
        [(v.code, v.name, town_name(v.parent_code), v.weak_lax, current[v.code], previous[v.code]) for v in villages]
    )
    town_standings = _ranked(
        [(code, town_name(code) or code, None, None, town_now[code], town_before[code]) for code in town_now]
    )
    scope_name = _scope_name(session, prefix)
    [overview] = _ranked(
        [(prefix, scope_name, None, None, sum(current.values(), Figures()), sum(previous.values(), Figures()))]
    )
    return Bulletin(
        quarter=str(quarter),
        title=f"{scope_name}驻村第一书记工作情况通报（{quarter.label}）",
        scope_code=prefix.ljust(CODE_LENGTH, "0") if prefix else None,
        scope_name=scope_name,
        period_start=period.start,
        period_end=period.end - dt.timedelta(days=1),
        complete=period.end == quarter.next.first_day,
        generated_at=now,
        overview=overview,
        towns=town_standings,
        villages=village_standings,
        unposted_villages=len(in_scope) - len(villages),
        # Every village's ledger counts, posted or not: rectifying a village is the county's task.
        rectification=rectification_standings(session, villages=in_scope, period=period, tz=tz),
        problems=_problems(session, prefix, period, tz, {v.code: v for v in villages}, town_name),
    )


def _posted_during(session: Session, period: Period) -> set[str]:
    """The villages someone was posted to on at least one day of ``period``.

    Only they are ranked and counted: a village nobody was sent to would rank last at 0% and
    drag its town's coverage down for a failure that is not its secretary's.
    """
    rows = session.exec(
        select(Assignment.village_code)
        .where(
            col(Assignment.start_date) < period.end,
            or_(col(Assignment.end_date).is_(None), col(Assignment.end_date) >= period.start),
        )
        .distinct()
    )
    return set(rows)


Entry = tuple[str, str, str | None, bool | None, Figures, Figures]


def _ranked(entries: Sequence[Entry]) -> list[Standing]:
    def high_first(value: float | None) -> tuple[bool, float]:
        return value is None, -(value or 0.0)

    def order(entry: Entry) -> tuple[object, ...]:
        f = entry[4]
        return (
            high_first(f.coverage),
            high_first(f.presence_rate),
            high_first(f.awareness_rate),
            f.flags_open,
            high_first(f.requests_resolved_rate),
            entry[0],
        )

    return [_standing(rank, entry) for rank, entry in enumerate(sorted(entries, key=order), start=1)]


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 4)


def _standing(rank: int, entry: Entry) -> Standing:
    code, name, town_name, weak_lax, f, before = entry
    return Standing(
        rank=rank,
        code=code,
        name=name,
        town_name=town_name,
        weak_lax=weak_lax,
        villages=f.villages,
        households=f.households,
        households_visited=f.visited,
        coverage=f.coverage,
        coverage_change=_change(f.coverage, before.coverage),
        visits=f.visits,
        presence_days=f.presence_days,
        presence_rate=f.presence_rate,
        presence_change=_change(f.presence_rate, before.presence_rate),
        households_inspected=f.reached,
        awareness_rate=f.awareness_rate,
        awareness_change=_change(f.awareness_rate, before.awareness_rate),
        flags_raised=f.flags_raised,
        open_flags=f.flags_open,
        requests=f.requests,
        requests_resolved=f.requests_resolved,
        requests_resolved_rate=f.requests_resolved_rate,
    )


def _scope_name(session: Session, prefix: str) -> str:
    if not prefix:
        return "全部地区"
    region = session.get(Region, prefix.ljust(CODE_LENGTH, "0"))
    return region.name if region else prefix


def _problems(
    session: Session,
    prefix: str,
    period: Period,
    tz: ZoneInfo,
    villages: dict[str, Region],
    town_name: Callable[[str | None], str | None],
) -> list[Problem]:
    stmt = select(Flag).where(
        under(col(Flag.village_code), prefix),
        col(Flag.raised_at) >= start_of(period.start, tz),
        col(Flag.raised_at) < start_of(period.end, tz),
    )
    flags = sorted(session.exec(stmt), key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.village_code, f.raised_at))
    problems = []
    for f in flags:
        village = villages.get(f.village_code)
        problems.append(
            Problem(
                flag_id=f.id,
                raised_at=f.raised_at,
                town_name=town_name(village.parent_code) if village else None,
                village_code=f.village_code,
                village_name=village.name if village else f.village_code,
                kind=f.kind,
                kind_name=FLAG_KIND_NAMES.get(f.kind, f.kind),
                severity=f.severity,
                detail=f.detail,
                status=f.status,
            )
        )
    return problems
