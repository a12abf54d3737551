"""``/villages/{code}/rectification`` and ``/rectification/...``: the rectification ledger."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Request, Response

from api.auth.principal import CurrentPrincipal
from api.clock import TodayDep
from api.db import SessionDep, utcnow
from api.records import answer_single
from api.rectification import export, review, service
from api.rectification.models import RectificationProgress
from api.rectification.progress import record_progress
from api.rectification.schemas import (
    LedgerOut,
    MeasureIn,
    MeasureOut,
    MeasureReview,
    MeasureUpdate,
    ProblemIn,
    ProblemOut,
    ProblemUpdate,
    ProgressIn,
    ProgressOut,
    VillageReview,
)
from api.routing import api_router
from api.validators import RegionCodePath, RowIdPath

router = api_router(tags=["rectification"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/villages/{code}/rectification", response_model=LedgerOut, summary="村的整改台账：问题、措施、进展和整改经过"
)
def get_ledger(code: RegionCodePath, session: SessionDep, principal: CurrentPrincipal, today: TodayDep) -> LedgerOut:
    return service.ledger(session, code=code, by=principal, today=today)


@router.post(
    "/villages/{code}/rectification/problems",
    response_model=ProblemOut,
    status_code=201,
    summary="在整改台账中新增查摆出的问题（已验收的村将重新进入整改）",
)
def add_problem(
    code: RegionCodePath, data: ProblemIn, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> ProblemOut:
    problem = service.add_problem(session, code=code, data=data, by=principal, today=today, now=utcnow())
    return service.problem_with_measures(session, problem, today)


@router.patch("/rectification/problems/{problem_id}", response_model=ProblemOut, summary="修改台账中的问题")
def update_problem(
    problem_id: RowIdPath, data: ProblemUpdate, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> ProblemOut:
    problem = service.update_problem(session, problem_id=problem_id, data=data, by=principal, today=today, now=utcnow())
    return service.problem_with_measures(session, problem, today)


@router.post(
    "/rectification/problems/{problem_id}/measures",
    response_model=MeasureOut,
    status_code=201,
    summary="为问题新增整改措施（目标、完成时限、责任主体）",
)
def add_measure(
    problem_id: RowIdPath, data: MeasureIn, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> MeasureOut:
    measure = service.add_measure(session, problem_id=problem_id, data=data, by=principal, today=today, now=utcnow())
    return service.measure_with_progress(session, measure, today)


@router.patch(
    "/rectification/measures/{measure_id}", response_model=MeasureOut, summary="修改整改措施（乡镇确认后不能再改）"
)
def update_measure(
    measure_id: RowIdPath, data: MeasureUpdate, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> MeasureOut:
    measure = service.update_measure(session, measure_id=measure_id, data=data, by=principal, today=today, now=utcnow())
    return service.measure_with_progress(session, measure, today)


@router.post(
    "/rectification/progress",
    response_model=ProgressOut,
    status_code=201,
    summary="报告整改措施的进展（可标记已完成）；同一编号、同样内容重复提交返回 200",
    responses={200: {"model": ProgressOut, "description": "已收到过，未作改动"}},
)
def report_progress(
    data: ProgressIn, request: Request, response: Response, session: SessionDep, principal: CurrentPrincipal
) -> ProgressOut:
    [outcome] = record_progress(
        session=session, by=principal, items=[data], settings=request.app.state.settings, now=utcnow()
    )
    answer_single(outcome, response)
    report = session.get(RectificationProgress, outcome.id)
    assert report is not None
    return service.progress_out(report, service.user_names(session, {report.user_id}))


@router.post(
    "/rectification/measures/{measure_id}/review",
    response_model=MeasureOut,
    summary="乡镇确认或退回书记已报告完成的整改措施（退回须写明原因）",
)
def review_measure(
    measure_id: RowIdPath, data: MeasureReview, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> MeasureOut:
    measure = review.review_measure(session, measure_id=measure_id, data=data, by=principal, now=utcnow())
    return service.measure_with_progress(session, measure, today)


@router.post(
    "/villages/{code}/rectification/review",
    response_model=LedgerOut,
    summary="县里验收村的整改：全部措施经乡镇确认后可验收通过，或写明原因退回",
)
def review_village(
    code: RegionCodePath, data: VillageReview, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> LedgerOut:
    review.review_village(session, code=code, data=data, by=principal, now=utcnow())
    return service.ledger(session, code=code, by=principal, today=today)


@router.get(
    "/rectification/export.xlsx",
    summary="导出管辖范围内的整改台账（XLSX，每项措施一行）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def export_ledgers(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    scope: Annotated[str | None, Query(description="区划代码：只导出该地区之下（默认为本人管辖范围）")] = None,
) -> Response:
    principal.narrow(scope)  # a code outside the scope is a 404 before anything is read
    rows = export.ledger_rows(session, by=principal, scope=scope)
    owner = principal.user.scope_code if principal.user else (principal.token.scope_code if principal.token else None)
    label = scope or owner or "全部"
    title = f"整改台账（{label}，{today.isoformat()}）"
    body = export.ledger_xlsx(rows, tz=request.app.state.settings.tz, today=today, title=title)
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'整改台账-{label}.xlsx')}"}
    return Response(body, media_type=XLSX, headers=disposition)
