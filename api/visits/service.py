"""Recording visits: exactly once, only where the writer may, with evidence checks on arrival.

Written for batches (a phone's outbox arrives through ``/sync`` 50–500 records at a time):
everything a batch needs is loaded in a handful of queries, each record is judged on its own
— one bad record never sinks the others — and the accepted ones are written together.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Integer, bindparam, case, column, func, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from api.acceptance import check_not_future, check_photos, check_posted, check_village
from api.assignments.service import postings_of
from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import Principal
from api.errors import AppError, Forbidden
from api.evidence import checks
from api.evidence.checks import Fix, VillagePoint
from api.evidence.loaders import nearby_visits, photo_matches
from api.flags.service import Finding, raise_flags
from api.households.models import Household
from api.oversight import rollups
from api.oversight.rollups import StoredVisit
from api.photos.models import Photo
from api.records import Outcome, RecordRejected, content_hash, insert_new, resend_outcome, select_in, select_map
from api.regions.models import Region
from api.requests.models import VillagerRequest
from api.settings import Settings
from api.visits.models import Visit, VisitPhoto
from api.visits.schemas import RequestOut, VisitIn, VisitPublic

WRITER_ROLES = (*SUPERVISOR_ROLES, "secretary")


@dataclass
class _Batch:
    """What the records of one batch refer to, loaded once."""

    households: dict[int, str]  # household id → its village code
    villages: dict[str, Region]
    photos: dict[str, Photo]
    stored: dict[str, str]  # visit id → content hash
    taken_request_ids: set[str]
    postings: list[Any]


def record_visits(
    *, session: Session, by: Principal, items: Sequence[VisitIn], settings: Settings, now: datetime
) -> list[Outcome]:
    """Judge and store a batch of visits; one outcome per item, in order."""
    if by.role not in WRITER_ROLES or by.user is None or by.user.id is None:
        refusal = Forbidden("您的角色不能记录走访。")
        return [Outcome(str(item.id), "rejected", refusal) for item in items]
    user_id = by.user.id
    batch = _load(session, items, user_id=user_id, secretary=by.role == "secretary")

    outcomes: list[Outcome] = []
    accepted: dict[str, tuple[VisitIn, Region, str]] = {}
    requests_seen: set[str] = set()
    for item in items:
        visit_id, digest = str(item.id), content_hash(item)
        if visit_id in batch.stored or visit_id in accepted:
            known = batch.stored.get(visit_id) or accepted[visit_id][2]
            outcomes.append(resend_outcome(visit_id, known, digest))
            continue
        try:
            village = _judge(item, batch, by=by, now=now, settings=settings, requests_seen=requests_seen)
        except AppError as exc:
            outcomes.append(Outcome(visit_id, "rejected", exc))
            continue
        requests_seen.update(str(r.id) for r in item.requests)
        accepted[visit_id] = (item, village, digest)
        outcomes.append(Outcome(visit_id, "created"))

    findings = _evidence(session, accepted, batch, user_id=user_id, settings=settings)
    rows = {
        vid: _row(item, village.code, user_id=user_id, digest=digest, now=now, checks=[f.kind for f in findings[vid]])
        for vid, (item, village, digest) in accepted.items()
    }
    inserted = insert_new(session, Visit, list(rows.values()))
    lost = set(accepted) - inserted
    if lost:  # sent concurrently by another request that got there first
        winners = dict(session.exec(select(Visit.id, Visit.content_hash).where(col(Visit.id).in_(lost))).all())
        outcomes = [resend_outcome(o.id, winners[o.id], accepted[o.id][2]) if o.id in lost else o for o in outcomes]
    created = {vid: accepted[vid] for vid in inserted}
    _write_parts(session, created, now=now)
    _count_home_visits(session, [item for item, _, _ in created.values()])
    rollups.add_visits(
        session,
        (StoredVisit(v.code, user_id, item.started_at, item.kind == "home_visit") for item, v, _ in created.values()),
        tz=settings.tz,
    )
    raise_flags(session=session, findings=[f for vid in created for f in findings[vid]], now=now)
    for outcome in outcomes:
        if outcome.status == "created":
            outcome.checks = [f.kind for f in findings[outcome.id]]
            outcome.written = rows[outcome.id]
    return outcomes


def _load(session: Session, items: Sequence[VisitIn], *, user_id: int, secretary: bool) -> _Batch:
    household_ids = {item.household_id for item in items if item.household_id is not None}
    households = select_map(session, Household.id, Household.village_code, household_ids)
    codes = {item.village_code for item in items if item.village_code} | set(households.values())
    photo_ids = {str(p) for item in items for p in [*item.photo_ids, item.signature_photo_id] if p}
    request_ids = {str(r.id) for item in items for r in item.requests}
    return _Batch(
        households=households,
        villages={r.code: r for r in select_in(session, Region, Region.code, codes)},
        photos={p.id: p for p in select_in(session, Photo, Photo.id, photo_ids)},
        stored=select_map(session, Visit.id, Visit.content_hash, {str(item.id) for item in items}),
        taken_request_ids=set(select_map(session, VillagerRequest.id, VillagerRequest.id, request_ids)),
        postings=postings_of(session=session, user_id=user_id) if secretary else [],
    )


def _judge(
    item: VisitIn, batch: _Batch, *, by: Principal, now: datetime, settings: Settings, requests_seen: set[str]
) -> Region:
    """The village the visit belongs to, or the reason it cannot be kept."""
    check_not_future(item.started_at, now=now, settings=settings)
    household_village = batch.households.get(item.household_id) if item.household_id is not None else None
    if item.household_id is not None and (household_village is None or not by.covers(household_village)):
        raise RecordRejected("该农户不存在，或不在您的管辖范围内。", code="unknown_household", status=404)
    if item.kind == "home_visit" and household_village is None:
        raise RecordRejected("入户走访必须选择农户（household_id）。", code="household_required")
    village_code = household_village or item.village_code
    if village_code is None:
        raise RecordRejected("请注明是哪个村的工作（village_code）。", code="village_required")
    if household_village is not None and item.village_code and item.village_code != household_village:
        raise RecordRejected("所选农户不属于所填的村。", code="household_not_in_village")
    village = check_village(village_code, batch.villages, by=by)
    check_posted(village, item.started_at, batch.postings, by=by, settings=settings)
    check_photos(
        [*item.photo_ids, *([item.signature_photo_id] if item.signature_photo_id else [])], batch.photos, by=by
    )
    request_ids = [str(r.id) for r in item.requests]
    if len(set(request_ids)) != len(request_ids) or (batch.taken_request_ids | requests_seen) & set(request_ids):
        raise RecordRejected("诉求编号已被另一条记录使用。", code="request_id_taken", status=409)
    return village


def _evidence(
    session: Session,
    accepted: dict[str, tuple[VisitIn, Region, str]],
    batch: _Batch,
    *,
    user_id: int,
    settings: Settings,
) -> dict[str, list[Finding]]:
    fixes = {vid: _fix(item, village.code, user_id) for vid, (item, village, _) in accepted.items()}
    stored = nearby_visits(session=session, user_id=user_id, fixes=list(fixes.values()))
    timeline = checks.Timeline([*(f for f in stored if f.record_id not in fixes), *fixes.values()])
    matches = photo_matches(
        session=session,
        new_visits={
            vid: (village.code, [str(p) for p in item.photo_ids]) for vid, (item, village, _) in accepted.items()
        },
        photos=batch.photos,
        max_distance=settings.duplicate_photo_max_distance,
    )
    found: dict[str, list[Finding]] = {}
    for vid, (item, village, _) in accepted.items():
        fix = fixes[vid]
        point = VillagePoint(village.code, village.name, village.lat, village.lon, village.radius_m)
        taken = [(str(p), t) for p in item.photo_ids if (t := batch.photos[str(p)].taken_at) is not None]
        results = [
            checks.off_site(fix, point, what="走访"),
            checks.implausible_pace(
                fix,
                timeline,
                min_interval_s=settings.pace_min_interval_s,
                max_speed_kmh=settings.pace_max_speed_kmh,
            ),
            checks.duplicate_photo(fix, matches[vid], max_distance=settings.duplicate_photo_max_distance),
            checks.photo_time_mismatch(fix, taken, max_skew_h=settings.photo_time_max_skew_h),
        ]
        found[vid] = [r for r in results if r is not None]
    return found


def _fix(item: VisitIn, village_code: str, user_id: int) -> Fix:
    return Fix(
        record_id=str(item.id),
        user_id=user_id,
        village_code=village_code,
        at=item.started_at,
        lat=item.lat,
        lon=item.lon,
        accuracy_m=item.accuracy_m,
        household_id=item.household_id,
    )


def _row(
    item: VisitIn, village_code: str, *, user_id: int, digest: str, now: datetime, checks: list[str]
) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "user_id": user_id,
        "village_code": village_code,
        "household_id": item.household_id,
        "kind": item.kind,
        "started_at": item.started_at,
        "received_at": now,
        "lat": item.lat,
        "lon": item.lon,
        "accuracy_m": item.accuracy_m,
        "notes": item.notes,
        "signature_photo_id": str(item.signature_photo_id) if item.signature_photo_id else None,
        "content_hash": digest,
        "checks": checks,
    }


def _write_parts(session: Session, created: dict[str, tuple[VisitIn, Region, str]], *, now: datetime) -> None:
    """Photos and villagers' requests of the visits that were just created."""
    links = [
        {"visit_id": vid, "photo_id": str(p), "position": i}
        for vid, (item, _, _) in created.items()
        for i, p in enumerate(dict.fromkeys(item.photo_ids))
    ]
    requests = [
        {
            "id": str(r.id),
            "visit_id": vid,
            "village_code": village.code,
            "household_id": item.household_id,
            "category": r.category,
            "text": r.text,
            "status": "open",
            "position": position,
            "created_at": now,
            "updated_at": now,
        }
        for vid, (item, village, _) in created.items()
        for position, r in enumerate(item.requests)
    ]
    if links:
        session.execute(VisitPhoto.__table__.insert(), links)  # type: ignore[attr-defined]
    if requests:
        session.execute(VillagerRequest.__table__.insert(), requests)  # type: ignore[attr-defined]


