"""Villagers' requests (群众诉求) raised during visits, tracked until resolved (办实事)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ColumnElement, Index, Text
from sqlmodel import Field, SQLModel, col

from api.db import timestamp_column

REQUEST_STATUSES = ("open", "in_progress", "resolved")
# Where a request came from: asked during a home visit, or left on the village's public page.
REQUEST_SOURCES = ("visit", "public_page")


class VillagerRequest(SQLModel, table=True):
    """A need a villager raised: during a visit (its id is the phone's UUID) or as a message on
    the village's public page (its id made by the server, with a ``receipt`` code the sender
    keeps to follow it). A supervisor may hide an abusive message: it is kept, with who hid it
    and why, and left out of the lists."""

    __tablename__ = "villager_request"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'resolved')", name="status"),
        CheckConstraint("source IN ('visit', 'public_page')", name="source"),
        CheckConstraint("(source = 'visit') = (visit_id IS NOT NULL)", name="visit_source"),
        Index("ix_villager_request_village_code_status", "village_code", "status"),
    )

    id: str = Field(primary_key=True, max_length=36)
    visit_id: str | None = Field(default=None, max_length=36, foreign_key="visit.id", index=True)
    source: str = Field(default="visit", max_length=12)
    receipt: str | None = Field(default=None, max_length=12, unique=True)
    sender_name: str | None = Field(default=None, max_length=50)
    sender_phone: str | None = Field(default=None, max_length=20)
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
    hidden_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    hidden_by: int | None = Field(default=None, foreign_key="app_user.id")
    hidden_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


def not_hidden() -> ColumnElement[bool]:
    """Requests a supervisor has not hidden: only they are listed, counted and flagged overdue."""
    return col(VillagerRequest.hidden_at).is_(None)
