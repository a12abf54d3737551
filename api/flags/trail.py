"""The trail of each flag: who raised it or moved it from one status to another, when, and why.

Every change of a flag's status goes through ``change_status``, and every new flag through
``record_raised``, so a flag's events always add up to its current status. Events are written in
the transaction of the change they record and never updated or deleted. A null ``user_id`` is
the system: a check on a record's arrival, or a rule over time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from api.auth.models import User
from api.flags.models import Flag, FlagEvent
from api.flags.schemas import FlagEventPublic


def record_raised(session: Session, *, dedupe_keys: Collection[str], user_id: int | None, now: datetime) -> None:
    """One event per flag just stored under ``dedupe_keys``: raised, from nothing to open."""
    if not dedupe_keys:
        return
    flag_ids = session.exec(select(Flag.id).where(col(Flag.dedupe_key).in_(dedupe_keys))).all()
    _append(session, flag_ids=flag_ids, from_status=None, to_status="open", note=None, user_id=user_id, now=now)


def change_status(
    session: Session,
    *,
    flag_ids: Collection[int],
    expected: str,
    to: str,
    note: str | None,
    user_id: int | None,
    now: datetime,
) -> set[int]:
    """Move the flags of ``flag_ids`` that are still ``expected`` to ``to``, with the note; return
    the ids moved.

    The expected status is part of the UPDATE's condition: a flag another request changed
    in the meantime is left alone, and no event claims a status the flag no longer had.
    """
    if not flag_ids:
        return set()
    moved = set(
        session.execute(
            update(Flag)
            .where(col(Flag.id).in_(flag_ids), col(Flag.status) == expected)
            .values(status=to, note=note, updated_at=now)
            .returning(col(Flag.id))
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    _append(session, flag_ids=moved, from_status=expected, to_status=to, note=note, user_id=user_id, now=now)
    return moved


def _append(
    session: Session,
    *,
    flag_ids: Collection[int | None],
    from_status: str | None,
    to_status: str,
    note: str | None,
    user_id: int | None,
    now: datetime,
) -> None:
    rows = [
        {
            "flag_id": flag_id,
            "at": now,
            "user_id": user_id,
            "from_status": from_status,
            "to_status": to_status,
            "note": note,
        }
        for flag_id in sorted(i for i in flag_ids if i is not None)
    ]
    if rows:
        session.execute(insert(FlagEvent), rows)


def histories(session: Session, flag_ids: Collection[int]) -> dict[int, list[FlagEventPublic]]:
    """The events of each flag, oldest first, with the actor's name: one query for a page of flags."""
    stmt = (
        select(FlagEvent, User.display_name)
        .join(User, col(User.id) == col(FlagEvent.user_id), isouter=True)
        .where(col(FlagEvent.flag_id).in_(flag_ids))
        .order_by(col(FlagEvent.flag_id), col(FlagEvent.id))
    )
    found: dict[int, list[FlagEventPublic]] = defaultdict(list)
    for event, name in session.exec(stmt) if flag_ids else ():
        found[event.flag_id].append(
            FlagEventPublic.model_validate({**event.model_dump(exclude={"id", "flag_id"}), "user_display_name": name})
        )
    return found
