"""The village's public page: what it shows, the messages left on it, and its monthly counts.

A page exists only for a village with someone posted to it today; the JSON API, the HTML page
and the notice board read the same ``village_page``. A message becomes a villager's request
(``source = 'public_page'``) with a receipt code, so supervisors handle it like any other.

Rate limits are kept in the database, so that every instance counts the same posts: one row
per accepted message (``PublicPost``) with a keyed hash of the sender's address, deleted once
it has left the window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from api.assignments.models import Assignment, covering
from api.auth.models import User
from api.db import flush_unique, upsert_insert
from api.errors import NotFound, TooManyRequests
from api.oversight.models import VisitDay
from api.photos.models import Photo
from api.public.models import PublicMonth, PublicPost
from api.public.schemas import (
    MessageIn,
    MessageStatus,
    PublicMeasure,
    PublicProblem,
    PublicSecretary,
    PublicTeamMember,
    PublicVillage,
)
from api.rectification.models import MEASURE_STATUSES, PROBLEM_CATEGORIES, RectificationMeasure, RectificationProblem
from api.rectification.service import is_overdue
from api.regions.models import Region
from api.requests.models import VillagerRequest

# No 0/O, 1/I: a receipt is read aloud over the phone and typed on a feature phone.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 8
RECEIPT_TRIES = 10
SENDER_HASH_LENGTH = 32
NO_PAGE = "该村没有公开页面。"
# What a villager reads for each status; a message not yet taken up has simply been received.
# Advisory lock keys of the villages' message forms: this prefix plus the village's code.
_POSTING_LOCK_BASE = 0x7A66_7075_0000_0000

RECEIPT_STATUSES = {"open": "received", "in_progress": "in_progress", "resolved": "resolved"}


@dataclass(frozen=True)
class Posted:
    """A village with someone posted to it today: its region, town and who is there."""

    village: Region
    town_name: str | None
    secretary: tuple[User, Assignment] | None
    team: list[tuple[User, Assignment]]


def posted_village(session: Session, code: str, today: dt.date) -> Posted:
    """The village ``code`` and the active accounts posted to it today, or a 404."""
    village = session.get(Region, code)
    if village is None or village.level != "village":
        raise NotFound(NO_PAGE)
    stmt = (
        select(User, Assignment)
        .join(Assignment, col(Assignment.user_id) == User.id)
        .where(Assignment.village_code == code, covering(today), col(User.is_active).is_(True))
        .order_by(col(Assignment.start_date), col(Assignment.id))
    )
    postings = [(user, assignment) for user, assignment in session.exec(stmt)]
    if not postings:
        raise NotFound(NO_PAGE)
    firsts = [p for p in postings if p[1].position == "first_secretary"]
    town = session.get(Region, village.parent_code) if village.parent_code else None
    return Posted(
        village=village,
        town_name=town.name if town else None,
        secretary=firsts[0] if firsts else None,
        team=[p for p in postings if p[1].position != "first_secretary"],
    )


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def village_page(session: Session, code: str, today: dt.date) -> PublicVillage:
    """What the public page shows about ``code`` (404 when nobody is posted there)."""
    posted = posted_village(session, code, today)
    month = first_of_month(today)
    home_visits = session.exec(
        select(func.coalesce(func.sum(VisitDay.home_visits), 0)).where(
            VisitDay.village_code == code, col(VisitDay.day) >= month, col(VisitDay.day) < _next_month(month)
        )
    ).one()
    secretary = None
    if posted.secretary is not None:
        user, assignment = posted.secretary
        secretary = PublicSecretary(
            display_name=user.display_name,
            dispatch_unit=assignment.dispatch_unit,
            phone=user.public_phone,
            has_portrait=portrait_of(session, user) is not None,
        )
    return PublicVillage(
        village_code=code,
        village_name=posted.village.name,
        town_name=posted.town_name,
        secretary=secretary,
        team=[
            PublicTeamMember(display_name=u.display_name, position="工作队员", dispatch_unit=a.dispatch_unit)
            for u, a in posted.team
        ],
        home_visits_this_month=int(home_visits),
        problems=ledger(session, code, today),
        rectification_status=posted.village.rectification_status,
    )


def ledger(session: Session, code: str, today: dt.date) -> list[PublicProblem]:
    """The village's problems and measures, in the order they were entered (two queries)."""
    problems = session.exec(
        select(RectificationProblem)
        .where(RectificationProblem.village_code == code)
        .order_by(col(RectificationProblem.id))
    ).all()
    measures = session.exec(
        select(RectificationMeasure)
        .where(RectificationMeasure.village_code == code)
        .order_by(col(RectificationMeasure.id))
    ).all()
    by_problem: dict[int, list[PublicMeasure]] = {}
    for m in measures:
        by_problem.setdefault(m.problem_id, []).append(
            PublicMeasure(
                text=m.text,
                target=m.target,
                deadline=m.deadline,
                status_label=MEASURE_STATUSES.get(m.status, m.status),
                overdue=is_overdue(m, today),
            )
        )
    return [
        PublicProblem(
            category_label=PROBLEM_CATEGORIES.get(p.category, p.category),
            description=p.description,
            measures=by_problem.get(p.id or 0, []),
        )
        for p in problems
    ]


def portrait_of(session: Session, user: User) -> Photo | None:
    """The account's portrait, when it names a photo the account itself uploaded."""
    if not user.portrait_photo_id:
        return None
    photo = session.get(Photo, user.portrait_photo_id)
    return photo if photo is not None and photo.user_id == user.id else None


