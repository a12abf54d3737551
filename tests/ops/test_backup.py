"""``zoufang backup`` while phones keep writing, and ``zoufang restore`` into a new folder."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bench.county import CENTRE, PASSWORD, build_county
from bench.server import ServerProcess
from tests.factories import jpeg
from tests.servers import QUIET, run_cli, run_cli_refused


def _write_until(stop: threading.Event, base: str, token: str, households: tuple[int, ...], kept: list[str]) -> None:
    """A phone sending a photo and the visit naming it, again and again; ``kept`` gets each acknowledged visit."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        n = 0
        while not stop.is_set():
            n += 1
            photo_id = str(uuid.uuid4())
            uploaded = http.post(
                "/api/v1/photos", files={"file": ("p.jpg", jpeg(seed=n), "image/jpeg")}, data={"id": photo_id}
            )
            assert uploaded.status_code == 201, uploaded.text
            visit = {
                "id": str(uuid.uuid4()),
                "kind": "home_visit",
                "household_id": households[n % len(households)],
                "started_at": (datetime.now(UTC) - timedelta(days=2, minutes=n * 20)).isoformat(),
                "lat": CENTRE[0],
                "lon": CENTRE[1],
                "photo_ids": [photo_id],
            }
            stored = http.post("/api/v1/visits", json=visit)
            assert stored.status_code == 201, stored.text
            kept.append(visit["id"])


def test_a_backup_taken_while_phones_write_restores_every_record_and_photo_it_reports(tmp_path: Path) -> None:
    live, saved, restored = tmp_path / "live", tmp_path / "backup", tmp_path / "restored"
    live.mkdir()
    [secretary, *_] = build_county(f"sqlite:///{live / 'zoufang.db'}", secretaries=2, households_per_village=10)
    server = ServerProcess(data_dir=live, env=QUIET)
    server.start()
    kept: list[str] = []
    stop = threading.Event()
    try:
        login = {"username": secretary.username, "password": PASSWORD}
        token = httpx.post(f"{server.base}/api/v1/auth/token", data=login).json()["access_token"]
        writer = threading.Thread(target=_write_until, args=(stop, server.base, token, secretary.households, kept))
        writer.start()
        time.sleep(1.0)
        before_backup = len(kept)
        run_cli(live, "backup", str(saved))
        time.sleep(0.5)
        stop.set()
        writer.join(timeout=30)
    finally:
        stop.set()
        server.stop()
    assert before_backup > 0
    assert len(kept) > before_backup, "writes went on during the backup"

    manifest = json.loads((saved / "MANIFEST.json").read_text(encoding="utf-8"))
    output = run_cli(restored, "restore", str(saved))
    assert f"走访 {manifest['rows']['visit']} 条" in output

    with sqlite3.connect(restored / "zoufang.db") as conn:
        visits = [row[0] for row in conn.execute("SELECT id FROM visit")]
        photo_files = [key for row in conn.execute("SELECT display_key, thumb_key FROM photo") for key in row]
    assert len(visits) == manifest["rows"]["visit"]
    assert set(kept[:before_backup]) <= set(visits) <= set(kept)
    for key in photo_files:
        with Image.open(io.BytesIO((restored / "media" / key).read_bytes())) as picture:
            picture.verify()

    again = ServerProcess(data_dir=restored, env=QUIET)
    again.start()
    try:
        assert httpx.get(f"{again.base}/").status_code == 200  # the phone app is served
        listed = httpx.get(f"{again.base}/api/v1/visits?limit=500", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, "the phones' logins survive a restore"
        assert sorted(v["id"] for v in listed.json()["items"]) == sorted(visits)
    finally:
        again.stop()


def test_backup_and_restore_refuse_what_would_lose_or_mix_data(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    build_county(f"sqlite:///{live / 'zoufang.db'}", secretaries=1, households_per_village=2)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("别的文件")
    assert "不是空的" in run_cli_refused(live, "backup", str(occupied))

    run_cli(live, "backup", str(tmp_path / "saved"))
    assert "已经有数据" in run_cli_refused(live, "restore", str(tmp_path / "saved"))
    assert "不是完整的走访备份" in run_cli_refused(tmp_path / "empty", "restore", str(occupied))

    postgres = {"ZOUFANG_DATABASE_URL": "postgresql+psycopg://zoufang@127.0.0.1:1/zoufang"}
    assert "pg_dump" in run_cli_refused(tmp_path / "pg", "backup", str(tmp_path / "pg-backup"), env=postgres)


@pytest.mark.parametrize("damage", ["photo", "database"])
def test_a_damaged_backup_is_not_restored(tmp_path: Path, damage: str) -> None:
    live = tmp_path / "live"
    live.mkdir()
    [secretary] = build_county(f"sqlite:///{live / 'zoufang.db'}", secretaries=1, households_per_village=2)
    server = ServerProcess(data_dir=live, env=QUIET)
    server.start()
    try:
        token = httpx.post(
            f"{server.base}/api/v1/auth/token", data={"username": secretary.username, "password": PASSWORD}
        ).json()["access_token"]
        uploaded = httpx.post(
            f"{server.base}/api/v1/photos",
            files={"file": ("p.jpg", jpeg(seed=1), "image/jpeg")},
            data={"id": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert uploaded.status_code == 201
    finally:
        server.stop()
    run_cli(live, "backup", str(tmp_path / "saved"))
    if damage == "photo":
        next((tmp_path / "saved" / "media").rglob("*.jpg")).unlink()
    else:
        with sqlite3.connect(tmp_path / "saved" / "zoufang.db") as conn:
            conn.execute("DELETE FROM photo_hash_band")
            conn.execute("DELETE FROM photo")

    assert "备份不完整" in run_cli_refused(tmp_path / "restored", "restore", str(tmp_path / "saved"))
    assert not (tmp_path / "restored" / "zoufang.db").exists()
