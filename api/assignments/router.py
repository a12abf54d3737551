"""``/assignments``: who is stationed where."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query, status
from sqlmodel import select

from api.assignments import service
from api.assignments.models import Assignment, covering
from api.assignments.schemas import AssignmentCreate, AssignmentPublic, AssignmentUpdate, Rotation
from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import CurrentPrincipal, require_roles
from api.clock import TodayDep
from api.db import SessionDep
from api.pagination import Page, PageDep, paginate
from api.routing import api_router
from api.validators import RegionCodeQuery, RowIdPath, RowIdQuery

router = api_router(prefix="/assignments", tags=["people"])


@router.post("", response_model=AssignmentPublic, status_code=status.HTTP_201_CREATED, summary="派驻第一书记或工作队员")
def create_assignment(
    data: AssignmentCreate, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> Assignment:
    require_roles(principal, *SUPERVISOR_ROLES, action="安排派驻")
    return service.create_assignment(session=session, data=data, by=principal, today=today)


@router.get("", response_model=Page[AssignmentPublic], summary="管辖范围内的派驻")
def list_assignments(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    village_code: RegionCodeQuery = None,
    user_id: RowIdQuery = None,
    active_on: Annotated[dt.date | None, Query(description="只列出这一天在岗的派驻（YYYY-MM-DD）")] = None,
) -> Page[Assignment]:
    stmt = select(Assignment).where(principal.where_under(Assignment.village_code))
    if village_code:
        stmt = stmt.where(Assignment.village_code == village_code)
    if user_id is not None:
        stmt = stmt.where(Assignment.user_id == user_id)
    if active_on is not None:
        stmt = stmt.where(covering(active_on))
    rows, cursor = paginate(session, stmt, Assignment.id, page)
    return Page(items=rows, next_cursor=cursor)


@router.patch(
    "/{assignment_id}",
    response_model=AssignmentPublic,
    summary="结束派驻（填结束日期），或更正派驻单位、职务",
)
def update_assignment(
    assignment_id: RowIdPath, data: AssignmentUpdate, session: SessionDep, principal: CurrentPrincipal
) -> Assignment:
    require_roles(principal, *SUPERVISOR_ROLES, action="修改派驻")
    return service.update_assignment(session=session, assignment_id=assignment_id, data=data, by=principal)


@router.post(
    "/{assignment_id}/rotate",
    response_model=AssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="轮换：原派驻在接任日期前一天结束，接任者从接任日期起驻村",
)
def rotate_assignment(
    assignment_id: RowIdPath, data: Rotation, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> Assignment:
    require_roles(principal, *SUPERVISOR_ROLES, action="轮换第一书记")
    return service.rotate(session=session, assignment_id=assignment_id, data=data, by=principal, today=today)
