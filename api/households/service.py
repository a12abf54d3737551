"""Adding, changing, finding and listing households within a principal's scope."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, or_
from sqlmodel import Session, col, select

from api.assignments.service import is_posted
from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import Principal, phone_as_seen_by
from api.db import flush_unique, utcnow
from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.households.models import Household
from api.households.schemas import HouseholdCreate, HouseholdPublic, HouseholdUpdate
from api.regions.models import Region
from api.regions.service import require_village

EDITOR_ROLES = (*SUPERVISOR_ROLES, "secretary")
# 户编号 is the ledger's key: clearing it would make the next import add the household again.
_FIELD_LABELS = {"head_name": "户主姓名", "tags": "标签", "household_no": "户编号"}


def _duplicate_number(village_code: str, household_no: str | None) -> Conflict:
    return Conflict(f"村 {village_code} 已有户编号为“{household_no}”的农户。")


def _can_edit(*, session: Session, by: Principal, village_code: str, today: dt.date) -> None:
    """Supervisors edit households in scope; a secretary only where posted today."""
    if by.role not in EDITOR_ROLES:
        raise Forbidden("您的角色无权修改农户信息。")
    if by.role == "secretary":
        assert by.user is not None
        assert by.user.id is not None
        if not is_posted(session=session, user_id=by.user.id, village_code=village_code, day=today):
            raise Forbidden("您目前没有派驻在这个村，不能修改该村的农户信息。")


def create_household(*, session: Session, data: HouseholdCreate, by: Principal, today: dt.date) -> Household:
    require_village(session=session, code=data.village_code, by=by)
    _can_edit(session=session, by=by, village_code=data.village_code, today=today)
    household = Household(**data.model_dump())
    if not flush_unique(session, lambda: session.add(household)):
        raise _duplicate_number(data.village_code, data.household_no)
    return household


def get_household(*, session: Session, household_id: int, by: Principal) -> Household:
    household = session.get(Household, household_id)
    if household is None or not by.covers(household.village_code):
        raise NotFound("该农户不存在，或不在您的管辖范围内。")
    return household


def update_household(
    *, session: Session, household_id: int, data: HouseholdUpdate, by: Principal, today: dt.date
) -> Household:
    household = get_household(session=session, household_id=household_id, by=by)
    _can_edit(session=session, by=by, village_code=household.village_code, today=today)
    changes = data.model_dump(exclude_unset=True)
    for field in ("head_name", "tags", "household_no"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{_FIELD_LABELS[field]}不能清空。", loc=("body", field))
    village_code, number = household.village_code, changes.get("household_no", household.household_no)

    def apply() -> None:
        for field, value in changes.items():
            setattr(household, field, value)
        household.updated_at = utcnow()

    if not flush_unique(session, apply):
        raise _duplicate_number(village_code, number)
    return household


def household_query(
    *, by: Principal, village_code: str | None, q: str | None, not_visited_days: int | None, now: datetime | None = None
) -> Any:
    """The SELECT behind ``GET /households``: scope first, then the filters people use."""
    stmt = select(Household).where(by.where_under(Household.village_code))
    if village_code:
        by.require_covers(village_code, what="村")
        stmt = stmt.where(Household.village_code == village_code)
    if q:
        needle = q.strip()
        stmt = stmt.where(
            or_(
                col(Household.head_name).contains(needle, autoescape=True),
                col(Household.group_name).contains(needle, autoescape=True),
                col(Household.address).contains(needle, autoescape=True),
                col(Household.household_no).contains(needle, autoescape=True),
                cast(Household.tags, String).contains(needle, autoescape=True),
            )
        )
    if not_visited_days is not None:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=not_visited_days)
        last = col(Household.last_visit_at)
        stmt = stmt.where(or_(last.is_(None), last < cutoff))
    return stmt


def to_public(household: Household, by: Principal) -> HouseholdPublic:
    data = household.model_dump()
    data["phone"] = phone_as_seen_by(by, household.phone)
    return HouseholdPublic.model_validate(data)


def example_village(*, session: Session, by: Principal) -> str | None:
    """A village ``by`` may import into (the first by code), for the ledger template's example row."""
    stmt = select(Region.code).where(Region.level == "village", by.where_under(Region.code))
    return session.exec(stmt.order_by(col(Region.code)).limit(1)).first()
