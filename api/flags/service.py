"""Raising flags, exactly once per finding; listing and handling them for supervisors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.assignments.models import Assignment
from api.auth.models import SUPERVISOR_ROLES, User
from api.auth.principal import Principal, require_roles
from api.db import within
from api.errors import Conflict, InvalidInput, NotFound
from api.flags.models import Flag
from api.flags.schemas import (
    FLAG_KINDS,
    MANUAL_SEVERITY,
    STATUSES_NEEDING_NOTE,
    BulkAcknowledge,
    FlagFilters,
    FlagPublic,
    FlagUpdate,
    ManualFlagCreate,
)
from api.flags.trail import change_status, histories, record_raised
from api.pagination import PageParams, paginate
from api.records import RecordConflict, insert_new, select_map
from api.regions.models import Region
from api.regions.service import require_village

AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class Finding:
    """Something a rule noticed, before it is stored as a flag."""

    kind: str
    severity: str
    village_code: str
    detail: str
    subject_id: str | None = None
    user_id: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.subject_id or self.village_code}"


def raise_flags(*, session: Session, findings: Sequence[Finding], now: datetime) -> int:
    """Store findings as open flags, raised by the system; one already raised (same kind and
    subject) is left alone."""
    rows = [
        {
            "kind": f.kind,
            "severity": f.severity,
            "village_code": f.village_code,
            "user_id": f.user_id,
            "subject_id": f.subject_id,
            "detail": f.detail,
            "evidence": f.evidence,
            "dedupe_key": f.dedupe_key,
            "raised_at": now,
            "status": "open",
            "updated_at": now,
        }
        for f in findings
    ]
    created = insert_new(session, Flag, rows, key="dedupe_key")
    record_raised(session, dedupe_keys=created, user_id=None, now=now)
    return len(created)


# Flags are the supervisors' inbox: they are about secretaries, for others to judge, so
# secretaries do not read them. Inspection teams investigate, so they read, handle and
# raise flags like supervisors; their read-only API tokens read.
READER_ROLES = (*SUPERVISOR_ROLES, "inspector", "api_token")
HANDLER_ROLES = (*SUPERVISOR_ROLES, "inspector")


def list_flags(
    *, session: Session, by: Principal, page: PageParams, filters: FlagFilters, kinds: Sequence[str] = ()
) -> tuple[list[Flag], str | None]:
    """Flags in the reader's scope matching the filters, newest first; ``kinds`` empty lists every kind."""
    stmt = _filtered(select(Flag), by=by, filters=filters)
    if kinds:
        stmt = stmt.where(col(Flag.kind).in_(sorted(set(kinds))))
    return paginate(session, stmt, col(Flag.id), page, descending=True)


def count_by_kind(*, session: Session, by: Principal, filters: FlagFilters) -> dict[str, int]:
    """How many flags of each known kind match the filters (zero for a kind with none)."""
    stmt = _filtered(sa_select(col(Flag.kind), func.count()), by=by, filters=filters).group_by(col(Flag.kind))
    counted: dict[str, int] = {kind: n for kind, n in session.execute(stmt)}
    return {kind: counted.get(kind, 0) for kind in FLAG_KINDS}


def _filtered(stmt: AnySelect, *, by: Principal, filters: FlagFilters) -> AnySelect:
    """``stmt`` over flags in the reader's scope (narrowed by ``scope``) that match the filters;
    ``all`` among the statuses takes every status."""
    require_roles(by, *READER_ROLES, action="查看问题提示")
    stmt = stmt.where(by.where_under(Flag.village_code, filters.scope))
    if "all" not in filters.statuses:
        stmt = stmt.where(col(Flag.status).in_(sorted(set(filters.statuses))))
    if filters.user_id is not None:
        stmt = stmt.where(col(Flag.user_id) == filters.user_id)
    return stmt.where(within(col(Flag.raised_at), filters.since, filters.until))


def get_flag(*, session: Session, flag_id: int, by: Principal) -> Flag:
    """The flag, if it lies in the reader's scope; else 404, never the data."""
    require_roles(by, *READER_ROLES, action="查看问题提示")
    flag = session.get(Flag, flag_id)
    if flag is None or not by.covers(flag.village_code):
        raise NotFound("该提示不存在，或不在您的管辖范围内。")
    return flag


def update_flag(*, session: Session, flag_id: int, data: FlagUpdate, by: Principal, now: datetime) -> Flag:
    """Record a supervisor's judgement of a flag.

    The note belongs to the latest status: dismissing or resolving needs one; acknowledging
    without one clears an earlier note. The same status and note again changes nothing.
    """
    require_roles(by, *HANDLER_ROLES, action="处理问题提示")
    flag = get_flag(session=session, flag_id=flag_id, by=by)
    if data.status in STATUSES_NEEDING_NOTE and not data.note:
        raise InvalidInput("驳回或解决一条提示时，请写明理由（处理说明）。", loc=("body", "note"))
    if flag.status == data.status and flag.note == data.note:
        return flag
    assert by.user is not None  # API tokens never write
    moved = change_status(
        session,
        flag_ids=[flag_id],
        expected=flag.status,
        to=data.status,
        note=data.note,
        user_id=by.user.id,
        now=now,
    )
    if not moved:
        raise Conflict("这条提示刚被别人处理过，请刷新后再看。")
    session.refresh(flag)
    return flag


