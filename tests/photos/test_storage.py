"""Photo stores: both backends keep the same promises, each checked the way it can fail.

The S3 backend runs against a real S3 server on 127.0.0.1 (moto's standalone server, over
HTTP), configured through the environment exactly as a deployment is, so that the endpoint,
addressing and checksum settings are exercised on the wire and not only in a mock.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.photos.s3 import S3Store
from api.photos.storage import BadPhotoKey, LocalStore, PhotoMissing, PhotoStore, UnsupportedMediaUrl, open_photo_store
from api.settings import Settings
from tests.conftest import s3_environment

PHOTO = bytes(range(256)) * 40 + b"\x00\r\n\xff\xd8\xff"
BAD_KEYS = ["", "/etc/passwd", "../outside.jpg", "ab/../../outside.jpg", "ab//x.jpg", "./x.jpg", "ab\\x.jpg"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Every backend


def test_round_trip_keeps_binary_bytes(store: PhotoStore) -> None:
    store.put("ab/abcdef.jpg", PHOTO)
    assert store.get("ab/abcdef.jpg") == PHOTO


def test_put_replaces_what_was_there(store: PhotoStore) -> None:
    store.put("ab/abcdef.jpg", PHOTO)
    store.put("ab/abcdef.jpg", b"second")
    assert store.get("ab/abcdef.jpg") == b"second"


def test_delete_removes_the_photo(store: PhotoStore) -> None:
    store.put("ab/abcdef.jpg", PHOTO)
    store.delete("ab/abcdef.jpg")
    with pytest.raises(PhotoMissing):
        store.get("ab/abcdef.jpg")


def test_deleting_a_missing_photo_is_not_an_error(store: PhotoStore) -> None:
    store.delete("zz/never-stored.jpg")
    store.delete("zz/never-stored.jpg")


def test_get_of_a_missing_photo_raises_photo_missing(store: PhotoStore) -> None:
    with pytest.raises(PhotoMissing) as raised:
        store.get("zz/never-stored.jpg")
    assert isinstance(raised.value, KeyError)


def test_keys_with_subfolders_are_separate_photos(store: PhotoStore) -> None:
    store.put("ab/cd/deep.jpg", b"deep")
    store.put("ab/shallow.jpg", b"shallow")
    store.put("top.jpg", b"top")
    assert store.get("ab/cd/deep.jpg") == b"deep"
    assert store.get("ab/shallow.jpg") == b"shallow"
    assert store.get("top.jpg") == b"top"
    with pytest.raises(PhotoMissing):
        store.get("ab")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_leave_the_store_are_refused(store: PhotoStore, key: str) -> None:
    with pytest.raises(BadPhotoKey):
        store.put(key, PHOTO)
    with pytest.raises(BadPhotoKey):
        store.get(key)
    with pytest.raises(BadPhotoKey):
        store.delete(key)


def test_health_is_ok(store: PhotoStore) -> None:
    assert store.health() == "ok"


# The local folder


@pytest.fixture
def local(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "media")


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_failed_write_leaves_neither_temporary_nor_partial_file(
    local: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_fails(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", disk_fails)
    with pytest.raises(OSError, match="Input/output error"):
        local.put("ab/abcdef.jpg", PHOTO)
    assert _files(local.root) == []


def test_a_failed_replacement_keeps_the_old_photo(local: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    local.put("ab/abcdef.jpg", b"first")

    def rename_fails(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", rename_fails)
    with pytest.raises(OSError, match="No space left"):
        local.put("ab/abcdef.jpg", PHOTO)
    assert _files(local.root) == ["ab/abcdef.jpg"]
    assert local.get("ab/abcdef.jpg") == b"first"


def test_a_symlink_out_of_the_folder_is_refused(local: LocalStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    local.root.mkdir()
    (local.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BadPhotoKey):
        local.put("link/x.jpg", PHOTO)
    assert list(outside.iterdir()) == []


def test_instances_sharing_a_folder_are_healthy_when_asked_at_the_same_moment(tmp_path: Path) -> None:
    """A load balancer asks every instance at once; the instances' probes must not trip over each other."""
    stores = [LocalStore(tmp_path / "media") for _ in range(4)]
    barrier = threading.Barrier(len(stores))

    def ask(store: LocalStore) -> list[str]:
        answers = []
        for _ in range(200):
            barrier.wait()
            answers.append(store.health())
        return answers

    with ThreadPoolExecutor(len(stores)) as pool:
        answers = [answer for answers in pool.map(ask, stores) for answer in answers]
    assert set(answers) == {"ok"}
    assert _files(tmp_path / "media") == []


