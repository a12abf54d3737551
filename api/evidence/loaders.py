"""Loading, in bulk, what the evidence checks compare a batch of new records against."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.evidence.checks import Fix, PhotoMatch
from api.photos.models import Photo
from api.photos.service import county_of, similar_photos, to_unsigned
from api.visits.models import Visit, VisitPhoto

# How far in time to look for the visits before and after a new one when judging the pace.
PACE_WINDOW = timedelta(hours=12)


# Built once: the pace check runs on every visit that arrives.
_USERS_VISITS_BETWEEN = sa_select(
    *(
        col(c)
        for c in (
            Visit.id,
            Visit.village_code,
            Visit.started_at,
            Visit.lat,
            Visit.lon,
            Visit.accuracy_m,
            Visit.household_id,
        )
    )
).where(
    col(Visit.user_id) == bindparam("user_id"),
    col(Visit.started_at).between(bindparam("low"), bindparam("high")),
)


def nearby_visits(*, session: Session, user_id: int, fixes: Sequence[Fix]) -> list[Fix]:
    """The user's stored visits around the times of ``fixes`` (one indexed range query)."""
    if not fixes:
        return []
    low = min(f.at for f in fixes) - PACE_WINDOW
    high = max(f.at for f in fixes) + PACE_WINDOW
    rows = session.execute(_USERS_VISITS_BETWEEN, {"user_id": user_id, "low": low, "high": high})
    return [
        Fix(record_id=vid, user_id=user_id, village_code=code, at=at, lat=lat, lon=lon, accuracy_m=acc, household_id=hh)
        for vid, code, at, lat, lon, acc, hh in rows
    ]


def photo_matches(
    *,
    session: Session,
    new_visits: dict[str, tuple[str, list[str]]],
    photos: dict[str, Photo],
    max_distance: int,
) -> dict[str, list[PhotoMatch]]:
    """For each new visit (id → village code, photo ids), its photos that equal or nearly equal
    a photo on another visit: stored visits, or other visits of the same batch."""
    found: dict[str, list[PhotoMatch]] = {visit_id: [] for visit_id in new_visits}
    if not any(photo_ids for _, photo_ids in new_visits.values()):
        return found

    by_county: dict[str | None, dict[str, int]] = defaultdict(dict)
    for village_code, photo_ids in new_visits.values():
        for photo_id in photo_ids:
            by_county[county_of(village_code)][photo_id] = to_unsigned(photos[photo_id].dhash)
    alike: dict[str, list[tuple[str, int]]] = {}
    for county_code, hashes in by_county.items():
        near = similar_photos(session=session, county_code=county_code, hashes=hashes, max_distance=max_distance)
        alike.update({photo_id: [(photo_id, 0), *others] for photo_id, others in near.items()})

    candidates = {other for pairs in alike.values() for other, _ in pairs}
    visits_of: dict[str, set[str]] = defaultdict(set)
    for visit_id, photo_id in _links(session, candidates):
        visits_of[photo_id].add(visit_id)
    for visit_id, (_, photo_ids) in new_visits.items():
        for photo_id in photo_ids:
            visits_of[photo_id].add(visit_id)

    for visit_id, (_, photo_ids) in new_visits.items():
        for photo_id in photo_ids:
            for other_photo, distance in alike[photo_id]:
                for other_visit in sorted(visits_of[other_photo] - {visit_id}):
                    found[visit_id].append(PhotoMatch(photo_id, other_photo, other_visit, distance))
    return found


def _links(session: Session, photo_ids: Iterable[str]) -> list[tuple[str, str]]:
    ids = sorted(photo_ids)
    rows: list[tuple[str, str]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += list(
            session.exec(select(VisitPhoto.visit_id, VisitPhoto.photo_id).where(col(VisitPhoto.photo_id).in_(chunk)))
        )
    return rows
