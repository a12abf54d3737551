"""Storing uploaded photos exactly once, and finding photos that look alike.

Files are written before the row that names them, under keys unique to the photo id, its
content *and* the upload attempt: a row never points to a missing file, and two uploads racing
under one id never share or overwrite each other's files, so the one that loses (or rolls back)
deletes only its own. When the row is not kept (a conflict, a lost race, or the transaction
rolls back), that attempt's files are deleted again.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, tuple_
from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import Select

from api.auth.models import User
from api.auth.principal import Principal
from api.checkins.models import Checkin
from api.db import on_rollback
from api.errors import NotFound
from api.photos.imaging import hamming, process_photo
from api.photos.models import DHASH_BANDS, Photo, PhotoHashBand
from api.photos.storage import PhotoStore
from api.records import RecordConflict, insert_new
from api.regions import codes
from api.settings import Settings
from api.visits.models import Visit, VisitPhoto

_SIGN = 1 << 63


def to_signed(dhash: int) -> int:
    """The unsigned 64-bit hash as the signed integer a BIGINT column holds."""
    return dhash - (1 << 64) if dhash >= _SIGN else dhash


def to_unsigned(stored: int) -> int:
    return stored + (1 << 64) if stored < 0 else stored


def county_of(code: str | None) -> str | None:
    """The county a scope code lies in, or None for a scope wider than a county."""
    if not code:
        return None
    significant = codes.prefix(code)
    return significant[:6].ljust(codes.CODE_LENGTH, "0") if len(significant) >= 6 else None


def hash_bands(dhash: int) -> list[int]:
    """The dHash's 8 bytes, lowest first."""
    return [(dhash >> (8 * band)) & 0xFF for band in range(DHASH_BANDS)]


def similar_photos(
    *, session: Session, county_code: str | None, hashes: dict[str, int], max_distance: int
) -> dict[str, list[tuple[str, int]]]:
    """For each given photo, the other photos of the county within ``max_distance`` dHash bits.

    Only photos sharing a dHash byte are compared (see ``PhotoHashBand``); a distance of 8 or
    more defeats that filter, and then the whole county is compared.
    """
    found: dict[str, list[tuple[str, int]]] = {photo_id: [] for photo_id in hashes}
    if not hashes:
        return found
    banded = max_distance < DHASH_BANDS
    params: dict[str, Any] = {"county": county_code}
    if banded:
        wanted = {(band, value) for dhash in hashes.values() for band, value in enumerate(hash_bands(dhash))}
        params["bands"] = sorted(wanted)
    stmt = _looking_alike(banded=banded, in_county=county_code is not None)
    for other_id, stored in session.exec(stmt, params=params):
        other = to_unsigned(stored)
        for photo_id, mine in hashes.items():
            if other_id != photo_id and (distance := hamming(mine, other)) <= max_distance:
                found[photo_id].append((other_id, distance))
    return found


@functools.cache
def _looking_alike(*, banded: bool, in_county: bool) -> Select[str, int]:
    """Photos that may look like the given ones: those sharing a dHash byte (``bands``), or all;
    in the county (``county``) or anywhere. Built once: it runs on every upload."""
    stmt = select(Photo.id, Photo.dhash)
    if banded:
        candidates = select(PhotoHashBand.photo_id).where(
            tuple_(col(PhotoHashBand.band), col(PhotoHashBand.value)).in_(bindparam("bands", expanding=True))
        )
        if in_county:
            candidates = candidates.where(col(PhotoHashBand.county_code) == bindparam("county"))
        return stmt.where(col(Photo.id).in_(candidates))
    if in_county:
        return stmt.where(col(Photo.county_code) == bindparam("county"))
    return stmt


@dataclass(frozen=True)
class ReportedCapture:
    """Capture time (aware) and place the phone read from the original file before shrinking it.

    A photo drawn on a canvas to shrink it loses its EXIF, and with it the facts the evidence
    checks compare against the visit. The file's own EXIF is still preferred when it has any:
    it was written by the camera, while these come from the phone's own code.
    """

    taken_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None


