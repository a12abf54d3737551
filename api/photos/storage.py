"""Where photo files live, behind one small interface.

The local folder is the embedded default. Writes are crash-safe: a file is written under a
temporary name, flushed to disk and renamed into place, so a reader never sees half a photo
and a crash leaves at most a stray temporary file, never a truncated one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from api.settings import Settings


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def health(self) -> str: ...


class LocalStore:
    """Files under one folder; keys are relative paths such as ``ab/abcdef….jpg``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
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
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def health(self) -> str:
        """``ok`` when the folder exists (or can be made) and accepts a write."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".readyz"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            return f"error: {exc.strerror or type(exc).__name__}"
        return "ok"


def _fsync_dir(path: Path) -> None:
    # Make the rename itself durable (POSIX); Windows cannot open directories, and needs not.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class UnsupportedMediaUrl(ValueError):
    """A ``ZOUFANG_MEDIA_URL`` this build cannot store photos at."""


def open_photo_store(settings: Settings) -> PhotoStore:
    """The store named by ``ZOUFANG_MEDIA_URL``: a folder path (default) or ``file://`` URL."""
    url = settings.effective_media_url
    if url.startswith("file://"):
        return LocalStore(Path(url.removeprefix("file://")))
    if "://" in url:
        raise UnsupportedMediaUrl(f"ZOUFANG_MEDIA_URL={url}: only a local folder is supported so far")
    return LocalStore(Path(url))
