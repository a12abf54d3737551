"""The one call a route makes to log a read of personal data, just before it answers.

The row goes into the request's own session, which ``api.db.get_session`` commits before the
response is sent: a read is never answered without its row stored. Routes call it only once
the read has succeeded, so a refused read (404, 403) leaves no row.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from sqlmodel import Session

from api.audit.models import CLIENT_ADDR_MAX_LENGTH, USER_AGENT_MAX_LENGTH, AuditEntry, Resource
from api.auth.principal import Principal


def log_read(
    session: Session,
    request: Request,
    by: Principal,
    resource: Resource,
    *,
    record_id: int | str | None = None,
    filters: dict[str, Any] | None = None,
    row_count: int = 1,
) -> None:
    """Log that ``by`` read one record (``record_id``) or a list (``filters``, ``row_count`` rows).

    Call it last, once the route has everything it will answer with. The read's transaction is
    ended first, so that the row is written by a transaction whose first statement is the write:
    on SQLite a transaction that has read and then writes fails at once when another writer got
    in between (see ``api.db.writer_engine``), while one that starts with the write queues for
    the lock like any writer. PostgreSQL pays one extra round trip.
    """
    agent = request.headers.get("user-agent")
    entry = AuditEntry(
        user_id=by.user.id if by.user else None,
        token_id=by.token.id if by.token else None,
        role=by.role,
        resource=resource,
        record_id=None if record_id is None else str(record_id),
        filters=None if filters is None else {k: v for k, v in jsonable_encoder(filters).items() if v is not None},
        row_count=row_count,
        client_addr=request.client.host[:CLIENT_ADDR_MAX_LENGTH] if request.client else None,
        user_agent=agent[:USER_AGENT_MAX_LENGTH] if agent else None,
    )
    session.commit()
    session.add(entry)
