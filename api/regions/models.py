"""Places: the county, its towns and villages, keyed by their 12-digit division codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Column, Field, SQLModel

from api.db import json_list_column, timestamp_column, utcnow

LEVELS = ("county", "town", "village")
VILLAGE_KINDS = ("village", "community")
RECTIFICATION_STATUSES = ("none", "rectifying", "accepted")
DEFAULT_RADIUS_M = 1500


class Region(SQLModel, table=True):
    """A county, town or village; villages carry the facts supervisors classify them by."""

    __table_args__ = (
        CheckConstraint("level IN ('county', 'town', 'village')", name="level"),
        CheckConstraint("rectification_status IN ('none', 'rectifying', 'accepted')", name="rectification"),
        CheckConstraint("kind IS NULL OR kind IN ('village', 'community')", name="kind"),
    )

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    level: str = Field(max_length=10)
    parent_code: str | None = Field(default=None, max_length=12, foreign_key="region.code", index=True)
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    kind: str | None = Field(default=None, max_length=10)
    weak_lax: bool = False
    weak_lax_reasons: list[str] = Field(default_factory=list, sa_column=json_list_column())
    rectification_status: str = Field(default="none", max_length=12)
    plan: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
