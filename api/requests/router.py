"""``/requests``: villagers' requests, followed until something is done about them (办实事)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Query, Request

from api.audit.service import log_read
from api.auth.principal import CurrentPrincipal
from api.clock import TodayDep
from api.db import SessionDep, utcnow
from api.pagination import PageDep, paginate
from api.requests import service
from api.requests.models import VillagerRequest
from api.requests.schemas import RequestHide, RequestPage, RequestPublic, RequestSource, RequestStatus, RequestUpdate
from api.routing import api_router
from api.validators import Line, RegionCodeQuery

router = api_router(prefix="/requests", tags=["field records"])


@router.get("", response_model=RequestPage, summary="群众诉求（可按范围、状态、类别、等待天数筛选）")
def list_requests(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    today: TodayDep,
    scope: Annotated[str | None, Query(description="区划代码（乡镇或村）：只看该地区之下的诉求")] = None,
    village_code: RegionCodeQuery = None,
    status: Annotated[list[RequestStatus] | None, Query(description="办理状态，可重复传多个")] = None,
    category: Annotated[Line | None, Query(max_length=30, description="诉求类别")] = None,
    older_than_days: Annotated[
        int | None, Query(ge=0, le=3650, description="未办结且已等待超过这么多天（按收到诉求的日期）")
    ] = None,
    source: Annotated[RequestSource | None, Query(description="来源：visit 入户走访，public_page 公开页留言")] = None,
    hidden: Annotated[bool, Query(description="true：只看已隐藏的留言（仅乡镇、县和管理员）")] = False,
) -> RequestPage:
    settings = request.app.state.settings
    waiting = None if older_than_days is None else service.overdue_before(today, older_than_days, settings.tz)
    stmt = service.request_query(
        by=principal,
        statuses=status or (),
        category=category,
        village_code=village_code,
        scope=scope,
        waiting_since_before=waiting,
        source=source,
        hidden=hidden,
    )
    rows, cursor = paginate(session, stmt, VillagerRequest.id, page)
    items = service.describe_requests(session=session, rows=rows, cutoff=_overdue_cutoff(request, today), by=principal)
    # The requests carry the household heads' names, read here as the visits' parts they are.
    filters = {
        "list": "requests",
        "scope": scope,
        "village_code": village_code,
        "status": status,
        "category": category,
        "older_than_days": older_than_days,
        "source": source,
        "hidden": hidden or None,
    }
    log_read(session, request, principal, "visits", filters=filters, row_count=len(items))
    return RequestPage(items=items, next_cursor=cursor, overdue_days=settings.request_overdue_days)


@router.patch("/{request_id}", response_model=RequestPublic, summary="开始办理或办结一条诉求（办结须写明办理结果）")
def update_request(
    request_id: str,
    data: RequestUpdate,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
) -> RequestPublic:
    row = service.update_request(session=session, request_id=request_id, data=data, by=principal, now=utcnow())
    [shown] = service.describe_requests(
        session=session, rows=[row], cutoff=_overdue_cutoff(request, today), by=principal
    )
    return shown


@router.post(
    "/{request_id}/hide", response_model=RequestPublic, summary="隐藏一条不当的公开页留言（须写明原因；留言保留）"
)
def hide_request(
    request_id: str,
    data: RequestHide,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
) -> RequestPublic:
    row = service.hide_request(session=session, request_id=request_id, reason=data.reason, by=principal, now=utcnow())
    [shown] = service.describe_requests(
        session=session, rows=[row], cutoff=_overdue_cutoff(request, today), by=principal
    )
    return shown


@router.post("/{request_id}/unhide", response_model=RequestPublic, summary="取消隐藏一条留言")
def unhide_request(
    request_id: str, request: Request, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> RequestPublic:
    row = service.hide_request(session=session, request_id=request_id, reason=None, by=principal, now=utcnow())
    [shown] = service.describe_requests(
        session=session, rows=[row], cutoff=_overdue_cutoff(request, today), by=principal
    )
    return shown


def _overdue_cutoff(request: Request, today: date) -> datetime:
    settings = request.app.state.settings
    return service.overdue_before(today, settings.request_overdue_days, settings.tz)
