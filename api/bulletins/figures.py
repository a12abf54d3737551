"""The counts a bulletin is made of, per village, for one period.

Every figure is a plain count, so a town's or a county's figures are the sums of its
villages' and the rates are worked out last (a town's coverage is its households visited over
its households, not an average of its villages' percentages).

- households: the ledger as it stands (no history of the ledger is kept);
- visited: households with a home visit in the period (counted from the visits themselves:
  the households' ``last_visit_at`` only knows the latest visit);
- visits: every kind of visit, from the day rollup; presence: days with an on-site check-in;
- awareness: the answers of the inspections made in the period;
- flags raised in the period, and those of them still open; villagers' requests raised in
  the period, and those of them resolved.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.clock import start_of
from api.flags.models import Flag
from api.households.models import Household
from api.inspections.models import Inspection, InspectionAnswer
from api.oversight.models import PresenceDay, VisitDay
from api.regions.codes import under
from api.requests.models import VillagerRequest, not_hidden
from api.shares import share
from api.visits.models import Visit

STILL_OPEN = ("open", "acknowledged")


@dataclass(frozen=True)
class Period:
    """Local days from ``start`` up to, not including, ``end``."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Figures:
    """Counts for one village, or summed over several."""

    villages: int = 0
    village_days: int = 0
    households: int = 0
    visited: int = 0
    visits: int = 0
    presence_days: int = 0
    reached: int = 0
    knows: int = 0
    flags_raised: int = 0
    flags_open: int = 0
    requests: int = 0
    requests_resolved: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def coverage(self) -> float | None:
        return share(self.visited, self.households)

    @property
    def presence_rate(self) -> float | None:
        """Days present over the days in the period, across the villages."""
        return share(self.presence_days, self.village_days)

    @property
    def awareness_rate(self) -> float | None:
        return share(self.knows, self.reached)

    @property
    def requests_resolved_rate(self) -> float | None:
        return share(self.requests_resolved, self.requests)


def village_figures(
    session: Session, *, villages: list[str], prefix: str, period: Period, tz: ZoneInfo
) -> dict[str, Figures]:
    """Figures for each of ``villages`` (all lying under ``prefix``), in one query per table."""
    begin, end = start_of(period.start, tz), start_of(period.end, tz)
    counts: dict[str, dict[str, int]] = defaultdict(dict)

    def collect(stmt: Any, *names: str) -> None:
        for code, *values in session.execute(stmt):
            counts[code].update(zip(names, (int(v or 0) for v in values), strict=True))

    def count_if(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    collect(
        sa_select(col(Household.village_code), func.count())
        .where(under(col(Household.village_code), prefix))
        .group_by(col(Household.village_code)),
        "households",
    )
    collect(
        sa_select(col(Visit.village_code), func.count(func.distinct(col(Visit.household_id))))
        .where(
            under(col(Visit.village_code), prefix),
            col(Visit.kind) == "home_visit",
            col(Visit.started_at) >= begin,
            col(Visit.started_at) < end,
        )
        .group_by(col(Visit.village_code)),
        "visited",
    )
    collect(
        sa_select(col(VisitDay.village_code), func.sum(VisitDay.visits))
        .where(
            under(col(VisitDay.village_code), prefix), col(VisitDay.day) >= period.start, col(VisitDay.day) < period.end
        )
        .group_by(col(VisitDay.village_code)),
        "visits",
    )
    collect(
        sa_select(col(PresenceDay.village_code), func.count(func.distinct(col(PresenceDay.day))))
        .where(
            under(col(PresenceDay.village_code), prefix),
            ~col(PresenceDay.night),
            col(PresenceDay.day) >= period.start,
            col(PresenceDay.day) < period.end,
        )
        .group_by(col(PresenceDay.village_code)),
        "presence_days",
    )
    reached = col(InspectionAnswer.reached)
    collect(
        sa_select(
            col(Inspection.village_code), count_if(reached), count_if(reached & col(InspectionAnswer.knows_secretary))
        )
        .join(InspectionAnswer, col(InspectionAnswer.inspection_id) == col(Inspection.id))
        .where(
            under(col(Inspection.village_code), prefix),
            col(Inspection.created_at) >= begin,
            col(Inspection.created_at) < end,
        )
        .group_by(col(Inspection.village_code)),
        "reached",
        "knows",
    )
    collect(
        sa_select(col(Flag.village_code), func.count(), count_if(col(Flag.status).in_(STILL_OPEN)))
        .where(under(col(Flag.village_code), prefix), col(Flag.raised_at) >= begin, col(Flag.raised_at) < end)
        .group_by(col(Flag.village_code)),
        "flags_raised",
        "flags_open",
    )
    collect(
        sa_select(col(VillagerRequest.village_code), func.count(), count_if(col(VillagerRequest.status) == "resolved"))
        .where(
            under(col(VillagerRequest.village_code), prefix),
            col(VillagerRequest.created_at) >= begin,
            col(VillagerRequest.created_at) < end,
            not_hidden(),
        )
        .group_by(col(VillagerRequest.village_code)),
        "requests",
        "requests_resolved",
    )
    return {code: Figures(villages=1, village_days=period.days, **counts.get(code, {})) for code in villages}
