"""Fixtures shared by every test: a migrated database per backend, an app, a client.

API tests run once on SQLite and once on PostgreSQL (when ``ZOUFANG_TEST_POSTGRES_URL`` names
a server); the PostgreSQL run creates its own database and drops it at the end. In CI the
PostgreSQL run is mandatory: a missing server fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api.db import make_engine, metadata
from api.main import create_app
from api.migrations import upgrade
from api.settings import Settings
from tests.factories import SIGNING_KEY
from tests.servers import running_server
from tests.tools import required_tool

POSTGRES_URL_ENV = "ZOUFANG_TEST_POSTGRES_URL"


def _postgres_server_url() -> str | None:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"{POSTGRES_URL_ENV} must be set in CI: the PostgreSQL tests may not be skipped")
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database of each backend, for the whole test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'zoufang.db'}"
        engine = make_engine(Settings(database_url=url))
        upgrade(engine)
        engine.dispose()
        yield url
        return

    server = _postgres_server_url()
    if not server:
        pytest.skip(f"set {POSTGRES_URL_ENV} to run the PostgreSQL tests")
    name = f"zoufang_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=SIGNING_KEY,
        flag_rules_interval_s=0,
        photo_sweep_interval_s=0,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The test's engine; every table is emptied afterwards so each test starts clean."""
    engine = make_engine(settings)
    yield engine
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - names from our own metadata
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging data and checking what the API wrote."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """A real ``zoufang serve`` on a free port over an empty SQLite folder; yields its base URL."""
    with running_server(tmp_path) as base:
        yield base


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium; in CI its absence fails the run instead of skipping browser tests."""
    return required_tool("chromium", "chromium")


# S3: moto's standalone server on 127.0.0.1 (over HTTP), configured through the environment
# exactly as a deployment is, so the endpoint, addressing and checksum settings are exercised on
# the wire and not only in a mock.
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
