"""The photo sweep: files a crashed upload left without a row go; nothing a row names ever does."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from api.db import utcnow
from api.photos.models import Photo
from api.photos.storage import PhotoStore
from api.photos.sweep import sweep_orphans
from tests.factories import make_county
from tests.servers import running_server

GRACE_S = 3600


def _stem(photo_id: str) -> str:
    return f"photos/{photo_id}/{uuid.uuid4().hex[:16]}-{uuid.uuid4().hex[:8]}"


def _keep_photo(session: Session, store: PhotoStore, user_id: int) -> list[str]:
    """A photo as an upload leaves it: its files, then the row naming them (and its original)."""
    photo_id = str(uuid.uuid4())
    stem = _stem(photo_id)
    keys = [f"{stem}.jpg", f"{stem}-thumb.jpg", f"{stem}-original"]
    for key in keys:
        store.put(key, b"jpeg bytes")
    session.add(
        Photo(
            id=photo_id,
            user_id=user_id,
            sha256="0" * 64,
            dhash=0,
            width=1600,
            height=1200,
            size_bytes=10,
            display_key=keys[0],
            thumb_key=keys[1],
            received_at=utcnow(),
        )
    )
    session.commit()
    return keys


def _crash_leftovers(store: PhotoStore) -> list[str]:
    """What SIGKILL during uploads leaves: a finished pair with no row, and a temporary file."""
    stem = _stem(str(uuid.uuid4()))
    keys = [f"{stem}.jpg", f"{stem}-thumb.jpg", f"photos/{uuid.uuid4()}/.tmp-k3j2h1"]
    for key in keys:
        store.put(key, b"half a photo")
    return keys


def _present(store: PhotoStore, keys: list[str]) -> set[str]:
    return set(store.stale_keys("photos/", written_before=utcnow() + timedelta(days=1))) & set(keys)


def test_the_sweep_deletes_old_leftovers_and_keeps_every_file_a_row_names(
    store: PhotoStore, engine: Engine, session: Session
) -> None:
    county = make_county(session)
    user_id = county.users["secretary_a1"].id
    assert user_id is not None
    kept = _keep_photo(session, store, user_id)
    old_leftovers = _crash_leftovers(store)
    someone_elses = ["photos/README.txt"]
    store.put(someone_elses[0], b"not a photo of ours")
    time.sleep(1.5)  # S3 keeps the time of a write to the second
    boundary = utcnow()
    time.sleep(1.5)
    uploading_now = _crash_leftovers(store)  # an upload in progress: files, row still to come
    kept_later = _keep_photo(session, store, user_id)

    removed = sweep_orphans(engine=engine, store=store, grace_s=GRACE_S, now=boundary + timedelta(seconds=GRACE_S))

    assert removed == len(old_leftovers)
    everything = kept + old_leftovers + someone_elses + uploading_now + kept_later
    assert _present(store, everything) == set(kept + someone_elses + uploading_now + kept_later)
    for key in kept + kept_later:
        assert store.get(key) == b"jpeg bytes"


def test_the_sweep_of_an_empty_store_does_nothing(store: PhotoStore, engine: Engine) -> None:
    assert sweep_orphans(engine=engine, store=store, grace_s=0) == 0


def test_serve_sweeps_at_start_up(tmp_path: Path) -> None:
    media = tmp_path / "data" / "media"
    leftover = media / "photos" / str(uuid.uuid4()) / ".tmp-abcdef"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"killed mid-write")
    sweeping = {"ZOUFANG_PHOTO_SWEEP_INTERVAL_S": "3600", "ZOUFANG_PHOTO_ORPHAN_GRACE_S": "0"}

    with running_server(tmp_path / "data", env=sweeping):
        deadline = time.monotonic() + 20
        while leftover.exists():
            assert time.monotonic() < deadline, "the start-up sweep did not remove the leftover"
            time.sleep(0.2)

    assert not leftover.parent.exists(), "the emptied folder goes too"
