"""Rollups behind the dashboards: per-day counts kept as records arrive.

A county dashboard over a million visits cannot afford a GROUP BY over the visits on every
call, so each stored visit and check-in also adds to a small per-day row. Rows are changed
only for records that were just inserted (a resend adds nothing) with commutative updates
(sums, maxima, set membership), so they stay exact however late, out of order or often the
records arrive; tests recount them from the raw rows after a random workload.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from api.db import timestamp_column


class VisitDay(SQLModel, table=True):
    """One secretary's visits in one village on one local day."""

    __tablename__ = "visit_day"

    village_code: str = Field(primary_key=True, max_length=12, foreign_key="region.code")
    day: dt.date = Field(primary_key=True)
    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    visits: int = 0
    home_visits: int = 0


class VisitWeek(SQLModel, table=True):
    """One secretary's visits in one village in one calendar week; ``week`` is its Monday.

    The secretaries' dashboard shows twelve weeks for each secretary of a page: summing some
    25,000 day rows into weeks on every call costs more than reading 3,600 week rows.
    """

    __tablename__ = "visit_week"

    village_code: str = Field(primary_key=True, max_length=12, foreign_key="region.code")
    week: dt.date = Field(primary_key=True)
    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    visits: int = 0


class PresenceDay(SQLModel, table=True):
    """A secretary was in the village that local day (``night`` False) or that night (True).

    A night is a check-in from 20:00 to 06:00; it belongs to the evening's date. Kept as set
    membership (insert, never update), so a check-in counted twice is still one day.
    """

    __tablename__ = "presence_day"

    village_code: str = Field(primary_key=True, max_length=12, foreign_key="region.code")
    day: dt.date = Field(primary_key=True)
    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    night: bool = Field(primary_key=True)


class VillageActivity(SQLModel, table=True):
    """The latest visit in a village, whenever it was (the dashboards show it beyond any window)."""

    __tablename__ = "village_activity"

    village_code: str = Field(primary_key=True, max_length=12, foreign_key="region.code")
    last_visit_at: dt.datetime = Field(sa_column=timestamp_column())


class VillageSummary(SQLModel, table=True):
    """A village's overview figures (90 days of visits and coverage) as the last count found them.

    A province's summary adds up 20,000 villages; counting each from the rollups on every call
    reads millions of rows, so the periodic run (``api.oversight.summary.refresh``) keeps this
    row per village and the summary says how old its figures are. The village pages themselves
    always count live.
    """

    __tablename__ = "village_summary"

    village_code: str = Field(primary_key=True, max_length=12, foreign_key="region.code")
    as_of: dt.datetime = Field(sa_column=timestamp_column())
    posted: bool
    households: int
    households_visited: int
    visits: int
    home_visits: int
    open_flags: int
    open_requests: int
    cue: str = Field(max_length=5)
