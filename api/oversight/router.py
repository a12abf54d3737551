"""``/dashboard``: coverage, visits and presence per village and per secretary, for a scope."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import col, select

from api.assignments.models import Assignment, covering
from api.auth.models import SUPERVISOR_ROLES, User
from api.auth.principal import CurrentPrincipal, require_roles
from api.clock import TodayDep
from api.db import SessionDep
from api.errors import NotFound
from api.oversight import dashboard, detail, export, summary
from api.oversight.models import VisitWeek
from api.oversight.schemas import AreaSummary, SecretaryDetail, SecretaryRow, VillageDetail, VillageRow
from api.pagination import Page, PageDep, paginate
from api.regions.models import Region
from api.routing import api_router
from api.validators import RegionCodePath, RowIdPath

router = api_router(prefix="/dashboard", tags=["oversight"])

READERS = (*SUPERVISOR_ROLES, "inspector", "api_token")
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ScopeQuery = Annotated[str | None, Query(description="区划代码：只看该地区之下（默认为本人管辖范围）")]
DaysQuery = Annotated[
    int, Query(ge=1, le=730, description="统计最近多少天（默认 90）：走访、覆盖率，详情页的驻村日历和走访时段")
]
WeeksQuery = Annotated[int, Query(ge=1, le=104, description="每周走访显示最近多少个自然周（默认 12），最早的一周在前")]


@router.get(
    "/villages",
    response_model=Page[VillageRow],
    summary="各村走访覆盖率、走访次数、驻村天数等；format=csv 或 xlsx 时导出管辖范围内全部村",
    responses={200: {"content": {CSV: {}, XLSX: {}}}},
)
def villages(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    today: TodayDep,
    scope: ScopeQuery = None,
    days: DaysQuery = 90,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json（分页）、csv 或 xlsx（全部）")] = "json",
) -> Page[VillageRow] | Response:
    require_roles(principal, *READERS, action="查看工作台")
    in_scope = principal.where_under(Region.code, scope)
    tz = request.app.state.settings.tz
    if format != "json":
        state = request.app.state
        chunks = export.village_chunks(state.admission, state.engine, in_scope, days=days, today=today, tz=tz)
        name = f"各村走访情况-{today.isoformat()}.{format}"
        disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
        if format == "csv":
            body = export.overview_csv(chunks, tz=tz)
        else:
            body = export.overview_xlsx(chunks, tz=tz, title=f"各村走访情况（近 {days} 天，{today.isoformat()}）")
        return StreamingResponse(body, media_type=CSV if format == "csv" else XLSX, headers=disposition)
    stmt = select(Region).where(Region.level == "village", in_scope)
    regions, cursor = paginate(session, stmt, Region.code, page)
    return Page(
        items=dashboard.village_rows(session=session, villages=regions, days=days, today=today, tz=tz),
        next_cursor=cursor,
    )


@router.get(
    "/areas",
    response_model=AreaSummary,
    summary="各县（或各乡镇）合计：派驻村数、覆盖率、需关注村数、待处理提示等，供省、市查看全局",
    description="各村数字由服务每小时统计一次，as_of 为所用数字中最早的统计时间；新增的村在统计之前当场计算。"
    "点某县再看各村：GET /dashboard/villages?scope=县代码。",
)
def areas(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    scope: ScopeQuery = None,
    by: Annotated[summary.Level, Query(description="county（每县一行，默认）或 town（每乡镇一行）")] = "county",
) -> AreaSummary:
    require_roles(principal, *READERS, action="查看工作台")
    prefix = principal.narrow(scope)
    tz = request.app.state.settings.tz
    return summary.area_summary(session, scope_prefix=prefix, by=by, today=today, tz=tz)


@router.get("/secretaries", response_model=Page[SecretaryRow], summary="各第一书记每周走访、驻村天数和覆盖率")
def secretaries(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    today: TodayDep,
    scope: ScopeQuery = None,
    weeks: WeeksQuery = 12,
) -> Page[SecretaryRow]:
    require_roles(principal, *READERS, action="查看工作台")
    stmt = select(Assignment).where(principal.where_under(Assignment.village_code, scope), covering(today))
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


@router.get("/villages/{village_code}", response_model=VillageDetail, summary="一个村的工作台：每周走访、走访位置")
def village_detail(
    village_code: RegionCodePath,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    days: DaysQuery = 90,
    weeks: WeeksQuery = 12,
) -> VillageDetail:
    require_roles(principal, *READERS, action="查看工作台")
    principal.require_covers(village_code, what="村")
    village = session.get(Region, village_code)
    if village is None or village.level != "village":
        raise NotFound("该村不存在，或不在您的管辖范围内。")
    tz = request.app.state.settings.tz
    [row] = dashboard.village_rows(session=session, villages=[village], days=days, today=today, tz=tz)
    since = today - dt.timedelta(days=days - 1)
    return VillageDetail(
        village=row,
        lat=village.lat,
        lon=village.lon,
        radius_m=village.radius_m,
        visits_per_week=dashboard.weekly_visits(
            session, today=today, weeks=weeks, where=[col(VisitWeek.village_code) == village_code]
        )[()],
        visit_points=detail.visit_points(session=session, village_code=village_code, since=since, tz=tz),
    )


@router.get(
    "/secretaries/{user_id}", response_model=SecretaryDetail, summary="一位第一书记的工作台：驻村日历、走访时段"
)
def secretary_detail(
    user_id: RowIdPath,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    days: DaysQuery = 90,
    weeks: WeeksQuery = 12,
) -> SecretaryDetail:
    require_roles(principal, *READERS, action="查看工作台")
    rows = session.exec(
        select(User, Assignment, Region)
        .join(Assignment, col(Assignment.user_id) == User.id)
        .join(Region, col(Region.code) == Assignment.village_code)
        .where(User.id == user_id, principal.where_under(Assignment.village_code))
        .order_by(col(Assignment.start_date))
    ).all()
    if not rows:
        raise NotFound("该第一书记不存在，或不在您的管辖范围内。")
    tz = request.app.state.settings.tz
    since = today - dt.timedelta(days=days - 1)
    return SecretaryDetail(
        postings=dashboard.secretary_rows(session=session, postings=list(rows), weeks=weeks, today=today, tz=tz),
        visits_per_week=dashboard.weekly_visits(
            session, today=today, weeks=weeks, where=[col(VisitWeek.user_id) == user_id]
        )[()],
        presence=detail.presence_calendar(session=session, user_id=user_id, since=since),
        punch_card=detail.punch_card(session=session, user_id=user_id, since=since, tz=tz),
    )
