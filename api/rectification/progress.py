"""Progress reports on measures (整改进展), exactly once, as visits are.

A report comes from the phone's outbox, alone or in a ``/sync`` batch, with the phone's UUID.
The database decides which send is first (``api.records``); only a report this transaction
inserted moves its measure — an open one into progress, and one marked done to 'done' with
the town's earlier reason for sending it back cleared — and adds its event to the history.
A report on a measure the town has confirmed is kept as it is and moves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.acceptance import check_not_future, check_photos, check_posted, check_village
from api.assignments.service import postings_of
from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import Principal
from api.errors import AppError, Forbidden
from api.photos.models import Photo
from api.records import Outcome, RecordRejected, content_hash, insert_new, resend_outcome, select_in, select_map
from api.rectification.models import RectificationMeasure, RectificationProgress
from api.rectification.service import add_event, summary_of
from api.regions.models import Region
from api.settings import Settings

REPORTER_ROLES = (*SUPERVISOR_ROLES, "secretary")


def record_progress(
    *, session: Session, by: Principal, items: Sequence[Any], settings: Settings, now: datetime
) -> list[Outcome]:
    """Judge and store a batch of progress reports (``ProgressIn``); one outcome per item, in order."""
    if by.role not in REPORTER_ROLES or by.user is None or by.user.id is None:
        return [Outcome(str(item.id), "rejected", Forbidden("您的角色不能报告整改进展。")) for item in items]
    user_id = by.user.id
    measures = {
        m.id: m
        for m in select_in(session, RectificationMeasure, RectificationMeasure.id, {i.measure_id for i in items})
    }
    villages = {r.code: r for r in select_in(session, Region, Region.code, {m.village_code for m in measures.values()})}
    photos = {p.id: p for p in select_in(session, Photo, Photo.id, {str(p) for i in items for p in i.photo_ids})}
    stored = select_map(
        session, RectificationProgress.id, RectificationProgress.content_hash, {str(i.id) for i in items}
    )
    postings = postings_of(session=session, user_id=user_id) if by.role == "secretary" else []

    outcomes: list[Outcome] = []
    accepted: dict[str, tuple[Any, RectificationMeasure, str]] = {}
    for item in items:
        report_id, digest = str(item.id), content_hash(item)
        if report_id in stored or report_id in accepted:
            outcomes.append(resend_outcome(report_id, stored.get(report_id) or accepted[report_id][2], digest))
            continue
        try:
            measure = measures.get(item.measure_id)
            if measure is None or not by.covers(measure.village_code):
                raise RecordRejected("这项整改措施不存在，或不在您的管辖范围内。", code="unknown_measure", status=404)
            check_not_future(item.at, now=now, settings=settings)
            village = check_village(measure.village_code, villages, by=by)
            check_posted(village, item.at, postings, by=by, settings=settings)
            check_photos(item.photo_ids, photos, by=by)
        except AppError as exc:
            outcomes.append(Outcome(report_id, "rejected", exc))
            continue
        accepted[report_id] = (item, measure, digest)
        outcomes.append(Outcome(report_id, "created"))

    rows = [_row(item, measure, user_id, digest, now) for item, measure, digest in accepted.values()]
    inserted = insert_new(session, RectificationProgress, rows)
    lost = set(accepted) - inserted
    if lost:
        winners = select_map(session, RectificationProgress.id, RectificationProgress.content_hash, lost)
        outcomes = [resend_outcome(o.id, winners[o.id], accepted[o.id][2]) if o.id in lost else o for o in outcomes]
    _apply(session, [accepted[o.id] for o in outcomes if o.id in inserted and o.status == "created"], user_id, now)
    return outcomes


def _apply(session: Session, new: list[tuple[Any, RectificationMeasure, str]], user_id: int, now: datetime) -> None:
    """Move the measures the new reports are about, and write their events, in report order."""
    for item, measure, _ in sorted(new, key=lambda entry: entry[0].at):
        measure_id = measure.id
        confirmed = _status(session, measure_id) == "confirmed"
        if not confirmed:
            _move(session, measure_id, frm=("open",), values={"status": "in_progress", "updated_at": now})
        if item.done and not confirmed:
            values = {"status": "done", "done_at": item.at, "returned_reason": None, "updated_at": now}
            _move(session, measure_id, frm=("open", "in_progress", "done"), values=values)
        add_event(
            session,
            village_code=measure.village_code,
            action="reported_done" if item.done and not confirmed else "progress",
            problem_id=measure.problem_id,
            measure_id=measure_id,
            note=summary_of(item.text),
            user_id=user_id,
            now=now,
        )
    session.flush()
    session.expire_all()  # the measures were moved by UPDATEs the loaded objects do not know of


def _status(session: Session, measure_id: int | None) -> str | None:
    """The measure's status now, read from the database (an earlier report may have moved it)."""
    return session.exec(select(RectificationMeasure.status).where(RectificationMeasure.id == measure_id)).first()


def _move(session: Session, measure_id: int | None, *, frm: tuple[str, ...], values: dict[str, Any]) -> None:
    """Set ``values`` on the measure while it is in one of ``frm``: the condition is in the UPDATE,
    so a town that confirmed it meanwhile is never undone."""
    session.execute(
        update(RectificationMeasure)
        .where(col(RectificationMeasure.id) == measure_id, col(RectificationMeasure.status).in_(frm))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _row(item: Any, measure: RectificationMeasure, user_id: int, digest: str, now: datetime) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "measure_id": item.measure_id,
        "village_code": measure.village_code,
        "user_id": user_id,
        "at": item.at,
        "received_at": now,
        "text": item.text,
        "photo_ids": [str(p) for p in item.photo_ids],
        "marks_done": item.done,
        "content_hash": digest,
    }