def secretary_portrait(session: Session, code: str, today: dt.date) -> Photo:
    """The portrait of the village's first secretary, or a 404."""
    posted = posted_village(session, code, today)
    photo = portrait_of(session, posted.secretary[0]) if posted.secretary else None
    if photo is None:
        raise NotFound("没有照片。")
    return photo


def _count(session: Session, code: str, month: dt.date, *, views: int = 0, messages: int = 0) -> None:
    """Add to the village's month row: an upsert, so instances never overwrite each other."""
    stmt = upsert_insert(session.connection().dialect.name, PublicMonth)
    table = PublicMonth.__table__.c  # type: ignore[attr-defined]
    session.execute(
        stmt.values(village_code=code, month=month, views=views, messages=messages).on_conflict_do_update(
            index_elements=["village_code", "month"],
            set_={"views": table.views + stmt.excluded.views, "messages": table.messages + stmt.excluded.messages},
        )
    )


def count_view(session: Session, code: str, today: dt.date) -> None:
    """One view of the village's public page this month."""
    _count(session, code, first_of_month(today), views=1)


def month_counts(session: Session, codes: Sequence[str], month: dt.date) -> dict[str, tuple[int, int]]:
    """``{village code: (views, messages)}`` of the public pages in ``month`` (any day of it);
    villages without a row are left out (read them as (0, 0))."""
    if not codes:
        return {}
    stmt = select(PublicMonth.village_code, PublicMonth.views, PublicMonth.messages).where(
        col(PublicMonth.village_code).in_(sorted(set(codes))), PublicMonth.month == first_of_month(month)
    )
    return {code: (views, messages) for code, views, messages in session.exec(stmt)}


def sender_key(address: str, key: str) -> str:
    """A keyed hash of the sender's address: the same sender is recognised within the window,
    and the address itself is never stored."""
    return hmac.new(key.encode(), address.encode(), hashlib.sha256).hexdigest()[:SENDER_HASH_LENGTH]


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


@dataclass(frozen=True)
class Limits:
    per_address: int
    per_village: int
    window_s: int


def _require_room(session: Session, condition: Any, limit: int, *, now: dt.datetime, window_s: int, who: str) -> None:
    """Refuse with 429 when ``limit`` posts matching ``condition`` are in the window; Retry-After
    is when the oldest of them leaves it."""
    since = now - dt.timedelta(seconds=window_s)
    count, oldest = session.exec(
        select(func.count(), func.min(PublicPost.at)).where(condition, col(PublicPost.at) >= since)
    ).one()
    if count < limit:
        return
    wait = max(1, math.ceil((oldest + dt.timedelta(seconds=window_s) - now).total_seconds()))
    minutes = max(1, math.ceil(wait / 60))
    raise TooManyRequests(f"{who}留言太多，请约 {minutes} 分钟后再试。", headers={"Retry-After": str(wait)})


def post_message(
    session: Session,
    code: str,
    data: MessageIn,
    *,
    sender: str,
    limits: Limits,
    today: dt.date,
    now: dt.datetime,
) -> str:
    """Keep a message from the public page as a villager's request; its receipt code.

    A filled-in ``website`` (a field no person sees) marks a robot: it is told the same as a
    person, with a receipt that names nothing, and nothing is stored or counted.
    """
    posted_village(session, code, today)
    if data.website:
        return new_receipt()
    _one_post_at_a_time(session, code)
    session.execute(delete(PublicPost).where(col(PublicPost.at) < now - dt.timedelta(seconds=limits.window_s)))
    _require_room(
        session, PublicPost.sender == sender, limits.per_address, now=now, window_s=limits.window_s, who="您的"
    )
    _require_room(
        session,
        PublicPost.village_code == code,
        limits.per_village,
        now=now,
        window_s=limits.window_s,
        who="本村收到的",
    )
    session.add(PublicPost(village_code=code, sender=sender, at=now))
    for _ in range(RECEIPT_TRIES):
        receipt = new_receipt()
        row = VillagerRequest(
            id=str(uuid.uuid4()),
            visit_id=None,
            source="public_page",
            receipt=receipt,
            sender_name=data.name,
            sender_phone=data.phone,
            village_code=code,
            category=data.category,
            text=data.text,
            created_at=now,
            updated_at=now,
        )
        if _stored(session, row):
            _count(session, code, first_of_month(today), messages=1)
            return receipt
    raise RuntimeError("no free receipt code")  # 32⁸ codes: never in practice


def _one_post_at_a_time(session: Session, code: str) -> None:
    """Count and add a village's posts one request at a time, or a crowd posting at once would
    all see room under the limits. SQLite's single writer already takes them in turn; PostgreSQL
    holds a lock per village until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTING_LOCK_BASE + int(code)})


def _stored(session: Session, row: VillagerRequest) -> bool:
    return flush_unique(session, lambda: session.add(row))


def message_status(session: Session, code: str, receipt: str) -> MessageStatus:
    """How a message stands, by its receipt code within its village (else a 404). A hidden
    message reads as received, with no resolution: its sender learns nothing from hiding."""
    row = session.exec(
        select(VillagerRequest).where(
            VillagerRequest.receipt == receipt.strip().upper(), VillagerRequest.village_code == code
        )
    ).first()
    if row is None:
        raise NotFound("查询码不存在，请核对后重新输入。")
    if row.hidden_at is not None:
        return MessageStatus(status="received", category=row.category, created_at=row.created_at)
    return MessageStatus(
        status=RECEIPT_STATUSES[row.status],
        resolution=row.resolution if row.status == "resolved" else None,
        category=row.category,
        created_at=row.created_at,
    )
