"""Posting secretaries to villages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.assignments.models import Assignment, covering
from api.assignments.schemas import AssignmentCreate
from api.auth.models import User
from api.auth.principal import Principal
from api.errors import Conflict, InvalidInput
from api.regions import codes
from api.regions.models import Region
from api.regions.service import require_village


def create_assignment(*, session: Session, data: AssignmentCreate, by: Principal | None) -> Assignment:
    """Post a secretary to a village in the creator's scope (and in the secretary's own scope)."""
    village = require_village(session=session, code=data.village_code, by=by)
    user = session.get(User, data.user_id)
    if user is None or (by is not None and not (user.scope_code and by.covers(user.scope_code))):
        raise InvalidInput("该用户不存在，或不在您的管辖范围内。", loc=("body", "user_id"))
    if user.role != "secretary":
        raise InvalidInput(
            f"只能派驻第一书记或工作队员（secretary 角色），{user.display_name} 是 {user.role}。",
            loc=("body", "user_id"),
        )
    if not user.scope_code or not codes.covers(codes.prefix(user.scope_code), village.code):
        raise InvalidInput(
            f"{village.name}不在 {user.display_name} 的账号管辖范围（{user.scope_code}）内，请先调整账号范围。",
            loc=("body", "village_code"),
        )
    overlapping = session.exec(
        select(Assignment).where(
            Assignment.user_id == data.user_id,
            Assignment.village_code == data.village_code,
            or_(col(Assignment.end_date).is_(None), col(Assignment.end_date) >= data.start_date),
            *([col(Assignment.start_date) <= data.end_date] if data.end_date else []),
        )
    ).first()
    if overlapping is not None:
        raise Conflict(f"{user.display_name} 在 {village.name} 已有一段重叠的派驻（从 {overlapping.start_date} 起）。")
    assignment = Assignment(**data.model_dump())
    session.add(assignment)
    session.flush()
    return assignment


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


def postings_of(*, session: Session, user_id: int) -> list[Assignment]:
    """All of a user's assignments, for checking many records against them at once."""
    return list(session.exec(select(Assignment).where(Assignment.user_id == user_id)))


def current_and_future_postings(*, session: Session, user_id: int, today: dt.date) -> list[tuple[Assignment, Region]]:
    """The user's assignments not yet over on ``today``, with their villages, earliest first.

    The phone keeps these to know its village (name, centre, radius) while offline, so a posting
    that starts next month is included: the secretary can set off before it begins.
    """
    rows = session.exec(
        select(Assignment, Region)
        .join(Region, col(Region.code) == Assignment.village_code)
        .where(
            Assignment.user_id == user_id,
            or_(col(Assignment.end_date).is_(None), col(Assignment.end_date) >= today),
        )
        .order_by(col(Assignment.start_date), col(Assignment.id))
    )
    return [(assignment, village) for assignment, village in rows]


def posted_on(postings: list[Assignment], *, village_code: str, day: dt.date) -> bool:
    """Whether one of ``postings`` puts its user in the village on ``day``."""
    return any(
        p.village_code == village_code and p.start_date <= day and (p.end_date is None or day <= p.end_date)
        for p in postings
    )