@functools.cache
def _counting_home_visits(dialect: str) -> Executable:
    """Add each household's new home visits: an ``UPDATE`` run once a household (SQLite), or on
    PostgreSQL one ``UPDATE … FROM unnest(…)`` for the whole batch, from one array a column.
    Built once per database kind: it runs for every batch of visits that arrives."""
    households = Household.__table__  # type: ignore[attr-defined]
    stamp = households.c.last_visit_at.type
    household: Any
    added: Any
    latest: Any
    if dialect == "postgresql":
        arrived = (
            func.unnest(
                bindparam("household", type_=ARRAY(Integer)),
                bindparam("added", type_=ARRAY(Integer)),
                bindparam("latest", type_=ARRAY(stamp)),
            )
            .table_valued(column("household", Integer), column("added", Integer), column("latest", stamp))
            .render_derived(name="arrived")
        )
        household, added, latest = arrived.c.household, arrived.c.added, arrived.c.latest
    else:
        household, added, latest = bindparam("household"), bindparam("added"), bindparam("latest", type_=stamp)
    last = households.c.last_visit_at
    return (
        update(households)
        .where(households.c.id == household)
        .values(
            visit_count=households.c.visit_count + added,
            last_visit_at=case((last.is_(None) | (last < latest), latest), else_=last),
        )
    )


