"""Villagers' requests (群众诉求) raised during visits, tracked until resolved (办实事)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from api.db import timestamp_column

REQUEST_STATUSES = ("open", "in_progress", "resolved")


class VillagerRequest(SQLModel, table=True):
    """A need a villager raised; its id is the phone's UUID, it arrives inside a visit."""

    __tablename__ = "villager_request"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'resolved')", name="status"),
        Index("ix_villager_request_village_code_status", "village_code", "status"),
    )

    id: str = Field(primary_key=True, max_length=36)
    visit_id: str = Field(max_length=36, foreign_key="visit.id", index=True)
    village_code: str = Field(max_length=12, foreign_key="region.code")
    household_id: int | None = Field(default=None, foreign_key="household.id")
    category: str = Field(max_length=30)
    text: str = Field(sa_column=Column(Text, nullable=False))
    position: int = 0
    status: str = Field(default="open", max_length=12)
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=timestamp_column())
    updated_at: datetime = Field(sa_column=timestamp_column())
    resolved_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    # Who last moved the request on (``updated_at`` says when); null until someone handles it.
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
