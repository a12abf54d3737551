"""``/visits``: one visit at a time (the outbox uses ``/sync`` for many)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import Request, Response
from sqlmodel import select

from api.audit.service import log_read
from api.auth.principal import CurrentPrincipal
from api.db import SessionDep, utcnow
from api.errors import NotFound
from api.pagination import Page, PageDep, paginate
from api.records import RecordFiltersDep, answer_single
from api.routing import api_router
from api.visits import service
from api.visits.models import Visit
from api.visits.schemas import VisitIn, VisitPublic

router = api_router(prefix="/visits", tags=["field records"])


@router.post(
    "",
    response_model=VisitPublic,
    status_code=201,
    summary="记录一次走访；同一编号、同样内容重复提交返回 200",
    responses={200: {"model": VisitPublic, "description": "已记录过，未作改动"}},
)
def create_visit(
    data: VisitIn, request: Request, response: Response, session: SessionDep, principal: CurrentPrincipal
) -> VisitPublic:
    [outcome] = service.record_visits(
        session=session, by=principal, items=[data], settings=request.app.state.settings, now=utcnow()
    )
    answer_single(outcome, response)
    if outcome.written is not None:
        return service.visit_as_written(data, outcome.written)
    return service.visit_public(session, [outcome.id])[outcome.id]


@router.get("", response_model=Page[VisitPublic], summary="管辖范围内的走访记录")
def list_visits(
    request: Request, session: SessionDep, principal: CurrentPrincipal, page: PageDep, filters: RecordFiltersDep
) -> Page[VisitPublic]:
    columns = {"village": Visit.village_code, "user": Visit.user_id, "at": Visit.started_at}
    stmt = filters.apply(select(Visit), by=principal, **columns)
    rows, cursor = paginate(session, stmt, Visit.id, page)
    shown = service.visit_public(session, [v.id for v in rows])
    log_read(session, request, principal, "visits", filters=asdict(filters), row_count=len(rows))
    return Page(items=[shown[v.id] for v in rows], next_cursor=cursor)


@router.get("/{visit_id}", response_model=VisitPublic, summary="一条走访记录")
def get_visit(visit_id: str, request: Request, session: SessionDep, principal: CurrentPrincipal) -> VisitPublic:
    visit = session.get(Visit, visit_id)
    if visit is None or not principal.covers(visit.village_code):
        raise NotFound("该走访记录不存在，或不在您的管辖范围内。")
    shown = service.visit_public(session, [visit_id])[visit_id]
    log_read(session, request, principal, "visits", record_id=visit_id)
    return shown
