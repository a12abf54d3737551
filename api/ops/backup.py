"""Backing up and restoring the embedded default: the SQLite file, the photo folder, the signing key.

``zoufang backup DEST`` works while the service runs. The database is copied first with SQLite's
online backup, a consistent snapshot however much is being written meanwhile; then the photo
files its rows name. Files are written before the rows that name them and never change after,
so every photo the snapshot knows is on disk: database and photos agree. Photos uploaded after
the snapshot are not in it, and neither are their rows. A manifest says what the backup holds.

``zoufang restore SRC`` puts a backup into an empty data folder, and checks it against the
manifest first. PostgreSQL and S3 have their own tools (pg_dump, bucket mirroring); the README
gives the commands.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from api.settings import KEY_FILE, Settings

DATABASE = "zoufang.db"
MEDIA = "media"
MANIFEST = "MANIFEST.json"
COUNTED = ("app_user", "region", "household", "assignment", "visit", "checkin", "photo", "flag", "inspection")


class BackupRefused(Exception):
    """Why a backup or restore cannot be done, in words for whoever runs the command."""


@dataclass
class Manifest:
    made_at: str
    schema: str
    rows: dict[str, int]
    photo_files: list[str]


def _embedded(settings: Settings) -> tuple[Path, Path]:
    """The SQLite file and the photo folder, or a refusal naming the tools for the other setups."""
    url = settings.effective_database_url
    if not url.startswith("sqlite:///"):
        raise BackupRefused("数据库是 PostgreSQL：请用 pg_dump 备份、pg_restore 恢复（见 README“备份”一节）。")
    media = settings.effective_media_url
    if "://" in media and not media.startswith("file://"):
        raise BackupRefused("照片存放在 S3：请用对象存储的版本控制或镜像备份照片（见 README“备份”一节）。")
    return Path(url.removeprefix("sqlite:///")), Path(media.removeprefix("file://"))


def _photo_keys(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT display_key, thumb_key FROM photo").fetchall()
    keys = []
    for display, thumb in rows:
        keys += [display, thumb, display.removesuffix(".jpg") + "-original"]
    return keys


def _describe(database: Path, photo_files: list[str]) -> Manifest:
    with sqlite3.connect(database) as conn:
        rows = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}  # noqa: S608 - our own table names
        schema = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    return Manifest(datetime.now(UTC).isoformat(timespec="seconds"), schema, rows, photo_files)


def backup(settings: Settings, dest: Path) -> Manifest:
    """Copy the database (a snapshot), then the photos its rows name, into the new folder ``dest``."""
    database, media = _embedded(settings)
    if not database.exists():
        raise BackupRefused(f"没有找到数据库文件 {database}。")
    if dest.exists() and any(dest.iterdir()):
        raise BackupRefused(f"备份目录 {dest} 不是空的：请换一个新目录。")
    dest.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as source, sqlite3.connect(dest / DATABASE) as target:
        source.backup(target)  # one step: a consistent snapshot, writers are not held up
    copied = []
    for key in _photo_keys(dest / DATABASE):
        if not (media / key).exists():
            continue  # an original that was never kept
        (dest / MEDIA / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(media / key, dest / MEDIA / key)
        copied.append(key)
    if (settings.data_dir / KEY_FILE).exists():
        shutil.copy2(settings.data_dir / KEY_FILE, dest / KEY_FILE)  # so phones stay logged in after a restore
    manifest = _describe(dest / DATABASE, copied)
    (dest / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def restore(settings: Settings, source: Path) -> Manifest:
    """Put the backup at ``source`` into the settings' data folder, which must hold no data yet."""
    database, media = _embedded(settings)
    if database.exists() or (media.exists() and any(media.iterdir())):
        raise BackupRefused(f"数据目录 {settings.data_dir} 中已经有数据：恢复只能放进一个空的数据目录。")
    try:
        expected = Manifest(**json.loads((source / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise BackupRefused(f"{source} 不是完整的走访备份（缺少或无法读取 {MANIFEST}）。") from exc
    missing = [key for key in expected.photo_files if not (source / MEDIA / key).exists()]
    if missing or _describe(source / DATABASE, expected.photo_files).rows != expected.rows:
        raise BackupRefused(f"备份不完整：与 {MANIFEST} 不符（缺少 {len(missing)} 个照片文件，或数据库已改动）。")
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / DATABASE, database)
    if (source / MEDIA).exists():
        shutil.copytree(source / MEDIA, media, dirs_exist_ok=True)
    if (source / KEY_FILE).exists() and not settings.secret_key:
        shutil.copy2(source / KEY_FILE, settings.data_dir / KEY_FILE)
    return expected
