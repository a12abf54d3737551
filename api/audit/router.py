"""``/audit``: the log of reads of personal data, for admins only.

Admins are the only role that sees all people and all places, so they alone may see who read
what; a read-only API token never may.
"""

from __future__ import annotations

from fastapi import Depends
from sqlmodel import select

from api.audit.models import AuditEntry
from api.audit.schemas import AuditEntryPublic, AuditFiltersDep
from api.auth.principal import CurrentPrincipal, require_roles
from api.db import SessionDep
from api.pagination import Page, PageDep, paginate
from api.routing import api_router


def _admins_only(principal: CurrentPrincipal) -> None:
    # A router dependency runs before the query is validated, so others get 403, not 422.
    require_roles(principal, "admin", action="查看个人信息的读取记录")


router = api_router(prefix="/audit", tags=["audit"], dependencies=[Depends(_admins_only)])


@router.get("", response_model=Page[AuditEntryPublic], summary="个人信息的读取记录，最新的在前（仅管理员）")
def list_audit_entries(session: SessionDep, page: PageDep, filters: AuditFiltersDep) -> Page[AuditEntryPublic]:
    stmt = filters.apply(select(AuditEntry))
    rows, cursor = paginate(session, stmt, AuditEntry.id, page, descending=True)
    return Page(items=[AuditEntryPublic.model_validate(e, from_attributes=True) for e in rows], next_cursor=cursor)
