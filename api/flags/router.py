"""``/flags``: what supervisors should look at, and what they made of it (问题提示).

Readers: admin, county, town and inspector accounts (and read-only API tokens), within their
scope; secretaries get 403, since flags are about them, for others to judge. The same roles
but tokens handle flags (``PATCH``) and raise manual ones (``POST``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from api.auth.principal import CurrentPrincipal
from api.db import SessionDep, utcnow
from api.flags import service
from api.flags.schemas import FlagPublic, FlagUpdate, KnownKind, ManualFlagCreate, StatusFilter
from api.pagination import Page, PageDep
from api.routing import api_router
from api.validators import RowIdPath, RowIdQuery

router = api_router(prefix="/flags", tags=["oversight"])


@router.get("", response_model=Page[FlagPublic], summary="管辖范围内的问题提示（最新的在前）")
def list_flags(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    scope: Annotated[str | None, Query(description="区划代码：只看该地区之下的提示")] = None,
    kind: Annotated[list[KnownKind] | None, Query(description="提示类型，可重复传多个")] = None,
    status: Annotated[
        list[StatusFilter] | None,
        Query(description="状态，默认只看 open；可重复传多个，如 status=open&status=acknowledged；all 表示全部"),
    ] = None,
    user_id: RowIdQuery = None,
) -> Page[FlagPublic]:
    rows, cursor = service.list_flags(
        session=session,
        by=principal,
        page=page,
        scope=scope,
        kinds=kind or (),
        statuses=status or ("open",),
        user_id=user_id,
    )
    return Page(items=service.describe_flags(session=session, flags=rows), next_cursor=cursor)


@router.get("/{flag_id}", response_model=FlagPublic, summary="一条问题提示")
def get_flag(flag_id: RowIdPath, session: SessionDep, principal: CurrentPrincipal) -> FlagPublic:
    flag = service.get_flag(session=session, flag_id=flag_id, by=principal)
    [public] = service.describe_flags(session=session, flags=[flag])
    return public


@router.patch(
    "/{flag_id}", response_model=FlagPublic, summary="处理问题提示：确认核实、驳回或已解决（驳回和解决须写明理由）"
)
def update_flag(flag_id: RowIdPath, data: FlagUpdate, session: SessionDep, principal: CurrentPrincipal) -> FlagPublic:
    flag = service.update_flag(session=session, flag_id=flag_id, data=data, by=principal, now=utcnow())
    [public] = service.describe_flags(session=session, flags=[flag])
    return public


@router.post(
    "",
    response_model=FlagPublic,
    status_code=201,
    summary="手动提出问题提示（例如电话回访后）；同一编号、同样内容重复提交返回 200",
    responses={200: {"model": FlagPublic, "description": "已提出过，未作改动"}},
)
def raise_manual_flag(
    data: ManualFlagCreate, response: Response, session: SessionDep, principal: CurrentPrincipal
) -> FlagPublic:
    flag, created = service.raise_manual_flag(session=session, data=data, by=principal, now=utcnow())
    if not created:
        response.status_code = 200
    [public] = service.describe_flags(session=session, flags=[flag])
    return public
