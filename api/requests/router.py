"""``/requests``: villagers' requests, followed until something is done about them (办实事)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from sqlmodel import select

from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import CurrentPrincipal, require_roles
from api.db import SessionDep, utcnow
from api.errors import NotFound
from api.pagination import Page, PageDep, paginate
from api.requests.models import VillagerRequest
from api.requests.schemas import RequestPublic, RequestStatus, RequestUpdate
from api.routing import api_router

router = api_router(prefix="/requests", tags=["field records"])


@router.get("", response_model=Page[RequestPublic], summary="群众诉求（可按范围、状态筛选）")
def list_requests(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    scope: Annotated[str | None, Query(description="区划代码：只看该地区之下的诉求")] = None,
    status: RequestStatus | None = None,
) -> Page[VillagerRequest]:
    stmt = select(VillagerRequest).where(principal.where_under(VillagerRequest.village_code, scope))
    if status:
        stmt = stmt.where(VillagerRequest.status == status)
    rows, cursor = paginate(session, stmt, VillagerRequest.id, page)
    return Page(items=rows, next_cursor=cursor)


@router.patch("/{request_id}", response_model=RequestPublic, summary="更新诉求的办理状态")
def update_request(
    request_id: str, data: RequestUpdate, session: SessionDep, principal: CurrentPrincipal
) -> VillagerRequest:
    require_roles(principal, *SUPERVISOR_ROLES, "secretary", action="办理群众诉求")
    row = session.get(VillagerRequest, request_id)
    if row is None or not principal.covers(row.village_code):
        raise NotFound("该诉求不存在，或不在您的管辖范围内。")
    now = utcnow()
    row.status = data.status
    if data.resolution is not None:
        row.resolution = data.resolution
    row.resolved_at = now if data.status == "resolved" else None
    row.updated_at = now
    session.add(row)
    session.flush()
    return row