def acknowledge_flags(
    *, session: Session, data: BulkAcknowledge, by: Principal, now: datetime
) -> tuple[list[Flag], list[Flag]]:
    """Acknowledge the open flags among ``data.ids``; return those acknowledged and those left
    as they were (already past open), newest first.

    All or nothing on scope: if any id is not a flag the handler covers, nothing is written and
    the answer is a 404 that does not tell which of the two it was.
    """
    require_roles(by, *HANDLER_ROLES, action="处理问题提示")
    assert by.user is not None  # API tokens never write
    wanted = set(data.ids)
    stmt = select(Flag).where(col(Flag.id).in_(wanted), by.where_under(Flag.village_code))
    flags = session.exec(stmt).all()
    missing = sorted(wanted - {flag.id for flag in flags})
    if missing:
        shown = "、".join(map(str, missing[:10])) + ("等" if len(missing) > 10 else "")
        raise NotFound(f"提示 {shown} 不存在，或不在您的管辖范围内；所有提示均未处理。")
    open_ids = {flag.id for flag in flags if flag.id is not None and flag.status == "open"}
    moved = change_status(
        session, flag_ids=open_ids, expected="open", to="acknowledged", note=data.note, user_id=by.user.id, now=now
    )
    fresh = session.exec(stmt.order_by(col(Flag.id).desc()).execution_options(populate_existing=True)).all()
    return [f for f in fresh if f.id in moved], [f for f in fresh if f.id not in moved]


def raise_manual_flag(*, session: Session, data: ManualFlagCreate, by: Principal, now: datetime) -> tuple[Flag, bool]:
    """Store a flag a person raised; return it and whether it is new.

    Resending a client ``id`` with the same content returns the stored flag (not new); the
    same ``id`` with other content is a conflict. Without an ``id`` every call makes a flag.
    """
    require_roles(by, *HANDLER_ROLES, action="提出问题提示")
    assert by.user is not None  # API tokens never write
    village = require_village(session=session, code=data.village_code, by=by)
    if data.user_id is not None and not _was_posted(session=session, user_id=data.user_id, village_code=village.code):
        raise InvalidInput(f"该用户没有派驻过{village.name}，不能就此村提出关于他的提示。", loc=("body", "user_id"))
    subject_id = str(data.id or uuid.uuid4())
    raised_by = {"user_id": by.user.id, "display_name": by.user.display_name, "role": by.user.role}
    row = {
        "kind": "manual",
        "severity": MANUAL_SEVERITY,
        "village_code": village.code,
        "user_id": data.user_id,
        "subject_id": subject_id,
        "detail": data.detail,
        "evidence": {"raised_by": raised_by},
        "dedupe_key": f"manual:{subject_id}",
        "raised_at": now,
        "status": "open",
        "updated_at": now,
    }
    created = insert_new(session, Flag, [row], key="dedupe_key")
    record_raised(session, dedupe_keys=created, user_id=by.user.id, now=now)
    flag = session.exec(select(Flag).where(Flag.dedupe_key == row["dedupe_key"])).one()
    if not created:
        session.refresh(flag)
        same = (flag.village_code, flag.user_id, flag.detail) == (village.code, data.user_id, data.detail)
        if not same or flag.evidence.get("raised_by", {}).get("user_id") != by.user.id:
            raise RecordConflict(f"编号 {subject_id} 已用于另一条内容不同的提示。")
    return flag, bool(created)


def _was_posted(*, session: Session, user_id: int, village_code: str) -> bool:
    """Whether the user has ever had an assignment to the village (past postings count)."""
    found = session.exec(
        select(Assignment.id).where(Assignment.user_id == user_id, Assignment.village_code == village_code)
    ).first()
    return found is not None


def describe_flags(*, session: Session, flags: Sequence[Flag]) -> list[FlagPublic]:
    """Flags as clients see them, with the names of their villages and people, and their trails."""
    villages = select_map(session, Region.code, Region.name, {f.village_code for f in flags})
    people = select_map(session, User.id, User.display_name, {f.user_id for f in flags if f.user_id is not None})
    trails = histories(session, {f.id for f in flags if f.id is not None})
    return [
        FlagPublic.model_validate(
            {
                **flag.model_dump(exclude={"dedupe_key"}),
                "village_name": villages.get(flag.village_code),
                "user_display_name": people.get(flag.user_id),
                "history": trails.get(flag.id, []) if flag.id is not None else [],
            }
        )
        for flag in flags
    ]
