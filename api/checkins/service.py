"""Recording daily check-ins (驻村签到), exactly once, with the off-site check on arrival."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from api.acceptance import check_not_future, check_photos, check_posted, check_village
from api.assignments.service import postings_of
from api.auth.principal import Principal
from api.checkins.models import Checkin
from api.checkins.schemas import CheckinIn
from api.errors import AppError, Forbidden
from api.evidence import checks
from api.evidence.checks import Fix, VillagePoint
from api.flags.service import Finding, raise_flags
from api.oversight import rollups
from api.oversight.rollups import StoredCheckin
from api.photos.models import Photo
from api.records import Outcome, content_hash, insert_new, resend_outcome, select_in, select_map
from api.regions.models import Region
from api.settings import Settings
from api.visits.service import WRITER_ROLES


def record_checkins(
    *, session: Session, by: Principal, items: Sequence[CheckinIn], settings: Settings, now: datetime
) -> list[Outcome]:
    """Judge and store a batch of check-ins; one outcome per item, in order."""
    if by.role not in WRITER_ROLES or by.user is None or by.user.id is None:
        return [Outcome(str(item.id), "rejected", Forbidden("您的角色不能签到。")) for item in items]
    user_id = by.user.id
    villages = {r.code: r for r in select_in(session, Region, Region.code, {i.village_code for i in items})}
    photos = {p.id: p for p in select_in(session, Photo, Photo.id, {str(i.photo_id) for i in items if i.photo_id})}
    stored = select_map(session, Checkin.id, Checkin.content_hash, {str(i.id) for i in items})
    postings = postings_of(session=session, user_id=user_id) if by.role == "secretary" else []

    outcomes: list[Outcome] = []
    accepted: dict[str, tuple[CheckinIn, str, Finding | None]] = {}
    for item in items:
        checkin_id, digest = str(item.id), content_hash(item)
        if checkin_id in stored or checkin_id in accepted:
            outcomes.append(resend_outcome(checkin_id, stored.get(checkin_id) or accepted[checkin_id][1], digest))
            continue
        try:
            village = _judge(item, villages, photos, postings, by=by, now=now, settings=settings)
        except AppError as exc:
            outcomes.append(Outcome(checkin_id, "rejected", exc))
            continue
        fix = Fix(checkin_id, user_id, village.code, item.at, item.lat, item.lon, item.accuracy_m)
        point = VillagePoint(village.code, village.name, village.lat, village.lon, village.radius_m)
        accepted[checkin_id] = (item, digest, checks.off_site(fix, point, what="签到"))
        outcomes.append(Outcome(checkin_id, "created"))

    inserted = insert_new(
        session, Checkin, [_row(item, user_id, digest, now, finding) for item, digest, finding in accepted.values()]
    )
    lost = set(accepted) - inserted
    if lost:
        winners = dict(session.exec(select(Checkin.id, Checkin.content_hash).where(col(Checkin.id).in_(lost))).all())
        outcomes = [resend_outcome(o.id, winners[o.id], accepted[o.id][1]) if o.id in lost else o for o in outcomes]
    findings = [finding for cid in inserted if (finding := accepted[cid][2]) is not None]
    new = [accepted[cid] for cid in inserted]
    rollups.add_checkins(
        session,
        (StoredCheckin(item.village_code, user_id, item.at, on_site=off_site is None) for item, _, off_site in new),
        tz=settings.tz,
    )
    raise_flags(session=session, findings=findings, now=now)
    for outcome in outcomes:
        if outcome.status == "created" and (finding := accepted[outcome.id][2]) is not None:
            outcome.checks = [finding.kind]
    return outcomes


def _judge(
    item: CheckinIn,
    villages: dict[str, Region],
    photos: dict[str, Photo],
    postings: list[Any],
    *,
    by: Principal,
    now: datetime,
    settings: Settings,
) -> Region:
    check_not_future(item.at, now=now, settings=settings)
    village = check_village(item.village_code, villages, by=by)
    check_posted(village, item.at, postings, by=by, settings=settings)
    check_photos([item.photo_id] if item.photo_id else [], photos, by=by)
    return village


def _row(item: CheckinIn, user_id: int, digest: str, now: datetime, finding: Finding | None) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "user_id": user_id,
        "village_code": item.village_code,
        "at": item.at,
        "received_at": now,
        "lat": item.lat,
        "lon": item.lon,
        "accuracy_m": item.accuracy_m,
        "photo_id": str(item.photo_id) if item.photo_id else None,
        "content_hash": digest,
        "checks": [finding.kind] if finding else [],
    }
