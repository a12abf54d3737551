"""The two photo stores, for every test of this folder: a local folder and a real S3 server.

The S3 backend runs against moto's standalone server on 127.0.0.1 (over HTTP), configured
through the environment exactly as a deployment is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from api.photos.storage import PhotoStore, open_photo_store
from api.settings import Settings

ACCESS_KEY, SECRET_KEY = "zoufang-test", "zoufang-test-secret"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server on a free local port for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: str, media_url: str) -> None:
    """The variables a deployment sets, and none of the machine's own AWS configuration."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL_S3", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("ZOUFANG_MEDIA_URL", media_url)
    monkeypatch.delenv("ZOUFANG_S3_ADDRESSING_STYLE", raising=False)


@pytest.fixture(scope="session")
def admin(s3_endpoint: str) -> Any:
    """A plain boto3 client with the same credentials, to arrange and inspect buckets."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1"
    )
    return session.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def bucket(s3_endpoint: str, admin: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh bucket; ``ZOUFANG_MEDIA_URL`` points at its ``photos/county`` prefix."""
    name = f"zoufang-{uuid.uuid4().hex[:12]}"
    admin.create_bucket(Bucket=name)
    s3_environment(monkeypatch, tmp_path, s3_endpoint, f"s3://{name}/photos/county")
    return name


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> PhotoStore:
    if request.param == "local":
        monkeypatch.setenv("ZOUFANG_MEDIA_URL", str(tmp_path / "media"))
    else:
        request.getfixturevalue("bucket")
    return open_photo_store(Settings())
