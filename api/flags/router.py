"""``/flags``: what supervisors should look at, and what they made of it (问题提示).

Readers: admin, county, town and inspector accounts (and read-only API tokens), within their
scope; secretaries get 403, since flags are about them, for others to judge. The same roles
but tokens handle flags (``PATCH``, or many at once with ``POST /flags/acknowledge``) and
raise manual ones (``POST``). Each flag comes with its ``history``: who raised or moved it, when,
and with which note.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from api.auth.principal import CurrentPrincipal
from api.db import SessionDep, utcnow
from api.flags import service
from api.flags.schemas import (
    BulkAcknowledge,
    BulkAcknowledged,
    FlagFiltersDep,
    FlagPublic,
    FlagUpdate,
    KnownKind,
    ManualFlagCreate,
)
from api.pagination import Page, PageDep
from api.routing import api_router
from api.validators import RowIdPath

router = api_router(prefix="/flags", tags=["oversight"])


@router.get("", response_model=Page[FlagPublic], summary="管辖范围内的问题提示（最新的在前）")
def list_flags(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    filters: FlagFiltersDep,
    kind: Annotated[list[KnownKind] | None, Query(description="提示类型，可重复传多个")] = None,
) -> Page[FlagPublic]:
    rows, cursor = service.list_flags(session=session, by=principal, page=page, filters=filters, kinds=kind or ())
    return Page(items=service.describe_flags(session=session, flags=rows), next_cursor=cursor)


@router.get(
    "/counts",
    response_model=dict[str, int],
    summary="按提示类型统计条数（筛选条件同列表，不含类型）",
)
def count_flags(session: SessionDep, principal: CurrentPrincipal, filters: FlagFiltersDep) -> dict[str, int]:
    return service.count_by_kind(session=session, by=principal, filters=filters)


@router.post(
    "/acknowledge",
    response_model=BulkAcknowledged,
    summary="批量确认问题提示（最多500条）；任何一条不在管辖范围内则全部不处理；已处理过的原样保留并列出",
)
def acknowledge_flags(data: BulkAcknowledge, session: SessionDep, principal: CurrentPrincipal) -> BulkAcknowledged:
    done, left = service.acknowledge_flags(session=session, data=data, by=principal, now=utcnow())
    described = service.describe_flags(session=session, flags=[*done, *left])
    return BulkAcknowledged(acknowledged=described[: len(done)], unchanged=described[len(done) :])


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
