"""Finding, describing and handling villagers' requests within a principal's scope.

A request is overdue once it has waited unresolved since before the start of the local day
``request_overdue_days`` days ago. The lists' ``older_than_days`` filter, the village page's cue
and the ``request_overdue`` rule all use ``overdue_before``, so the three always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.auth.models import SUPERVISOR_ROLES, User
from api.auth.principal import Principal, require_roles
from api.clock import start_of
from api.errors import InvalidInput, NotFound
from api.households.models import Household
from api.records import select_map
from api.regions.models import Region
from api.requests.models import VillagerRequest
from api.requests.schemas import RequestPublic, RequestUpdate

# Secretaries report back on what they themselves were asked; supervisors follow up everywhere.
HANDLER_ROLES = (*SUPERVISOR_ROLES, "secretary")


def overdue_before(today: dt.date, days: int, tz: ZoneInfo) -> dt.datetime:
    """The instant before which an unresolved request has waited more than ``days`` whole days."""
    return start_of(today - dt.timedelta(days=days), tz)


def unresolved_since_before(cutoff: dt.datetime) -> ColumnElement[bool]:
    """Requests still waiting that reached the server before ``cutoff``."""
    return (col(VillagerRequest.status) != "resolved") & (col(VillagerRequest.created_at) < cutoff)


def request_query(
    *,
    by: Principal,
    statuses: Sequence[str],
    category: str | None,
    village_code: str | None,
    scope: str | None,
    waiting_since_before: dt.datetime | None,
) -> SelectOfScalar[VillagerRequest]:
    """Requests in ``by``'s scope, narrowed by the list's filters (a code outside it is a 404)."""
    stmt = select(VillagerRequest).where(by.where_under(VillagerRequest.village_code, scope))
    if village_code:
        stmt = stmt.where(by.where_under(VillagerRequest.village_code, village_code))
    if statuses:
        stmt = stmt.where(col(VillagerRequest.status).in_(sorted(set(statuses))))
    if category:
        stmt = stmt.where(VillagerRequest.category == category)
    if waiting_since_before is not None:
        stmt = stmt.where(unresolved_since_before(waiting_since_before))
    return stmt


def update_request(
    *, session: Session, request_id: str, data: RequestUpdate, by: Principal, now: dt.datetime
) -> VillagerRequest:
    """Move a request on. Resolving needs the resolution; the text belongs to the latest status,
    so taking a resolved request back into progress without one clears it. The same status and
    text again changes nothing, so ``updated_at`` keeps saying when it last really changed."""
    require_roles(by, *HANDLER_ROLES, action="办理群众诉求")
    assert by.user is not None  # API tokens never write
    row = session.get(VillagerRequest, request_id)
    if row is None or not by.covers(row.village_code):
        raise NotFound("该诉求不存在，或不在您的管辖范围内。")
    if data.status == "resolved" and not data.resolution:
        raise InvalidInput("办结一条群众诉求时，请写明办理结果（1 至 2000 字）。", loc=("body", "resolution"))
    if (row.status, row.resolution) == (data.status, data.resolution):
        return row
    row.status = data.status
    row.resolution = data.resolution
    row.resolved_at = now if data.status == "resolved" else None
    row.updated_at = now
    row.updated_by = by.user.id
    session.add(row)
    session.flush()
    return row


def describe_requests(*, session: Session, rows: Sequence[VillagerRequest], cutoff: dt.datetime) -> list[RequestPublic]:
    """Requests as supervisors read them: with their village's and town's names, the household
    head's name (shown to every role that may list the households), who last handled them and
    whether they are overdue."""
    villages = _names_and_parents(session, {r.village_code for r in rows})
    towns = select_map(session, Region.code, Region.name, {parent for _, parent in villages.values() if parent})
    heads = select_map(session, Household.id, Household.head_name, {r.household_id for r in rows if r.household_id})
    handlers = select_map(session, User.id, User.display_name, {r.updated_by for r in rows if r.updated_by})
    described = []
    for r in rows:
        village_name, town_code = villages.get(r.village_code, (None, None))
        described.append(
            RequestPublic.model_validate(
                {
                    **r.model_dump(),
                    "village_name": village_name,
                    "town_name": towns.get(town_code),
                    "head_name": heads.get(r.household_id),
                    "updated_by_name": handlers.get(r.updated_by),
                    "overdue": r.status != "resolved" and r.created_at < cutoff,
                }
            )
        )
    return described


def _names_and_parents(session: Session, codes: set[str]) -> dict[str, tuple[str, str | None]]:
    """``{code: (name, parent code)}`` of the regions (a page holds at most 500 villages)."""
    stmt = select(Region.code, Region.name, Region.parent_code).where(col(Region.code).in_(sorted(codes)))
    return {code: (name, parent) for code, name, parent in session.exec(stmt)} if codes else {}
