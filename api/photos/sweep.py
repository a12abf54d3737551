"""Sweeping photo files that no row names: what a crash in the middle of an upload leaves behind.

An upload writes its files first and then the row that names them, in one request (see
``api.photos.service``). A process killed in between leaves files with no row: a temporary
file half written, or a finished display image and thumbnail. Nothing will ever name them, so
they are deleted once they are older than ``photo_orphan_grace_s``, an age no upload in
progress reaches. Files a row names are never touched, whatever their age.

Runs at start-up and then every ``photo_sweep_interval_s`` seconds inside ``zoufang serve``,
for the folder and S3 stores alike. Several instances may sweep at once: deleting a file
twice is harmless, and no row is ever written for a file that old.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.db import utcnow
from api.ops.periodic import in_background, repeat
from api.photos.models import Photo
from api.photos.storage import PhotoStore
from api.settings import Settings

PREFIX = "photos/"
# ``photos/{id}/{sha256[:16]}-{attempt}`` + ``.jpg``, ``-thumb.jpg`` or ``-original``.
_KEY = re.compile(r"^photos/(?P<id>[0-9a-f-]{36})/[0-9a-f]{16}-[0-9a-f]{8}(\.jpg|-thumb\.jpg|-original)$")
_TEMPORARY = re.compile(r"(^|/)\.tmp-[^/]*$")
_CHUNK = 500

log = logging.getLogger(__name__)


def sweep_orphans(*, engine: Engine, store: PhotoStore, grace_s: float, now: datetime | None = None) -> int:
    """Delete the photo files older than ``grace_s`` that no row names; returns how many."""
    stale = store.stale_keys(PREFIX, written_before=(now or utcnow()) - timedelta(seconds=grace_s))
    removed = 0
    for chunk in _chunks(stale):
        for key in _orphans(engine, chunk):
            store.delete(key)
            removed += 1
    return removed


def _orphans(engine: Engine, keys: list[str]) -> Iterator[str]:
    ids = {match["id"] for key in keys if (match := _KEY.match(key))}
    named: set[str] = set()
    with Session(engine) as session:
        rows = session.execute(select(col(Photo.display_key), col(Photo.thumb_key)).where(col(Photo.id).in_(ids)))
        for display, thumb in rows:
            named |= {display, thumb, display.removesuffix(".jpg") + "-original"}
    for key in keys:
        # Files of another shape are not ours to judge: they are left alone.
        if _TEMPORARY.search(key) or (_KEY.match(key) and key not in named):
            yield key


def _chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    it = iter(keys)
    while chunk := list(islice(it, _CHUNK)):
        yield chunk


@asynccontextmanager
async def photo_sweep_running(engine: Engine, store: PhotoStore, settings: Settings) -> AsyncIterator[None]:
    """Sweep at start-up and then every ``photo_sweep_interval_s`` seconds (never when it is 0)."""
    interval = settings.photo_sweep_interval_s

    def sweep() -> str:
        removed = sweep_orphans(engine=engine, store=store, grace_s=settings.photo_orphan_grace_s)
        return f"清理照片目录：删除了 {removed} 个没有记录的残留文件。"

    loop = (
        repeat(sweep, first_delay_s=0, interval_s=interval, failure="清理照片目录时出错，%s 秒后再试。", log=log)
        if interval > 0
        else None
    )
    async with in_background(loop, name="zoufang-photo-sweep"):
        yield
