"""X-Forwarded-For and X-Forwarded-Proto are believed from the configured proxies only.

The login throttle counts failures per client address, and the audit log records it: a client
that could name its own address would dodge the one and falsify the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager

import httpx
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
    with closing(TestClient(app, client=(address, 40000))) as client:
        yield client


def fail_login(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": "county", "password": "wrong-1"}, headers=headers)


def recorded_address(session: Session) -> str:
    return session.exec(select(LoginFailure.client_addr)).one()


def test_without_trusted_proxies_the_headers_are_ignored(settings: Settings, engine: Engine, session: Session):
    make_county(session)
    with peer(settings, "127.0.0.1") as client:
        fail_login(client, {"X-Forwarded-For": "203.0.113.9"})
    assert recorded_address(session) == "127.0.0.1"


def test_a_trusted_proxy_names_the_client(settings: Settings, engine: Engine, session: Session):
    make_county(session)
    with peer(settings, "10.0.0.2", trusted="10.0.0.2") as proxy:
        fail_login(proxy, {"X-Forwarded-For": "203.0.113.9"})
    assert recorded_address(session) == "203.0.113.9"


def test_a_proxy_network_may_be_trusted(settings: Settings, engine: Engine, session: Session):
    make_county(session)
    with peer(settings, "172.18.0.5", trusted="172.18.0.0/16") as proxy:
        fail_login(proxy, {"X-Forwarded-For": "203.0.113.9"})
    assert recorded_address(session) == "203.0.113.9"


def test_a_client_cannot_pick_its_own_address_through_the_proxy(settings: Settings, engine: Engine, session: Session):
    """The proxy appends the address it saw; what the client wrote in front of it is not believed."""
    make_county(session)
    with peer(settings, "10.0.0.2", trusted="10.0.0.2") as proxy:
        fail_login(proxy, {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
    assert recorded_address(session) == "203.0.113.9"


def test_an_untrusted_peer_is_its_own_client_whatever_it_says(settings: Settings, engine: Engine, session: Session):
    make_county(session)
    with peer(settings, "192.0.2.44", trusted="10.0.0.2") as stranger:
        fail_login(stranger, {"X-Forwarded-For": "203.0.113.9"})
    assert recorded_address(session) == "192.0.2.44"


def test_https_at_the_proxy_makes_the_device_cookie_secure(settings: Settings, engine: Engine, session: Session):
    make_county(session)
    form = {"username": "county", "password": PASSWORD}
    with peer(settings, "10.0.0.2", trusted="10.0.0.2") as proxy:
        behind_https = proxy.post("/api/v1/auth/token", data=form, headers={"X-Forwarded-Proto": "https"})
    with peer(settings, "10.0.0.9", trusted="10.0.0.2") as stranger:
        spoofed = stranger.post("/api/v1/auth/token", data=form, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in behind_https.headers["set-cookie"].lower()
    assert "secure" not in spoofed.headers["set-cookie"].lower()
