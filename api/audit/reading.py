"""Reading the log back: each entry with the names of who read, one page at a time or all of it.

An export may run to millions of rows, so it reads them in chunks of ``CHUNK`` by key, newest
first, each chunk in a short session of its own with a place in line
(``api.ops.admission.in_chunks``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.audit.models import AuditEntry
from api.audit.schemas import AuditEntryPublic, AuditFilters
from api.auth.models import ApiToken, User
from api.ops.admission import Admission, in_chunks
from api.pagination import PageParams, paginate

CHUNK = 1000


def with_names(session: Session, entries: Sequence[AuditEntry]) -> list[AuditEntryPublic]:
    """``entries`` as the API shows them: each with its reader's account and name, or its token's name."""
    rows = session.exec(
        select(AuditEntry.id, User.username, User.display_name, ApiToken.name)
        .outerjoin(User, col(User.id) == col(AuditEntry.user_id))
        .outerjoin(ApiToken, col(ApiToken.id) == col(AuditEntry.token_id))
        .where(col(AuditEntry.id).in_([entry.id for entry in entries]))
    )
    names = {
        entry_id: {"username": username, "user_display_name": display_name, "token_name": token_name}
        for entry_id, username, display_name, token_name in rows
    }
    return [AuditEntryPublic.model_validate({**entry.model_dump(), **names[entry.id]}) for entry in entries]


def _chunk(engine: Engine, filters: AuditFilters, after: int | None) -> tuple[list[AuditEntryPublic], int | None]:
    """The chunk below the key ``after`` (from the newest when None), and the key the next one starts below."""
    with Session(engine) as session:
        stmt = filters.apply(select(AuditEntry))
        entries, more = paginate(session, stmt, AuditEntry.id, PageParams(limit=CHUNK, after=after), descending=True)
        return with_names(session, entries), entries[-1].id if more else None


def every_entry(admission: Admission, engine: Engine, filters: AuditFilters) -> AsyncIterator[list[AuditEntryPublic]]:
    """Every entry that ``filters`` select, newest first, a chunk at a time (see the module)."""
    return in_chunks(admission, lambda after: _chunk(engine, filters, after))
