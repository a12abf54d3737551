"""``/inspections``: spot checks of villages by inspection teams (随机抽查、明察暗访)."""

from __future__ import annotations

from fastapi import Request, Response
from sqlmodel import col, select

from api.auth.principal import CurrentPrincipal, require_roles
from api.db import SessionDep, utcnow
from api.inspections import service
from api.inspections.models import Inspection
from api.inspections.schemas import AnswersIn, AnswersOut, InspectionCreate, InspectionOut, InspectionSummary
from api.pagination import Page, PageDep, paginate
from api.routing import api_router
from api.validators import RegionCodeQuery, RowIdPath

router = api_router(prefix="/inspections", tags=["inspections"])


@router.post("", response_model=InspectionOut, status_code=201, summary="发起一次督查抽查：按种子随机分层抽取农户")
def create_inspection(data: InspectionCreate, session: SessionDep, principal: CurrentPrincipal) -> InspectionOut:
    inspection = service.create_inspection(session=session, data=data, by=principal, now=utcnow())
    return service.view(session, inspection, principal)


@router.get("", response_model=Page[InspectionSummary], summary="管辖范围内的督查抽查（最新的在前）")
def list_inspections(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep, village_code: RegionCodeQuery = None
) -> Page[InspectionSummary]:
    require_roles(principal, *service.READER_ROLES, action="查看督查抽查")
    stmt = select(Inspection).where(service.visible(principal))
    if village_code:
        principal.require_covers(village_code, what="村")
        stmt = stmt.where(col(Inspection.village_code) == village_code)
    rows, cursor = paginate(session, stmt, Inspection.id, page, descending=True)
    return Page(items=service.summaries(session, rows, principal), next_cursor=cursor)


@router.get(
    "/{inspection_id}", response_model=InspectionOut, summary="一次督查抽查：样本、知晓率、回访率、满意率和不符之处"
)
def get_inspection(inspection_id: RowIdPath, session: SessionDep, principal: CurrentPrincipal) -> InspectionOut:
    return service.view(session, service.get_visible(session, inspection_id, principal), principal)


@router.post(
    "/{inspection_id}/answers",
    response_model=AnswersOut,
    summary="提交入户核实的回答（手机生成的编号；重发同一内容不重复记录）",
)
def post_answers(
    inspection_id: RowIdPath, data: AnswersIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> AnswersOut:
    inspection, results = service.record_answers(
        session=session,
        inspection_id=inspection_id,
        items=data.answers,
        by=principal,
        settings=request.app.state.settings,
        now=utcnow(),
    )
    return AnswersOut(results=results, inspection=service.view(session, inspection, principal))


@router.post("/{inspection_id}/publish", response_model=InspectionOut, summary="公布结果（暗访此后对第一书记可见）")
def publish(
    inspection_id: RowIdPath, request: Request, response: Response, session: SessionDep, principal: CurrentPrincipal
) -> InspectionOut:
    inspection = service.publish(
        session=session, inspection_id=inspection_id, by=principal, settings=request.app.state.settings, now=utcnow()
    )
    return service.view(session, inspection, principal)
