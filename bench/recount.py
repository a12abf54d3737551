"""What a field day must leave behind, checked from the raw rows and the photo files.

Every record the phones were told was kept is there exactly once, with the content the phone
sent; every photo row names files that are there and decode as JPEGs with the bytes' digest;
the household counters and the dashboard rollups equal a recount from the raw visits and
check-ins; and no file in the photo folder is left without a row. Each check returns the
problems it found, in words, so a run reports all of them at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from PIL import Image
from sqlalchemy import Engine, select

from api.checkins.models import Checkin
from api.clock import monday_of
from api.households.models import Household
from api.oversight.models import PresenceDay, VillageActivity, VisitDay, VisitWeek
from api.oversight.rollups import presence_of
from api.photos.models import Photo
from api.photos.storage import PhotoStore
from api.visits.models import Visit, VisitPhoto
from bench.phones import Phone


def _rows(engine: Engine, *columns: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(*columns)))


def records_exactly_once(engine: Engine, phones: Sequence[Phone]) -> list[str]:
    problems = []
    sent_visits = {v["id"]: v for p in phones for v in p.visits}
    sent_checkins = {c["id"]: c for p in phones for c in p.checkins}
    stored = {row.id: row for row in _rows(engine, Visit.id, Visit.household_id, Visit.started_at, Visit.notes)}
    if missing := sent_visits.keys() - stored.keys():
        problems.append(f"{len(missing)} visits acknowledged or sent are missing, e.g. {sorted(missing)[0]}")
    if extra := stored.keys() - sent_visits.keys():
        problems.append(f"{len(extra)} visits nobody sent are stored")
    for visit_id in sent_visits.keys() & stored.keys():
        sent, row = sent_visits[visit_id], stored[visit_id]
        if (row.household_id, row.notes) != (
            sent["household_id"],
            sent["notes"],
        ) or row.started_at != dt.datetime.fromisoformat(sent["started_at"]):
            problems.append(f"visit {visit_id} is stored with other content than sent")
    links = Counter((row.visit_id, row.photo_id) for row in _rows(engine, VisitPhoto.visit_id, VisitPhoto.photo_id))
    expected_links = Counter((v["id"], photo) for v in sent_visits.values() for photo in v["photo_ids"])
    if links != expected_links:
        problems.append(f"visit photos differ from what was sent: {sum((links - expected_links).values())} extra")
    checkins = Counter(row.id for row in _rows(engine, Checkin.id))
    if set(checkins) != set(sent_checkins) or any(n != 1 for n in checkins.values()):
        problems.append(f"check-ins: {len(checkins)} stored, {len(sent_checkins)} sent")
    return problems


def photos_whole(engine: Engine, phones: Sequence[Phone], read: Callable[[str], bytes]) -> list[str]:
    """Every photo sent has its row, with the digest of its bytes, and files that decode."""
    problems = []
    sent = {photo_id: data for p in phones for photo_id, data in p.photos.items()}
    rows = {row.id: row for row in _rows(engine, Photo.id, Photo.sha256, Photo.display_key, Photo.thumb_key)}
    if set(rows) != set(sent):
        problems.append(f"photos: {len(rows)} rows for {len(sent)} sent")
    for photo_id, row in rows.items():
        if photo_id in sent and row.sha256 != hashlib.sha256(sent[photo_id]).hexdigest():
            problems.append(f"photo {photo_id} is stored with another digest than its bytes")
        for key in (row.display_key, row.thumb_key):
            try:
                with Image.open(io.BytesIO(read(key))) as picture:
                    picture.verify()
            except (OSError, SyntaxError, KeyError) as exc:
                problems.append(f"photo file {key} is not readable: {exc}")
    return problems


def counters_and_rollups(engine: Engine, tz: ZoneInfo) -> list[str]:
    """The counters and rollups kept as records arrived, against a recount from the raw rows."""
    problems = []
    visits = _rows(engine, Visit.village_code, Visit.user_id, Visit.household_id, Visit.kind, Visit.started_at)
    homes = [v for v in visits if v.kind == "home_visit"]
    count = Counter(v.household_id for v in homes)
    latest: dict[int, dt.datetime] = {}
    for v in homes:
        latest[v.household_id] = max(latest.get(v.household_id, v.started_at), v.started_at)
    for household in _rows(engine, Household.id, Household.visit_count, Household.last_visit_at):
        if (household.visit_count, household.last_visit_at) != (count.get(household.id, 0), latest.get(household.id)):
            problems.append(f"household {household.id}: counters differ from a recount")

    days: Counter[tuple[str, dt.date, int]] = Counter()
    home_days: Counter[tuple[str, dt.date, int]] = Counter()
    weeks: Counter[tuple[str, dt.date, int]] = Counter()
    last: dict[str, dt.datetime] = {}
    for v in visits:
        day = v.started_at.astimezone(tz).date()
        days[(v.village_code, day, v.user_id)] += 1
        home_days[(v.village_code, day, v.user_id)] += v.kind == "home_visit"
        weeks[(v.village_code, monday_of(day), v.user_id)] += 1
        last[v.village_code] = max(last.get(v.village_code, v.started_at), v.started_at)
    stored_days = _rows(
        engine, VisitDay.village_code, VisitDay.day, VisitDay.user_id, VisitDay.visits, VisitDay.home_visits
    )
    if {(r[0], r[1], r[2]): (r[3], r[4]) for r in stored_days} != {k: (n, home_days[k]) for k, n in days.items()}:
        problems.append("visit_day differs from a recount")
    stored_weeks = _rows(engine, VisitWeek.village_code, VisitWeek.week, VisitWeek.user_id, VisitWeek.visits)
    if {(r[0], r[1], r[2]): r[3] for r in stored_weeks} != dict(weeks):
        problems.append("visit_week differs from a recount")
    if dict(_rows(engine, VillageActivity.village_code, VillageActivity.last_visit_at)) != last:
        problems.append("village_activity differs from a recount")
    presence = {
        (c.village_code, day, c.user_id, night)
        for c in _rows(engine, Checkin.village_code, Checkin.user_id, Checkin.at, Checkin.checks)
        if "off_site" not in c.checks
        for day, night in presence_of(c.at, tz=tz)
    }
    stored_presence = _rows(engine, PresenceDay.village_code, PresenceDay.day, PresenceDay.user_id, PresenceDay.night)
    if set(map(tuple, stored_presence)) != presence:
        problems.append("presence_day differs from a recount")
    return problems


def no_orphan_files(engine: Engine, store: PhotoStore) -> list[str]:
    """Every photo file in the store is named by a row (run after a sweep)."""
    named = set()
    for display, thumb in _rows(engine, Photo.display_key, Photo.thumb_key):
        named |= {display, thumb}
    present = set(store.stale_keys("photos/", written_before=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))
    orphans = present - named
    return [f"{len(orphans)} photo files without a row, e.g. {sorted(orphans)[0]}"] if orphans else []


def same_from_every_instance(bases: Sequence[str], phones: Sequence[Phone], *, sample: int = 5) -> list[str]:
    """Each of the first ``sample`` phones reads the same visits and photo bytes from every instance."""
    problems = []
    for phone in phones[:sample]:
        headers = {"Authorization": f"Bearer {phone.token}"}
        seen = []
        for base in bases:
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                visits = client.get("/api/v1/visits", params={"limit": 500}).json()["items"]
                photos = {photo_id: client.get(f"/api/v1/photos/{photo_id}").content for photo_id in phone.photos}
            seen.append(({v["id"] for v in visits}, photos))
        if any(other != seen[0] for other in seen[1:]):
            problems.append(f"{phone.secretary.username} reads different records or photos from different instances")
    return problems
