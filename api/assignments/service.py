"""Posting secretaries to villages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.assignments.models import Assignment, covering
from api.assignments.schemas import AssignmentCreate, AssignmentUpdate, Posting, Rotation
from api.auth.accounts import move_scope_with_posting
from api.auth.models import User
from api.auth.principal import Principal
from api.errors import Conflict, InvalidInput, NotFound
from api.regions.models import Region
from api.regions.service import require_village


def create_assignment(*, session: Session, data: AssignmentCreate, by: Principal | None, today: dt.date) -> Assignment:
    """Post a secretary to a village in the creator's scope; the secretary's scope moves there."""
    village = require_village(session=session, code=data.village_code, by=by)
    user = _postable_user(session, user_id=data.user_id, by=by)
    _require_no_clash(
        session,
        user=user,
        village=village,
        position=data.position,
        start=data.start_date,
        end=data.end_date,
    )
    move_scope_with_posting(session, user=user, village_code=village.code, today=today)
    assignment = Assignment(**data.model_dump())
    session.add(assignment)
    session.flush()
    return assignment


def _postable_user(session: Session, *, user_id: int, by: Principal | None) -> User:
    user = session.get(User, user_id)
    if user is None or (by is not None and not (user.scope_code and by.covers(user.scope_code))):
        raise InvalidInput("该用户不存在，或不在您的管辖范围内。", loc=("body", "user_id"))
    if user.role != "secretary":
        raise InvalidInput(
            f"只能派驻第一书记或工作队员（secretary 角色），{user.display_name} 是 {user.role}。",
            loc=("body", "user_id"),
        )
    if not user.is_active:
        raise InvalidInput(f"{user.display_name} 的账号已停用，请先启用。", loc=("body", "user_id"))
    return user


def _overlapping(start: dt.date, end: dt.date | None) -> list[ColumnElement[bool]]:
    """SQL conditions: a posting whose dates share a day with ``start``..``end`` (open = runs on)."""
    return [
        or_(col(Assignment.end_date).is_(None), col(Assignment.end_date) >= start),
        *([col(Assignment.start_date) <= end] if end else []),
    ]


def _require_no_clash(
    session: Session,
    *,
    user: User,
    village: Region,
    position: str,
    start: dt.date,
    end: dt.date | None,
    ignore: int | None = None,
) -> None:
    """A person holds one posting in a village at a time, and a village one first secretary."""
    others = [col(Assignment.id) != ignore] if ignore is not None else []
    mine = session.exec(
        select(Assignment).where(
            Assignment.user_id == user.id, Assignment.village_code == village.code, *_overlapping(start, end), *others
        )
    ).first()
    if mine is not None:
        raise Conflict(f"{user.display_name} 在{village.name}已有一段重叠的派驻（从 {mine.start_date} 起）。")
    if position != "first_secretary":
        return
    clash = session.exec(
        select(Assignment, User)
        .join(User, col(User.id) == Assignment.user_id)
        .where(
            Assignment.village_code == village.code,
            Assignment.position == "first_secretary",
            *_overlapping(start, end),
            *others,
        )
    ).first()
    if clash is not None:
        posting, holder = clash
        until = f"至 {posting.end_date}" if posting.end_date else "尚未结束"
        raise Conflict(
            f"{village.name}已有第一书记 {holder.display_name}（{posting.start_date} 起，{until}），"
            "与这段派驻的日期重叠。换人请用“轮换”，或先结束原来的派驻。"
        )


def get_assignment(session: Session, *, assignment_id: int, by: Principal) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or not by.covers(assignment.village_code):
        raise NotFound("该派驻不存在，或不在您的管辖范围内。")
    return assignment


def update_assignment(*, session: Session, assignment_id: int, data: AssignmentUpdate, by: Principal) -> Assignment:
    """Change a posting's end date (ending it), dispatch unit or position."""
    assignment = get_assignment(session, assignment_id=assignment_id, by=by)
    changes = data.model_dump(exclude_unset=True)
    for field in ("dispatch_unit", "position"):
        if field in changes and changes[field] is None:
            raise InvalidInput("此项不能清空。", loc=("body", field))
    end = changes.get("end_date", assignment.end_date)
    if end is not None and end < assignment.start_date:
        raise InvalidInput(
            f"结束日期不能早于开始日期（{assignment.start_date}）。",
            loc=("body", "end_date"),
        )
    position = changes.get("position", assignment.position)
    user = session.get(User, assignment.user_id)
    village = session.get(Region, assignment.village_code)
    assert user is not None
    assert village is not None
    _require_no_clash(
        session,
        user=user,
        village=village,
        position=position,
        start=assignment.start_date,
        end=end,
        ignore=assignment.id,
    )
    assignment.end_date = end
    assignment.position = position
    assignment.dispatch_unit = changes.get("dispatch_unit", assignment.dispatch_unit)
    session.add(assignment)
    session.flush()
    return assignment


