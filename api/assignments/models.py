"""Assignments: which secretary is stationed in which village, from when to when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ColumnElement, Index, and_, or_
from sqlmodel import Field, SQLModel, col

from api.db import timestamp_column, utcnow

POSITIONS = ("first_secretary", "team_member")


class Assignment(SQLModel, table=True):
    """A secretary's posting to a village (驻村), with the unit that sent them (派驻单位)."""

    __table_args__ = (
        CheckConstraint("position IN ('first_secretary', 'team_member')", name="position"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        Index("ix_assignment_user_id_village_code", "user_id", "village_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    village_code: str = Field(max_length=12, foreign_key="region.code", index=True)
    position: str = Field(max_length=20)
    dispatch_unit: str = Field(max_length=100)
    start_date: dt.date
    end_date: dt.date | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


def covering(day: dt.date) -> ColumnElement[bool]:
    """SQL condition: an assignment whose dates include ``day`` (one without an end runs on)."""
    return and_(
        col(Assignment.start_date) <= day,
        or_(col(Assignment.end_date).is_(None), col(Assignment.end_date) >= day),
    )
