"""Daily presence check-ins (驻村签到): proof that the secretary is in the village."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from api.db import json_list_column, timestamp_column


class Checkin(SQLModel, table=True):
    """One check-in with its GPS fix; idempotent by the phone's UUID like visits."""

    __table_args__ = (
        Index("ix_checkin_user_id_at", "user_id", "at"),
        Index("ix_checkin_village_code_at", "village_code", "at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="app_user.id")
    village_code: str = Field(max_length=12, foreign_key="region.code")
    at: datetime = Field(sa_column=timestamp_column())
    received_at: datetime = Field(sa_column=timestamp_column())
    lat: float
    lon: float
    accuracy_m: float | None = None
    photo_id: str | None = Field(default=None, max_length=36, foreign_key="photo.id")
    content_hash: str = Field(max_length=64)
    checks: list[str] = Field(default_factory=list, sa_column=json_list_column())
