"""Where photo files live, behind one small interface.

A photo is evidence, so the store must never hand out half a file, nor lose one it said it
kept. Two backends honour that: a local folder (the embedded default, one API instance) and
S3-compatible object storage (``api.photos.s3``) for deployments where several API instances
must see the same photos. ``ZOUFANG_MEDIA_URL`` chooses between them.

Local writes are crash-safe: the bytes go to a temporary file in the target's own folder, are
flushed to disk, renamed into place and the folder itself is flushed, so that after a crash a
key holds either its old content or its new one, never a truncated file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from api.settings import Settings


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there, all at once."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises ``PhotoMissing`` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a key that is not there is not an error."""
        ...

    def health(self) -> str:
        """``ok``, or ``error: …`` saying why the store cannot be used; never raises."""
        ...

    def stale_keys(self, prefix: str, *, written_before: datetime) -> Iterator[str]:
        """The keys under ``prefix`` last written before ``written_before``, temporary files included."""
        ...


class PhotoMissing(KeyError):
    """No photo is stored under this key."""


class BadPhotoKey(ValueError):
    """A key that is not a plain relative path such as ``ab/abcdef….jpg``."""


class UnsupportedMediaUrl(ValueError):
    """A ``ZOUFANG_MEDIA_URL`` this build cannot store photos at."""


def check_key(key: str) -> str:
    """``key`` when it is a relative path without ``.``/``..`` or empty parts, else ``BadPhotoKey``.

    Both backends refuse the same keys, so that a key valid on a laptop stays valid on S3 and
    cannot reach outside the folder or prefix it belongs to.
    """
    parts = key.split("/")
    if not key or "\\" in key or "\0" in key or any(part in ("", ".", "..") for part in parts):
        raise BadPhotoKey(f"not a photo key: {key!r}")
    return key


class LocalStore:
    """Files under one folder; keys are relative paths such as ``ab/abcdef….jpg``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise BadPhotoKey(f"key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        new_folders = _missing_folders(path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        # The rename lives in the folder's entry list, and each new folder in its parent's.
        for folder in [path.parent, *(new.parent for new in new_folders)]:
            _fsync_dir(folder)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise PhotoMissing(key) from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()
        # Folders emptied by the deletion go too, up to the root: a refused upload leaves nothing.
        root = self.root.resolve()
        for folder in path.parents:
            if folder == root or not folder.is_relative_to(root):
                break
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): stop there
                break

    def stale_keys(self, prefix: str, *, written_before: datetime) -> Iterator[str]:
        folder = self.root / prefix
        cutoff = written_before.timestamp()
        for parent, _folders, files in os.walk(folder):
            for name in files:
                path = Path(parent) / name
                with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                    if path.stat().st_mtime < cutoff:
                        yield path.relative_to(self.root).as_posix()

    def health(self) -> str:
        """``ok`` when the folder exists (or can be made) and accepts a write.

        Each probe writes a file of its own: instances sharing the folder are asked at the same
        moment by a load balancer, and one probe removing another's file would mark a healthy
        instance down."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".readyz-") as probe:
                probe.write(b"ok")
        except OSError as exc:
            return f"error: {exc.strerror or type(exc).__name__}"
        return "ok"


def _missing_folders(folder: Path) -> list[Path]:
    """The folders ``mkdir(parents=True)`` is about to create, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _fsync_dir(path: Path) -> None:
    # Make the rename itself durable (POSIX); Windows cannot open directories, and needs not.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_photo_store(settings: Settings) -> PhotoStore:
    """The store named by ``ZOUFANG_MEDIA_URL``: a folder path (default), ``file://`` or ``s3://``."""
    url = settings.effective_media_url
    if url.startswith("file://"):
        return LocalStore(Path(url.removeprefix("file://")))
    if "://" not in url:
        return LocalStore(Path(url))
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise UnsupportedMediaUrl(
            f"ZOUFANG_MEDIA_URL={url}: unknown scheme {parts.scheme!r}; "
            "use a folder path, file:///path or s3://bucket/prefix"
        )
    if not parts.netloc or parts.query or parts.fragment:
        raise UnsupportedMediaUrl(f"ZOUFANG_MEDIA_URL={url}: write it as s3://bucket or s3://bucket/prefix")
    from api.photos.s3 import S3Store  # boto3 is loaded only by deployments that use it

    return S3Store(parts.netloc, parts.path.strip("/"), addressing_style=settings.s3_addressing_style)
