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
from api.auth.principal import Principal, phone_as_seen_by, require_roles
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
    source: str | None = None,
    hidden: bool = False,
) -> SelectOfScalar[VillagerRequest]:
    """Requests in ``by``'s scope, narrowed by the list's filters (a code outside it is a 404).
    Hidden messages are listed only when asked for (``hidden``), and only to supervisors."""
    if hidden:
        require_roles(by, *SUPERVISOR_ROLES, "api_token", action="查看已隐藏的留言")
    stmt = select(VillagerRequest).where(by.where_under(VillagerRequest.village_code, scope))
    hidden_at = col(VillagerRequest.hidden_at)
    stmt = stmt.where(hidden_at.is_not(None) if hidden else hidden_at.is_(None))
    if source:
        stmt = stmt.where(VillagerRequest.source == source)
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


def hide_request(
    *, session: Session, request_id: str, reason: str | None, by: Principal, now: dt.datetime
) -> VillagerRequest:
    """Hide a request (``reason`` given) or show it again (``None``): it is kept, with who hid it
    and why; the lists leave it out and its sender's receipt page keeps saying "received"."""
    require_roles(by, *SUPERVISOR_ROLES, action="隐藏群众留言")
    assert by.user is not None  # API tokens never write
    row = session.get(VillagerRequest, request_id)
    if row is None or not by.covers(row.village_code):
        raise NotFound("该诉求不存在，或不在您的管辖范围内。")
    if reason is None and row.hidden_at is None:
        return row
    row.hidden_at = now if reason is not None else None
    row.hidden_by = by.user.id if reason is not None else None
    row.hidden_reason = reason
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def describe_requests(
    *, session: Session, rows: Sequence[VillagerRequest], cutoff: dt.datetime, by: Principal
) -> list[RequestPublic]:
    """Requests as supervisors read them: with their village's and town's names, the household
    head's name and a public message's sender (shown to every role that may list the
    households), who last handled them and whether they are overdue. A sender left their phone
    to be called back, so the people who handle requests (secretaries and supervisors) see it
    whole; API tokens and inspectors see it masked, like household phones. The receipt code,
    which lets anyone read the message's status, is shown to supervisors only."""
    villages = _names_and_parents(session, {r.village_code for r in rows})
    towns = select_map(session, Region.code, Region.name, {parent for _, parent in villages.values() if parent})
    heads = select_map(session, Household.id, Household.head_name, {r.household_id for r in rows if r.household_id})
    people = {r.updated_by for r in rows if r.updated_by} | {r.hidden_by for r in rows if r.hidden_by}
    handlers = select_map(session, User.id, User.display_name, people)
    supervisor = by.role in SUPERVISOR_ROLES
    handler = by.role in HANDLER_ROLES
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
                    "receipt": r.receipt if supervisor else None,
                    "sender_phone": r.sender_phone if handler else phone_as_seen_by(by, r.sender_phone),
                    "hidden": r.hidden_at is not None,
                    "hidden_by_name": handlers.get(r.hidden_by),
                    "overdue": r.status != "resolved" and r.created_at < cutoff,
                }
            )
        )
    return described


def _names_and_parents(session: Session, codes: set[str]) -> dict[str, tuple[str, str | None]]:
    """``{code: (name, parent code)}`` of the regions (a page holds at most 500 villages)."""
    stmt = select(Region.code, Region.name, Region.parent_code).where(col(Region.code).in_(sorted(codes)))
    return {code: (name, parent) for code, name, parent in session.exec(stmt)} if codes else {}
