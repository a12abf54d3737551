"""What the admin's audit list takes (filters) and returns (one entry per logged read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import col

from api.audit.models import AuditEntry, Resource
from api.db import within
from api.validators import Instant, RowIdQuery


class AuditEntryPublic(BaseModel):
    """One logged read. ``record_id`` is set for a single record, ``filters`` for a list.

    Who read it comes named as well as numbered, so that the log reads without a second lookup.
    """

    id: int
    at: datetime
    user_id: int | None
    username: str | None = Field(description="读取人的账号（API 令牌读取时为空）")
    user_display_name: str | None = Field(description="读取人的姓名（API 令牌读取时为空）")
    token_id: int | None
    token_name: str | None = Field(description="读取所用 API 令牌的名称（个人账号读取时为空）")
    role: str
    resource: Resource
    record_id: str | None
    filters: dict[str, Any] | None
    row_count: int
    client_addr: str | None
    user_agent: str | None


@dataclass
class AuditFilters:
    """Whose reads, of what, and when (``since`` inclusive, ``until`` exclusive)."""

    user_id: RowIdQuery = None
    token_id: RowIdQuery = None
    resource: Annotated[Resource | None, Query(description="households、visits 或 photos")] = None
    since: Annotated[Instant | None, Query(description="读取时间不早于（RFC 3339）")] = None
    until: Annotated[Instant | None, Query(description="读取时间早于（RFC 3339）")] = None

    def apply(self, stmt: Any) -> Any:
        """``stmt`` narrowed to these filters."""
        if self.user_id is not None:
            stmt = stmt.where(col(AuditEntry.user_id) == self.user_id)
        if self.token_id is not None:
            stmt = stmt.where(col(AuditEntry.token_id) == self.token_id)
        if self.resource is not None:
            stmt = stmt.where(col(AuditEntry.resource) == self.resource)
        return stmt.where(within(col(AuditEntry.at), self.since, self.until))


AuditFiltersDep = Annotated[AuditFilters, Depends()]
