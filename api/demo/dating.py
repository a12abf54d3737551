"""Dating what the demo wrote in one go as a county would have written it over months.

The demo sends months of records through the real services at once, so everything those
services stamp with the time of arrival — villagers' requests, the flags the evidence checks
raise — would all say "today", and every earlier quarter's bulletin would count no request and
no flag. Here each request takes the time of the visit it was raised in (and a resolved one is
resolved some days later), and each evidence flag the time of the record it is about.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from api.checkins.models import Checkin
from api.flags.models import Flag, FlagEvent
from api.requests.models import VillagerRequest
from api.visits.models import Visit

# A followed-up request is resolved within this many days of being raised (never after now).
_DAYS_TO_RESOLVE = (2, 21)


def _days_to_resolve(request_id: str) -> int:
    """The same number of days for the same request, whatever order the demo wrote it in."""
    low, high = _DAYS_TO_RESOLVE
    return low + int(hashlib.sha256(request_id.encode()).hexdigest(), 16) % (high - low + 1)


def date_as_recorded(session: Session, *, now: datetime) -> None:
    _date_requests(session, now=now)
    _date_flags(session)


def _date_requests(session: Session, *, now: datetime) -> None:
    rows = session.exec(
        select(VillagerRequest.id, VillagerRequest.status, Visit.started_at).join(
            Visit, col(Visit.id) == col(VillagerRequest.visit_id)
        )
    ).all()
    params = []
    for request_id, status, raised in rows:
        resolved = min(raised + timedelta(days=_days_to_resolve(request_id)), now) if status == "resolved" else None
        params.append({"rid": request_id, "raised": raised, "touched": resolved or raised, "resolved": resolved})
    if params:
        table = VillagerRequest.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("rid"))
            .values(created_at=bindparam("raised"), updated_at=bindparam("touched"), resolved_at=bindparam("resolved")),
            params,
        )


def _date_flags(session: Session) -> None:
    """Flags about one visit or check-in take its time; their trail's first step too."""
    times: dict[str, datetime] = dict(session.exec(select(Visit.id, Visit.started_at)).all())
    times.update(session.exec(select(Checkin.id, Checkin.at)).all())
    flags = session.exec(select(Flag.id, Flag.subject_id).where(col(Flag.subject_id).is_not(None))).all()
    params = [{"fid": flag_id, "at": times[subject]} for flag_id, subject in flags if subject in times]
    if not params:
        return
    flag_table = Flag.__table__  # type: ignore[attr-defined]
    event_table = FlagEvent.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    connection.execute(
        update(flag_table).where(flag_table.c.id == bindparam("fid")).values(raised_at=bindparam("at")), params
    )
    connection.execute(
        update(event_table)
        .where(event_table.c.flag_id == bindparam("fid"), event_table.c.from_status.is_(None))
        .values(at=bindparam("at")),
        params,
    )
