"""Households (农户): the homes a first secretary is meant to enter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import json_list_column, timestamp_column, utcnow


class Household(SQLModel, table=True):
    """One household of a village, as the county's ledger lists it.

    ``village_code`` + ``household_no`` is the ledger's key, which makes re-importing the same
    spreadsheet harmless. ``last_visit_at`` and ``visit_count`` are kept by the visit records.
    """

    __table_args__ = (
        UniqueConstraint("village_code", "household_no"),
        Index("ix_household_village_code_last_visit_at", "village_code", "last_visit_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, foreign_key="region.code")
    household_no: str | None = Field(default=None, max_length=40)
    head_name: str = Field(max_length=50)
    group_name: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    tags: list[str] = Field(default_factory=list, sa_column=json_list_column())
    lat: float | None = None
    lon: float | None = None
    last_visit_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    visit_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
