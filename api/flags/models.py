"""Flags: what supervisors should look at — gaps in the work and records that look made up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from api.db import timestamp_column

FLAG_STATUSES = ("open", "acknowledged", "dismissed", "resolved")


class Flag(SQLModel, table=True):
    """One finding, with the evidence a supervisor needs to judge it.

    ``dedupe_key`` names the finding (kind + what it is about), so raising the same finding
    again, from a resent record or a re-run rule, never makes a second flag.
    """

    __table_args__ = (
        CheckConstraint("status IN ('open', 'acknowledged', 'dismissed', 'resolved')", name="status"),
        Index("ix_flag_village_code_status", "village_code", "status"),
        Index("ix_flag_user_id", "user_id"),
        # The inbox's filters and the time rules' look-up of earlier flags of a kind.
        Index("ix_flag_kind_status", "kind", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    severity: str = Field(max_length=10)
    village_code: str = Field(max_length=12, foreign_key="region.code")
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    subject_id: str | None = Field(default=None, max_length=64)
    detail: str = Field(sa_column=Column(Text, nullable=False))
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe_key: str = Field(max_length=200, unique=True)
    raised_at: datetime = Field(sa_column=timestamp_column())
    status: str = Field(default="open", max_length=12)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(sa_column=timestamp_column())


class FlagEvent(SQLModel, table=True):
    """One step in a flag's life: raised (``from_status`` null) or moved from one status to another.

    Append-only, written in the transaction that made the change, so the inbox can say who
    judged a flag, when and why, even after later judgements replaced the flag's own note.
    ``user_id`` is null when the system acted: a check on arrival or a rule over time.
    """

    __tablename__ = "flag_event"
    __table_args__ = (
        CheckConstraint("to_status IN ('open', 'acknowledged', 'dismissed', 'resolved')", name="to_status"),
        # A flag's trail, oldest first, read for a page of flags at once.
        Index("ix_flag_event_flag_id_id", "flag_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(foreign_key="flag.id")
    at: datetime = Field(sa_column=timestamp_column())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
