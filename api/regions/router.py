"""``/regions``: the county's towns and villages."""

from __future__ import annotations

from fastapi import status
from sqlmodel import select

from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import CurrentPrincipal, require_roles
from api.db import SessionDep
from api.pagination import Page, PageDep, paginate
from api.regions import service
from api.regions.models import Region
from api.regions.schemas import CentreSuggestion, Level, RegionCreate, RegionPublic, RegionUpdate
from api.routing import api_router
from api.validators import RegionCodePath, RegionCodeQuery

router = api_router(prefix="/regions", tags=["regions"])


@router.post("", response_model=RegionPublic, status_code=status.HTTP_201_CREATED, summary="新建地区")
def create_region(data: RegionCreate, session: SessionDep, principal: CurrentPrincipal) -> Region:
    require_roles(principal, *SUPERVISOR_ROLES, action="新建地区")
    return service.create_region(session=session, data=data, by=principal)


@router.get("", response_model=Page[RegionPublic], summary="管辖范围内的地区")
def list_regions(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    parent: RegionCodeQuery = None,
    level: Level | None = None,
) -> Page[Region]:
    stmt = select(Region).where(principal.where_under(Region.code))
    if parent:
        stmt = stmt.where(Region.parent_code == parent)
    if level:
        stmt = stmt.where(Region.level == level)
    rows, cursor = paginate(session, stmt, Region.code, page)
    return Page(items=rows, next_cursor=cursor)


@router.get("/{code}", response_model=RegionPublic, summary="一个地区")
def get_region(code: RegionCodePath, session: SessionDep, principal: CurrentPrincipal) -> Region:
    return service.get_region(session=session, code=code, by=principal)


@router.get(
    "/{code}/suggested-centre",
    response_model=CentreSuggestion,
    summary="建议的村中心点：近 90 天驻村签到位置的中位数",
)
def suggested_centre(code: RegionCodePath, session: SessionDep, principal: CurrentPrincipal) -> CentreSuggestion:
    require_roles(principal, *SUPERVISOR_ROLES, action="查看建议的村中心点")
    return service.suggested_centre(session=session, code=code, by=principal)


@router.patch("/{code}", response_model=RegionPublic, summary="修改地区（软弱涣散定级、整顿状态、一村一策等）")
def update_region(code: RegionCodePath, data: RegionUpdate, session: SessionDep, principal: CurrentPrincipal) -> Region:
    require_roles(principal, *SUPERVISOR_ROLES, action="修改地区")
    return service.update_region(session=session, code=code, data=data, by=principal)
