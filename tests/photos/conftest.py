"""The two photo stores, for every test of this folder: a local folder and a real S3 server
(the ``bucket`` fixture of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.photos.storage import PhotoStore, open_photo_store
from api.settings import Settings


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> PhotoStore:
    if request.param == "local":
        monkeypatch.setenv("ZOUFANG_MEDIA_URL", str(tmp_path / "media"))
    else:
        request.getfixturevalue("bucket")
    return open_photo_store(Settings())