def rotate(*, session: Session, assignment_id: int, data: Rotation, by: Principal, today: dt.date) -> Assignment:
    """轮换: the posting ends the day before ``data.date`` and the successor's starts that day,
    in the same position (and dispatch unit unless another is given), as one change."""
    outgoing = get_assignment(session, assignment_id=assignment_id, by=by)
    if data.date <= outgoing.start_date:
        raise InvalidInput(
            f"轮换日期必须晚于原派驻的开始日期（{outgoing.start_date}）。",
            loc=("body", "date"),
        )
    if outgoing.end_date is not None and outgoing.end_date < data.date - dt.timedelta(days=1):
        raise InvalidInput(f"原派驻已于 {outgoing.end_date} 结束，不能再轮换。", loc=("body", "date"))
    if data.successor_user_id == outgoing.user_id:
        raise InvalidInput("接任者不能是原来的人。", loc=("body", "successor_user_id"))
    outgoing.end_date = data.date - dt.timedelta(days=1)
    session.add(outgoing)
    session.flush()
    successor = AssignmentCreate(
        user_id=data.successor_user_id,
        village_code=outgoing.village_code,
        position=outgoing.position,
        dispatch_unit=data.dispatch_unit or outgoing.dispatch_unit,
        start_date=data.date,
    )
    return create_assignment(session=session, data=successor, by=by, today=today)


def is_posted(*, session: Session, user_id: int, village_code: str, day: dt.date) -> bool:
    """Whether the user has an assignment to the village that covers ``day``."""
    found = session.exec(
        select(Assignment.id).where(
            Assignment.user_id == user_id,
            Assignment.village_code == village_code,
            covering(day),
        )
    ).first()
    return found is not None


_POSTINGS_OF = select(Assignment).where(col(Assignment.user_id) == bindparam("user_id"))


def postings_of(*, session: Session, user_id: int) -> list[Assignment]:
    """All of a user's assignments, for checking many records against them at once."""
    return list(session.exec(_POSTINGS_OF, params={"user_id": user_id}))


def _current_and_future() -> Select[Any]:
    assignments = Assignment.__table__  # type: ignore[attr-defined]
    villages = Region.__table__  # type: ignore[attr-defined]
    return (
        sa_select(
            villages.c.code.label("village_code"),
            villages.c.name.label("village_name"),
            assignments.c.position,
            assignments.c.dispatch_unit,
            assignments.c.start_date,
            assignments.c.end_date,
            villages.c.lat,
            villages.c.lon,
            villages.c.radius_m,
        )
        .select_from(assignments.join(villages, villages.c.code == assignments.c.village_code))
        .where(
            assignments.c.user_id == bindparam("user_id"),
            or_(assignments.c.end_date.is_(None), assignments.c.end_date >= bindparam("today")),
        )
        .order_by(assignments.c.start_date, assignments.c.id)
    )


# Built once, and read as plain rows: every phone asks for it through ``GET /me``.
_CURRENT_AND_FUTURE = _current_and_future()


def current_and_future_postings(*, session: Session, user_id: int, today: dt.date) -> list[Posting]:
    """The user's assignments not yet over on ``today``, with their villages, earliest first.

    The phone keeps these to know its village (name, centre, radius) while offline, so a posting
    that starts next month is included: the secretary can set off before it begins.
    """
    rows = session.execute(_CURRENT_AND_FUTURE, {"user_id": user_id, "today": today})
    return [Posting.model_validate(row._mapping) for row in rows]


def posted_on(postings: list[Assignment], *, village_code: str, day: dt.date) -> bool:
    """Whether one of ``postings`` puts its user in the village on ``day``."""
    return any(
        p.village_code == village_code and p.start_date <= day and (p.end_date is None or day <= p.end_date)
        for p in postings
    )