def _count_home_visits(session: Session, visits: Sequence[VisitIn]) -> None:
    """Keep households' visit count and last visit exact, however late or out of order visits come.

    Only visits that were just inserted are counted, so a resend never counts twice, and the
    last visit only ever moves forward. Households are sent in the order of their ids.
    """
    per_household: dict[int, list[datetime]] = defaultdict(list)
    for item in visits:
        if item.kind == "home_visit" and item.household_id is not None:
            per_household[item.household_id].append(item.started_at)
    if not per_household:
        return
    ids = sorted(per_household)
    connection = session.connection()
    stmt = _counting_home_visits(connection.dialect.name)
    if connection.dialect.name == "postgresql":
        arrays = {
            "household": ids,
            "added": [len(per_household[h]) for h in ids],
            "latest": [max(per_household[h]) for h in ids],
        }
        connection.execute(stmt, arrays)
    else:
        rows = [{"household": h, "added": len(per_household[h]), "latest": max(per_household[h])} for h in ids]
        connection.execute(stmt, rows)


def visit_as_written(item: VisitIn, written: dict[str, Any]) -> VisitPublic:
    """A visit this request created, as ``visit_public`` would read it back (times are in UTC
    already): photos in order without repeats, its requests all open."""
    return VisitPublic.model_validate(
        {
            **written,
            "photo_ids": [str(p) for p in dict.fromkeys(item.photo_ids)],
            "requests": [
                RequestOut(id=str(r.id), category=r.category, text=r.text, status="open", resolution=None)
                for r in item.requests
            ],
        }
    )


def visit_public(session: Session, visit_ids: Sequence[str]) -> dict[str, VisitPublic]:
    """Visits as the API shows them, with their photos and requests (three queries in all)."""
    visits = select_in(session, Visit, Visit.id, set(visit_ids))
    photos: dict[str, list[str]] = defaultdict(list)
    for link in sorted(
        select_in(session, VisitPhoto, VisitPhoto.visit_id, set(visit_ids)), key=lambda link: link.position
    ):
        photos[link.visit_id].append(link.photo_id)
    requests: dict[str, list[RequestOut]] = defaultdict(list)
    for r in sorted(
        select_in(session, VillagerRequest, VillagerRequest.visit_id, set(visit_ids)), key=lambda r: r.position
    ):
        requests[r.visit_id].append(RequestOut.model_validate(r.model_dump()))
    return {
        v.id: VisitPublic.model_validate({**v.model_dump(), "photo_ids": photos[v.id], "requests": requests[v.id]})
        for v in visits
    }
