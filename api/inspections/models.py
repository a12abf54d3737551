"""Inspections (督查抽查): a random sample of a village's households, and what each one said.

Rates are computed from the answers when read (a sample is a few dozen rows), so nothing
stored can drift from them however answers arrive.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import timestamp_column, utcnow


class Inspection(SQLModel, table=True):
    """One spot check of one village.

    ``undercover`` (暗访) inspections are hidden from the village's secretaries until
    ``published_at``; ``open`` (明察) ones are visible to them from the start, but the sampled
    households never are before publication, so nobody can be coached.
    """

    __table_args__ = (
        CheckConstraint("mode IN ('open', 'undercover')", name="mode"),
        Index("ix_inspection_village_code_id", "village_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, foreign_key="region.code")
    mode: str = Field(max_length=12)
    seed: int
    sample_size: int
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    published_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class SampledHousehold(SQLModel, table=True):
    """A household drawn for an inspection; ``had_visits`` is the stratum it was drawn from."""

    __tablename__ = "inspection_household"

    inspection_id: int = Field(primary_key=True, foreign_key="inspection.id")
    household_id: int = Field(primary_key=True, foreign_key="household.id")
    position: int
    had_visits: bool


class InspectionAnswer(SQLModel, table=True):
    """What one sampled household told the inspectors; ``id`` is the phone's UUID.

    ``logged_visits_90d`` is counted when the answer arrives: the home visits logged for the
    household in the 90 days before, including any logged after the sample was drawn.
    """

    __tablename__ = "inspection_answer"
    __table_args__ = (
        UniqueConstraint("inspection_id", "household_id"),
        CheckConstraint("satisfied IS NULL OR satisfied IN ('yes', 'no', 'unsure')", name="satisfied"),
    )

    id: str = Field(primary_key=True, max_length=36)
    inspection_id: int = Field(foreign_key="inspection.id")
    household_id: int = Field(foreign_key="household.id")
    reached: bool
    knows_secretary: bool | None = None
    recalls_visit: bool | None = None
    satisfied: str | None = Field(default=None, max_length=6)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    logged_visits_90d: int = 0
    content_hash: str = Field(max_length=64)
    answered_by: int = Field(foreign_key="app_user.id")
    received_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
