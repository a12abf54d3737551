"""Visits (入户走访 and the other kinds of field work) and the photos attached to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from api.db import json_list_column, timestamp_column

VISIT_KINDS = ("home_visit", "group_talk", "meeting", "service", "log")


class Visit(SQLModel, table=True):
    """One piece of field work as the phone recorded it.

    ``id`` is the phone's UUID and ``content_hash`` a digest of what the phone sent, so a
    resend is recognised as the same record (200, nothing changes) and a different record
    under a used id as a conflict (409). ``checks`` keeps the evidence flags this record
    raised on arrival, so a resend answers exactly what the first send did.
    """

    __table_args__ = (
        CheckConstraint("kind IN ('home_visit', 'group_talk', 'meeting', 'service', 'log')", name="kind"),
        CheckConstraint("kind <> 'home_visit' OR household_id IS NOT NULL", name="home_visit_household"),
        Index("ix_visit_user_id_started_at", "user_id", "started_at"),
        Index("ix_visit_village_code_started_at", "village_code", "started_at"),
        Index("ix_visit_household_id_started_at", "household_id", "started_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="app_user.id")
    village_code: str = Field(max_length=12, foreign_key="region.code")
    household_id: int | None = Field(default=None, foreign_key="household.id")
    kind: str = Field(max_length=12)
    started_at: datetime = Field(sa_column=timestamp_column())
    received_at: datetime = Field(sa_column=timestamp_column())
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    signature_photo_id: str | None = Field(default=None, max_length=36, foreign_key="photo.id")
    content_hash: str = Field(max_length=64)
    checks: list[str] = Field(default_factory=list, sa_column=json_list_column())


class VisitPhoto(SQLModel, table=True):
    """A photo attached to a visit, in the order the phone listed them."""

    __tablename__ = "visit_photo"

    visit_id: str = Field(primary_key=True, max_length=36, foreign_key="visit.id")
    photo_id: str = Field(primary_key=True, max_length=36, foreign_key="photo.id", index=True)
    position: int
