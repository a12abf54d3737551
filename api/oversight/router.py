"""``/dashboard``: coverage, visits and presence per village and per secretary, for a scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import col, select

from api.assignments.models import Assignment
from api.auth.models import SUPERVISOR_ROLES, User
from api.auth.principal import CurrentPrincipal, require_roles
from api.clock import TodayDep
from api.db import SessionDep
from api.oversight import dashboard
from api.oversight.schemas import SecretaryRow, VillageRow
from api.pagination import Page, PageDep, paginate
from api.regions.models import Region

router = APIRouter(prefix="/dashboard", tags=["oversight"])

READERS = (*SUPERVISOR_ROLES, "inspector")
ScopeQuery = Annotated[str | None, Query(description="区划代码：只看该地区之下（默认为本人管辖范围）")]


@router.get("/villages", response_model=Page[VillageRow], summary="各村走访覆盖率、走访次数、驻村天数等")
def villages(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    today: TodayDep,
    scope: ScopeQuery = None,
    days: Annotated[int, Query(ge=1, le=730, description="统计最近多少天的走访（默认 90）")] = 90,
) -> Page[VillageRow]:
    require_roles(principal, *READERS, action="查看工作台")
    stmt = select(Region).where(Region.level == "village", principal.where_under(Region.code, scope))
    rows, cursor = paginate(session, stmt, Region.code, page)
    tz = request.app.state.settings.tz
    return Page(
        items=dashboard.village_rows(session=session, villages=rows, days=days, today=today, tz=tz),
        next_cursor=cursor,
    )


@router.get("/secretaries", response_model=Page[SecretaryRow], summary="各第一书记每周走访、驻村天数和覆盖率")
def secretaries(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    today: TodayDep,
    scope: ScopeQuery = None,
    weeks: Annotated[int, Query(ge=1, le=104, description="最近多少周（默认 12），最早的一周在前")] = 12,
) -> Page[SecretaryRow]:
    require_roles(principal, *READERS, action="查看工作台")
    stmt = select(Assignment).where(
        principal.where_under(Assignment.village_code, scope),
        col(Assignment.start_date) <= today,
        (col(Assignment.end_date).is_(None)) | (col(Assignment.end_date) >= today),
    )
    assignments, cursor = paginate(session, stmt, Assignment.id, page)
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_({a.user_id for a in assignments})))}
    regions = {
        r.code: r
        for r in session.exec(select(Region).where(col(Region.code).in_({a.village_code for a in assignments})))
    }
    postings = [(users[a.user_id], a, regions[a.village_code]) for a in assignments]
    tz = request.app.state.settings.tz
    return Page(
        items=dashboard.secretary_rows(session=session, postings=postings, weeks=weeks, today=today, tz=tz),
        next_cursor=cursor,
    )