def ingest_photo(
    *,
    session: Session,
    store: PhotoStore,
    settings: Settings,
    user: User,
    photo_id: str,
    data: bytes,
    now: datetime,
    reported: ReportedCapture | None = None,
) -> tuple[Photo, bool]:
    """Keep an uploaded photo; returns the row and whether this upload created it.

    ``reported`` fills in the capture time and the GPS position, each on its own, where the
    file's EXIF has none. A resend of the same id and bytes answers the row as first stored.
    Raises ``ImageRejected`` for what is not a usable image and ``RecordConflict`` when the id
    already names a different photo.
    """
    reported = reported or ReportedCapture()
    lookup_begins_transaction = not session.in_transaction()
    existing = session.get(Photo, photo_id)
    if existing is not None:
        return _same_or_conflict(existing, hashlib.sha256(data).hexdigest(), user), False
    if lookup_begins_transaction:
        # End the transaction the lookup began before the slow pixel work: on SQLite a writing
        # request's first query takes the write lock (BEGIN IMMEDIATE), and holding it while a
        # photo is decoded would serialise every upload's decoding behind one lock (on
        # PostgreSQL it would hold a pooled connection idle). A concurrent upload of this id
        # that gets in meanwhile is caught by the insert below.
        session.rollback()

    processed = process_photo(data, local_tz=settings.tz, max_pixels=settings.max_photo_pixels)
    sha256 = processed.sha256
    # The attempt's own suffix: racing uploads of one id (even of the same bytes) never share
    # files, so one that rolls back cannot delete files another's committed row names.
    stem = f"photos/{photo_id}/{sha256[:16]}-{secrets.token_hex(4)}"
    files = {f"{stem}.jpg": processed.display, f"{stem}-thumb.jpg": processed.thumb}
    if settings.keep_original_photos:
        files[f"{stem}-original"] = data
    for key, content in files.items():
        store.put(key, content)

    taken_at = processed.taken_at if processed.taken_at is not None else reported.taken_at
    exif_lat, exif_lon = (
        (processed.exif_lat, processed.exif_lon) if processed.exif_lat is not None else (reported.lat, reported.lon)
    )
    county_code = county_of(user.scope_code)
    near = similar_photos(
        session=session,
        county_code=county_code,
        hashes={photo_id: processed.dhash},
        max_distance=settings.duplicate_photo_max_distance,
    )[photo_id]
    row = Photo(
        id=photo_id,
        user_id=user.id,  # type: ignore[arg-type]
        county_code=county_code,
        sha256=sha256,
        dhash=to_signed(processed.dhash),
        width=processed.width,
        height=processed.height,
        size_bytes=len(data),
        taken_at=taken_at,
        exif_lat=exif_lat,
        exif_lon=exif_lon,
        near_duplicates=[other_id for other_id, _ in sorted(near, key=lambda item: item[1])],
        display_key=f"{stem}.jpg",
        thumb_key=f"{stem}-thumb.jpg",
        received_at=now,
    )
    try:
        inserted = insert_new(session, Photo, [row.model_dump()])
    except BaseException:
        _delete(store, files)
        raise
    if not inserted:  # an upload of the same id won the race; its row names its own files
        _delete(store, files)
        winner = session.get(Photo, photo_id, populate_existing=True)
        assert winner is not None
        return _same_or_conflict(winner, sha256, user), False
    on_rollback(session, lambda: _delete(store, files))
    session.connection().execute(
        insert(PhotoHashBand.__table__),  # type: ignore[attr-defined]
        [
            {"photo_id": photo_id, "band": band, "value": value, "county_code": county_code}
            for band, value in enumerate(hash_bands(processed.dhash))
        ],
    )
    stored = session.get(Photo, photo_id)
    assert stored is not None
    return stored, True


def _same_or_conflict(photo: Photo, sha256: str, user: User) -> Photo:
    """The stored photo when this is its owner sending the same bytes again, else a conflict.

    Another user's id is a conflict even with identical bytes, and says no more than a
    different photo would: the stored record (its time, place and look-alikes) is not theirs.
    """
    if photo.sha256 != sha256 or photo.user_id != user.id:
        raise RecordConflict(f"照片编号 {photo.id} 已被使用。请为新照片生成新的编号。")
    return photo


def _delete(store: PhotoStore, files: Iterable[str]) -> None:
    for key in files:
        store.delete(key)


def visible_photo(*, session: Session, photo_id: str, by: Principal) -> Photo:
    """A photo the principal may see: their own upload, or one on a record in their scope."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("照片不存在，或您无权查看。")
    if by.scope_prefix == "" or (by.user is not None and photo.user_id == by.user.id):
        return photo
    on_visit = (
        select(Visit.id)
        .join(VisitPhoto, col(VisitPhoto.visit_id) == Visit.id)
        .where(or_(VisitPhoto.photo_id == photo_id, Visit.signature_photo_id == photo_id))
        .where(by.where_under(Visit.village_code))
    )
    on_checkin = select(Checkin.id).where(Checkin.photo_id == photo_id, by.where_under(Checkin.village_code))
    if session.exec(on_visit).first() is None and session.exec(on_checkin).first() is None:
        raise NotFound("照片不存在，或您无权查看。")
    return photo
