"""X-Forwarded-For and X-Forwarded-Proto are believed from the configured proxies only.

The login throttle counts failures per client address, and the audit log records it: a client
that could name its own address would dodge the one and falsify the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.auth.models import LoginFailure
from api.main import create_app
from api.settings import Settings
from tests.factories import PASSWORD, make_county


@contextmanager
def peer(settings: Settings, address: str, *, trusted: str = "") -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"trusted_proxies": trusted}))
    with TestClient(app, client=(address, 40000)) as client:  # its start and stop: the app's pool closes
        yield client


def fail_login(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": "county", "password": "wrong-1"}, headers=headers)


def recorded_address(session: Session) -> str:
    return session.exec(select(LoginFailure.client_addr)).one()


@pytest.mark.parametrize(
    ("peer_address", "trusted", "forwarded_for", "client"),
    [
        pytest.param("127.0.0.1", "", "203.0.113.9", "127.0.0.1", id="no-proxy-trusted"),
        pytest.param("10.0.0.2", "10.0.0.2", "203.0.113.9", "203.0.113.9", id="trusted-proxy"),
        pytest.param("172.18.0.5", "172.18.0.0/16", "203.0.113.9", "203.0.113.9", id="trusted-network"),
        # The proxy appends the address it saw; what the client wrote in front of it is not believed.
        pytest.param("10.0.0.2", "10.0.0.2", "198.51.100.1, 203.0.113.9", "203.0.113.9", id="client-prepends"),
        pytest.param("192.0.2.44", "10.0.0.2", "203.0.113.9", "192.0.2.44", id="untrusted-peer"),
    ],
)
def test_the_client_address_is_the_one_a_trusted_proxy_saw(
    settings: Settings,
    engine: Engine,
    session: Session,
    peer_address: str,
    trusted: str,
    forwarded_for: str,
    client: str,
):
    make_county(session)
    with peer(settings, peer_address, trusted=trusted) as requester:
        fail_login(requester, {"X-Forwarded-For": forwarded_for})
    assert recorded_address(session) == client


def test_https_at_the_proxy_makes_the_device_cookie_secure(settings: Settings, engine: Engine, session: Session):
    make_county(session)
    form = {"username": "county", "password": PASSWORD}
    with peer(settings, "10.0.0.2", trusted="10.0.0.2") as proxy:
        behind_https = proxy.post("/api/v1/auth/token", data=form, headers={"X-Forwarded-Proto": "https"})
    with peer(settings, "10.0.0.9", trusted="10.0.0.2") as stranger:
        spoofed = stranger.post("/api/v1/auth/token", data=form, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in behind_https.headers["set-cookie"].lower()
    assert "secure" not in spoofed.headers["set-cookie"].lower()
