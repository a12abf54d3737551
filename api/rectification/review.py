"""The two verdicts on a ledger: the town's on a measure, the county's on the whole village.

A measure the secretary reported done is confirmed by the town (乡镇确认) or sent back with
its reason, which the secretary sees on the phone until they report it done again. A village is
accepted (验收通过) only when every one of its measures is confirmed; the county may also send
the whole rectification back, with its reasons. Both verdicts are events in the history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.auth.principal import Principal
from api.errors import Conflict, NotFound
from api.rectification.models import MEASURE_STATUSES, RectificationMeasure, RectificationProblem
from api.rectification.schemas import MeasureReview, VillageReview
from api.rectification.service import add_event, require_reviewer, village_in_scope
from api.regions.models import Region

MEASURE_REVIEWERS = ("admin", "county", "town")
VILLAGE_REVIEWERS = ("admin", "county")


def review_measure(
    session: Session, *, measure_id: int, data: MeasureReview, by: Principal, now: dt.datetime
) -> RectificationMeasure:
    measure = session.get(RectificationMeasure, measure_id)
    if measure is None or not by.covers(measure.village_code):
        raise NotFound("该整改措施不存在，或不在您的管辖范围内。")
    user_id = require_reviewer(by, *MEASURE_REVIEWERS, action="确认或退回整改措施")
    if measure.status != "done":
        raise Conflict(
            f"只有书记已报告完成、等待乡镇确认的措施才能确认或退回；这项措施目前是“{MEASURE_STATUSES[measure.status]}”。"
        )
    if data.decision == "confirm":
        measure.status, measure.confirmed_at, action = "confirmed", now, "confirmed"
    else:
        measure.status, measure.returned_reason, action = "in_progress", data.reason, "returned"
    measure.updated_at = now
    session.add(measure)
    add_event(
        session,
        village_code=measure.village_code,
        action=action,
        problem_id=measure.problem_id,
        measure_id=measure.id,
        note=data.reason,
        user_id=user_id,
        now=now,
    )
    session.flush()
    return measure


def review_village(session: Session, *, code: str, data: VillageReview, by: Principal, now: dt.datetime) -> Region:
    village = village_in_scope(session, code, by=by)
    user_id = require_reviewer(by, *VILLAGE_REVIEWERS, action="验收村的整改")
    if data.decision == "accept":
        _require_all_confirmed(session, village)
        village.rectification_status, action = "accepted", "accepted"
    else:
        problems = session.execute(
            sa_select(func.count()).where(col(RectificationProblem.village_code) == code)
        ).scalar_one()
        if not problems:
            raise Conflict(f"{village.name}还没有整改台账，无需退回。")
        village.rectification_status, action = "rectifying", "acceptance_returned"
    session.add(village)
    add_event(session, village_code=code, action=action, note=data.reason, user_id=user_id, now=now)
    session.flush()
    return village


def _require_all_confirmed(session: Session, village: Region) -> None:
    status = col(RectificationMeasure.status)
    total, pending = session.execute(
        sa_select(func.count(), func.count().filter(status != "confirmed")).where(
            col(RectificationMeasure.village_code) == village.code
        )
    ).one()
    if not total:
        raise Conflict(f"{village.name}的整改台账还没有任何整改措施，不能验收。")
    if pending:
        raise Conflict(f"{village.name}还有 {pending} 项整改措施未经乡镇确认完成（共 {total} 项），不能验收通过。")
