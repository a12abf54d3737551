"""``/checkins``: the daily presence check-in (驻村签到)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.auth.principal import CurrentPrincipal
from api.checkins import service
from api.checkins.models import Checkin
from api.checkins.schemas import CheckinIn, CheckinPublic
from api.db import SessionDep, utcnow
from api.records import answer_single

router = APIRouter(prefix="/checkins", tags=["field records"])


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
