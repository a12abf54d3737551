"""Writing the demo's field records through the same services the phones' uploads go through.

The demo's flags must be the ones real phones would raise, and its households' visit counts
the ones real visits would leave, so nothing here writes a visit, a check-in or a photo row
itself: photos go through ``ingest_photo`` into the deployment's photo store (decoded, EXIF
read, hashed, re-encoded, compared with the county's other photos), and visits and check-ins
through ``record_visits`` / ``record_checkins`` as each secretary, in batches the size of a
phone's outbox, so the evidence checks run on them exactly as on arrival from the field.

Everything happens inside the caller's transaction. If anything fails, the caller rolls back
and the photo files written so far are deleted, so a failed demo leaves neither rows nor files.

Thousands of photos one after another would make the demo slow to load, mostly waiting: on
each photo's files to reach the disk (fsync) and on Pillow to draw the next picture. So the
pictures are drawn on worker threads ahead of their upload, and the store's writes run on
worker threads too, all of them finished before the transaction may commit — the rows still
never name a file that is not there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from api.auth.models import User
from api.auth.principal import Principal
from api.checkins.models import Checkin
from api.checkins.service import record_checkins
from api.demo import texts
from api.demo.dating import date_as_recorded
from api.demo.fieldwork import FieldPlan, PlannedPhoto
from api.demo.pictures import demo_jpeg
from api.flags.models import Flag
from api.photos.models import Photo
from api.photos.service import ingest_photo
from api.photos.storage import PhotoStore
from api.records import Outcome
from api.requests.models import VillagerRequest
from api.settings import Settings
from api.visits.models import Visit
from api.visits.service import record_visits

BATCH = 200  # records per call, as a phone's outbox arrives through /sync

_T = TypeVar("_T")


@dataclass(frozen=True)
class FieldCounts:
    visits: int
    home_visits: int
    checkins: int
    photos: int
    requests: int
    flags: dict[str, int]


class DemoRecordRefused(RuntimeError):
    """A planned record was not accepted: the planner and the services disagree."""


def write_fieldwork(
    session: Session, plan: FieldPlan, *, users: dict[str, User], settings: Settings, store: PhotoStore, now: datetime
) -> FieldCounts:
    """Send every secretary's planned records through the services, inside the open transaction."""
    written: list[str] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-pictures") as painters:
        writer = _BackgroundWrites(store)
        try:
            pictures = painters.map(_picture, [photo for work in plan.fieldwork for photo in work.photos])
            for work in plan.fieldwork:
                user = users[work.username]
                for photo in work.photos:
                    row, _ = ingest_photo(
                        session=session,
                        store=writer,
                        settings=settings,
                        user=user,
                        photo_id=photo.id,
                        data=next(pictures),
                        now=now,
                    )
                    written += [row.display_key, row.thumb_key]
                    if settings.keep_original_photos:
                        written.append(row.display_key.removesuffix(".jpg") + "-original")
                by = Principal.for_user(user)
                for visits in _batches(work.visits):
                    _expect_created(record_visits(session=session, by=by, items=visits, settings=settings, now=now))
                for checkins in _batches(work.checkins):
                    _expect_created(record_checkins(session=session, by=by, items=checkins, settings=settings, now=now))
            _follow_up(session, plan.followed_up, now=now)
            date_as_recorded(session, now=now)
            writer.finish()
            return _counts(session)
        except BaseException:
            writer.finish(raise_errors=False)
            for key in written:
                store.delete(key)
            raise


def _picture(photo: PlannedPhoto) -> bytes:
    return demo_jpeg(photo.content_seed, taken_local=photo.taken_local, lat=photo.lat, lon=photo.lon)


class _BackgroundWrites:
    """A photo store whose writes run on worker threads; ``finish`` waits for all of them.

    Reads and deletes wait for the writes first, so a key is never deleted while its write is
    still on its way.
    """

    def __init__(self, store: PhotoStore, *, workers: int = 4) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="demo-photo-writes")
        self.pending: list[Future[None]] = []

    def put(self, key: str, data: bytes) -> None:
        self.pending.append(self.pool.submit(self.store.put, key, data))

    def get(self, key: str) -> bytes:
        self._wait()
        return self.store.get(key)

    def delete(self, key: str) -> None:
        self._wait()
        self.store.delete(key)

    def health(self) -> str:
        return self.store.health()

    def stale_keys(self, prefix: str, *, written_before: datetime) -> Iterator[str]:
        self._wait()
        return self.store.stale_keys(prefix, written_before=written_before)

    def finish(self, *, raise_errors: bool = True) -> None:
        try:
            self._wait(raise_errors=raise_errors)
        finally:
            self.pool.shutdown(wait=True)

    def _wait(self, *, raise_errors: bool = True) -> None:
        pending, self.pending = self.pending, []
        errors = [exc for future in pending if (exc := future.exception()) is not None]
        if errors and raise_errors:
            raise errors[0]


def _batches(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _expect_created(outcomes: list[Outcome]) -> None:
    refused = [o for o in outcomes if o.status != "created"]
    if refused:
        first = refused[0]
        reason = first.error.detail if first.error is not None else first.status
        raise DemoRecordRefused(f"{len(refused)} demo records were not accepted, e.g. {first.id}: {reason}")


def _follow_up(session: Session, followed_up: dict[str, tuple[str, str]], *, now: datetime) -> None:
    """Mark the requests the secretaries followed up on as in progress or resolved."""
    if not followed_up:
        return
    table = VillagerRequest.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("request_id"))
        .values(
            status=bindparam("new_status"),
            resolution=bindparam("new_resolution"),
            resolved_at=bindparam("new_resolved_at"),
            updated_at=now,
        )
    )
    params = [
        {
            "request_id": request_id,
            "new_status": status,
            "new_resolution": texts.resolution(category) if status == "resolved" else None,
            "new_resolved_at": now if status == "resolved" else None,
        }
        for request_id, (status, category) in sorted(followed_up.items())
    ]
    session.connection().execute(stmt, params)


def _counts(session: Session) -> FieldCounts:
    def count(model: type[Visit | Checkin | Photo | VillagerRequest]) -> int:
        return session.exec(select(func.count()).select_from(model)).one()

    return FieldCounts(
        visits=count(Visit),
        home_visits=session.exec(select(func.count()).where(Visit.kind == "home_visit")).one(),
        checkins=count(Checkin),
        photos=count(Photo),
        requests=count(VillagerRequest),
        flags=flag_counts(session),
    )


def flag_counts(session: Session) -> dict[str, int]:
    """Flags raised so far, by kind."""
    stmt = select(Flag.kind, func.count()).group_by(col(Flag.kind)).order_by(col(Flag.kind))
    return dict(session.exec(stmt).all())