def test_health_reports_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert LocalStore(blocker / "media").health().startswith("error: ")


# S3


def test_objects_land_under_the_prefix(bucket: str, admin: Any) -> None:
    store = open_photo_store(Settings())
    assert isinstance(store, S3Store)
    store.put("ab/abcdef.jpg", PHOTO)
    listed = admin.list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in listed["Contents"]] == ["photos/county/ab/abcdef.jpg"]
    body = admin.get_object(Bucket=bucket, Key="photos/county/ab/abcdef.jpg")["Body"].read()
    assert body == PHOTO


def test_health_of_a_missing_bucket_is_an_error(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOUFANG_MEDIA_URL", f"s3://{bucket}-missing/photos")
    assert open_photo_store(Settings()).health().startswith("error: 404")


def test_health_of_an_unreachable_server_is_a_quick_error(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    store = open_photo_store(Settings())
    started = time.monotonic()
    result = store.health()
    assert result.startswith("error: ")
    assert time.monotonic() - started < 3


def test_custom_endpoints_get_path_style_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s3_environment(monkeypatch, tmp_path, "http://minio.county.lan:9000", "s3://photos")
    path_style = S3Store("photos")
    virtual = S3Store("photos", addressing_style="virtual")
    assert path_style._client.meta.config.s3 == {"addressing_style": "path"}
    assert virtual._client.meta.config.s3 == {"addressing_style": "virtual"}
    assert path_style._client.meta.config.request_checksum_calculation == "when_required"


# Choosing a backend


def test_the_default_store_is_a_folder_in_the_data_folder(tmp_path: Path) -> None:
    store = open_photo_store(Settings(data_dir=tmp_path, media_url=""))
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "media"


def test_a_file_url_is_a_local_folder(tmp_path: Path) -> None:
    store = open_photo_store(Settings(media_url=f"file://{tmp_path / 'media'}"))
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "media"


@pytest.mark.parametrize("url", ["gs://bucket/photos", "s3://", "s3:///photos", "s3://bucket/photos?region=x"])
def test_an_unusable_media_url_names_the_variable(url: str) -> None:
    with pytest.raises(UnsupportedMediaUrl, match="ZOUFANG_MEDIA_URL"):
        open_photo_store(Settings(media_url=url))


def test_readyz_checks_the_s3_bucket(settings: Settings, bucket: str) -> None:
    with TestClient(create_app(settings.model_copy(update={"media_url": f"s3://{bucket}/photos"}))) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "photo_store": "ok"}


def test_readyz_is_503_when_the_s3_bucket_is_missing(settings: Settings, bucket: str) -> None:
    with TestClient(create_app(settings.model_copy(update={"media_url": f"s3://{bucket}-missing"}))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "photo_store" in response.json()["detail"]


def test_local_delete_removes_the_folders_it_empties(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media")
    store.put("photos/abc/one.jpg", b"1")
    store.put("photos/abc/two.jpg", b"2")
    store.delete("photos/abc/one.jpg")
    assert (tmp_path / "media" / "photos" / "abc").is_dir()  # still holds two.jpg
    store.delete("photos/abc/two.jpg")
    assert not (tmp_path / "media" / "photos").exists()
    assert (tmp_path / "media").is_dir()
