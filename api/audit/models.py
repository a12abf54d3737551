"""One row per answered read of personal data (households, visits, photos).

A row per request rather than per record keeps the log cheap enough to write on every read:
a single read names its record, a list keeps its filters and how many rows it returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from api.db import timestamp_column, utcnow

# The kinds of record whose reads are logged, as ``resource`` names them.
Resource = Literal["households", "visits", "photos"]
CLIENT_ADDR_MAX_LENGTH = 64
USER_AGENT_MAX_LENGTH = 300


class AuditEntry(SQLModel, table=True):
    """One read: who (a user or an API token, and its role), what, when and from where.

    Exactly one of ``user_id`` and ``token_id`` is set. ``record_id`` names the record of a
    single read; a list leaves it null and keeps its ``filters`` instead.
    """

    __tablename__ = "audit_entry"

    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="one_principal"),
        CheckConstraint("resource IN ('households', 'visits', 'photos')", name="resource"),
        # The admin's list reads newest first (by id), narrowed by person, token or time.
        Index("ix_audit_entry_user_id_id", "user_id", "id"),
        Index("ix_audit_entry_token_id_id", "token_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(index=True))
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    token_id: int | None = Field(default=None, foreign_key="api_token.id")
    role: str = Field(max_length=10)
    resource: str = Field(max_length=10)
    record_id: str | None = Field(default=None, max_length=36)
    filters: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    row_count: int
    client_addr: str | None = Field(default=None, max_length=CLIENT_ADDR_MAX_LENGTH)
    user_agent: str | None = Field(default=None, max_length=USER_AGENT_MAX_LENGTH)
