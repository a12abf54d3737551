"""``/checkins``: the daily presence check-in (驻村签到)."""

from __future__ import annotations

from fastapi import Request, Response
from sqlmodel import select

from api.auth.principal import CurrentPrincipal
from api.checkins import service
from api.checkins.models import Checkin
from api.checkins.schemas import CheckinIn, CheckinPublic
from api.db import SessionDep, utcnow
from api.pagination import Page, PageDep, paginate
from api.records import RecordFiltersDep, answer_single
from api.routing import api_router

router = api_router(prefix="/checkins", tags=["field records"])


@router.post(
    "",
    response_model=CheckinPublic,
    status_code=201,
    summary="驻村签到；同一编号、同样内容重复提交返回 200",
    responses={200: {"model": CheckinPublic, "description": "已签到过，未作改动"}},
)
def create_checkin(
    data: CheckinIn, request: Request, response: Response, session: SessionDep, principal: CurrentPrincipal
) -> CheckinPublic:
    [outcome] = service.record_checkins(
        session=session, by=principal, items=[data], settings=request.app.state.settings, now=utcnow()
    )
    answer_single(outcome, response)
    checkin = session.get(Checkin, outcome.id)
    assert checkin is not None
    return CheckinPublic.model_validate(checkin.model_dump())


@router.get("", response_model=Page[CheckinPublic], summary="管辖范围内的驻村签到")
def list_checkins(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep, filters: RecordFiltersDep
) -> Page[CheckinPublic]:
    columns = {"village": Checkin.village_code, "user": Checkin.user_id, "at": Checkin.at}
    stmt = filters.apply(select(Checkin), by=principal, **columns)
    rows, cursor = paginate(session, stmt, Checkin.id, page)
    return Page(items=[CheckinPublic.model_validate(c.model_dump()) for c in rows], next_cursor=cursor)
