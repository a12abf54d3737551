"""``/assignments``: who is stationed where."""

from __future__ import annotations

from fastapi import status
from sqlmodel import select

from api.assignments import service
from api.assignments.models import Assignment
from api.assignments.schemas import AssignmentCreate, AssignmentPublic
from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import CurrentPrincipal, require_roles
from api.db import SessionDep
from api.pagination import Page, PageDep, paginate
from api.routing import api_router
from api.validators import RegionCodeQuery, RowIdQuery

router = api_router(prefix="/assignments", tags=["people"])


@router.post("", response_model=AssignmentPublic, status_code=status.HTTP_201_CREATED, summary="派驻第一书记或工作队员")
def create_assignment(data: AssignmentCreate, session: SessionDep, principal: CurrentPrincipal) -> Assignment:
    require_roles(principal, *SUPERVISOR_ROLES, action="安排派驻")
    return service.create_assignment(session=session, data=data, by=principal)


@router.get("", response_model=Page[AssignmentPublic], summary="管辖范围内的派驻")
def list_assignments(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    village_code: RegionCodeQuery = None,
    user_id: RowIdQuery = None,
) -> Page[Assignment]:
    stmt = select(Assignment).where(principal.where_under(Assignment.village_code))
    if village_code:
        stmt = stmt.where(Assignment.village_code == village_code)
    if user_id is not None:
        stmt = stmt.where(Assignment.user_id == user_id)
    rows, cursor = paginate(session, stmt, Assignment.id, page)
    return Page(items=rows, next_cursor=cursor)
