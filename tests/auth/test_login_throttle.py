"""Throttling failed logins without locking out the people who run the county.

Budgets per account from unknown devices, per trusted device (a device cookie left by an
earlier login) and per client address (failures only, sized for an office behind one NAT).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from api.auth import devices
from api.auth.models import LoginFailure
from api.db import make_engine
from api.flags import rules
from api.main import create_app
from api.migrations import upgrade
from api.settings import Settings
from tests.factories import PASSWORD, SIGNING_KEY, VILLAGE_A1, make_county, make_user
from tests.problems import assert_problem

TOKEN_URL = "/api/v1/auth/token"
WINDOW = timedelta(minutes=15)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post(TOKEN_URL, data={"username": username, "password": password})


@contextmanager
def client_from(client: TestClient, address: str) -> Iterator[TestClient]:
    """Another browser (its own cookies) on the same app, whose requests come from ``address``."""
    with closing(TestClient(client.app, client=(address, 50000))) as other:
        yield other


def assert_unauthenticated(response: httpx.Response) -> None:
    assert_problem(response, 401)


def assert_throttled(response: httpx.Response) -> int:
    body = assert_problem(response, 429)
    assert body["type"] == "/problems/too-many-requests"
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= WINDOW.total_seconds()
    return int(retry_after)


def add_failures(session: Session, username: str, count: int, *, ago: timedelta, address: str = "10.9.9.9") -> None:
    at = datetime.now(UTC) - ago
    for _ in range(count):
        session.add(LoginFailure(username=username, client_addr=address, at=at))
    session.commit()


@pytest.fixture
def strict_address(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A client of an app whose address budget is 6 failures, so its mechanics show quickly."""
    strict = settings.model_copy(update={"login_max_failures_per_address": 6})
    with TestClient(create_app(strict)) as client:
        yield client


# --- per account, from unknown devices ---------------------------------------------------------


def test_the_sixth_failure_for_an_account_is_throttled_on_unknown_devices_even_with_the_right_password(
    client: TestClient, session: Session
):
    make_county(session)
    for attempt in range(5):
        with client_from(client, f"10.0.0.{attempt + 1}") as elsewhere:
            assert_unauthenticated(log_in(elsewhere, "secretary_a1", "wrong-password-1"))

    with client_from(client, "10.0.0.99") as fresh_address:
        throttled = log_in(fresh_address, "secretary_a1")

    assert_throttled(throttled)
    assert "access_token" not in throttled.json()
    assert log_in(client, "town_a").status_code == 200


def test_four_failures_do_not_throttle(client: TestClient, session: Session):
    make_county(session)
    for _ in range(4):
        assert_unauthenticated(log_in(client, "secretary_a1", "wrong-password-1"))

    assert log_in(client, "secretary_a1").status_code == 200


def test_guesses_sent_in_parallel_are_throttled_too(client: TestClient, session: Session):
    make_county(session)

    def guess(n: int) -> int:
        with client_from(client, f"10.1.0.{n}") as stranger:
            return log_in(stranger, "secretary_a1", f"guess-{n}").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = Counter(pool.map(guess, range(20)))

    assert set(statuses) <= {401, 429}
    assert statuses[401] <= 5
    assert session.exec(select(func.count()).select_from(LoginFailure)).one() == statuses[401]


def test_a_success_clears_the_accounts_count(client: TestClient, session: Session):
    make_county(session)
    add_failures(session, "secretary_a1", 4, ago=timedelta(minutes=1))

    assert log_in(client, "secretary_a1").status_code == 200

    with client_from(client, "10.2.0.1") as other_device:
        for _ in range(4):
            assert_unauthenticated(log_in(other_device, "secretary_a1", "wrong-password-1"))
        assert log_in(other_device, "secretary_a1").status_code == 200


def test_retry_after_counts_down_from_the_oldest_failure_in_the_window(client: TestClient, session: Session):
    make_county(session)
    add_failures(session, "secretary_a1", 5, ago=timedelta(minutes=10))

    retry_after = assert_throttled(log_in(client, "secretary_a1"))

    assert 290 <= retry_after <= 300


def test_failures_older_than_the_window_no_longer_count(client: TestClient, session: Session):
    make_county(session)
    add_failures(session, "secretary_a1", 5, ago=WINDOW + timedelta(seconds=5))

    assert log_in(client, "secretary_a1").status_code == 200


def test_failures_just_inside_the_window_still_count(client: TestClient, session: Session):
    make_county(session)
    add_failures(session, "secretary_a1", 5, ago=WINDOW - timedelta(seconds=30))

    retry_after = assert_throttled(log_in(client, "secretary_a1"))

    assert retry_after <= 30


def test_expired_failures_are_forgotten_when_a_new_one_is_recorded(client: TestClient, session: Session):
    make_county(session)
    add_failures(session, "secretary_a1", 3, ago=timedelta(hours=2))

    assert_unauthenticated(log_in(client, "secretary_a1", "wrong-password-1"))

    remaining = session.exec(select(LoginFailure)).all()
    assert [(f.username, f.client_addr, f.pending) for f in remaining] == [("secretary_a1", "testclient", False)]


# --- trusted devices: the owner cannot be locked out by a stranger --------------------------------


def test_a_stranger_guessing_cannot_lock_the_owner_out_of_a_phone_that_logged_in_before(
    client: TestClient, session: Session
):
    make_county(session)
    assert log_in(client, "county").status_code == 200  # the supervisor's own browser, last week

    with client_from(client, "203.0.113.7") as stranger:
        for n in range(5):
            assert_unauthenticated(log_in(stranger, "county", f"guess-{n}"))
        assert_throttled(log_in(stranger, "county"))  # even the right password, from there
        with client_from(client, "203.0.113.8") as another_stranger:
            assert_throttled(log_in(another_stranger, "county"))

    owner = log_in(client, "county")
    assert owner.status_code == 200, owner.text
    assert owner.json()["access_token"]


def test_a_trusted_device_still_has_a_budget_of_its_own(client: TestClient, session: Session):
    make_county(session)
    assert log_in(client, "town_a").status_code == 200
    for _ in range(5):
        assert_unauthenticated(log_in(client, "town_a", "wrong-password-1"))

    assert_throttled(log_in(client, "town_a"))
    with client_from(client, "10.3.0.1") as unknown_device:
        assert log_in(unknown_device, "town_a").status_code == 200


def test_a_device_cookie_counts_only_for_its_own_account_and_only_when_signed(client: TestClient, session: Session):
    make_county(session)
    assert log_in(client, "secretary_a1").status_code == 200
    own = client.cookies.get(devices.cookie_name("secretary_a1", key=SIGNING_KEY))
    assert own
    add_failures(session, "county", 5, ago=timedelta(minutes=1))

    with client_from(client, "10.4.0.1") as forger:
        # The secretary's cookie, renamed for ``county``; then a cookie with a made-up signature.
        forger.cookies.set(devices.cookie_name("county", key=SIGNING_KEY), own, path=TOKEN_URL)
        assert_throttled(log_in(forger, "county"))
        nonce = own.split(".")[0]
        forger.cookies.set(devices.cookie_name("county", key=SIGNING_KEY), f"{nonce}.{'0' * 32}", path=TOKEN_URL)
        assert_throttled(log_in(forger, "county"))


def test_the_device_cookie_goes_only_to_the_login_and_no_script_can_read_it(client: TestClient, session: Session):
    make_county(session)

    response = log_in(client, "secretary_a1")

    cookie = response.headers["set-cookie"]
    name = devices.cookie_name("secretary_a1", key=SIGNING_KEY)
    assert cookie.startswith(f"{name}=")
    assert "secretary_a1" not in name
    parts = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert parts["path"].strip() == f"Path={TOKEN_URL}"
    assert "httponly" in parts
    assert parts["samesite"].strip().lower() == "samesite=strict"
    assert "secure" not in parts  # plain HTTP here; over HTTPS the cookie is Secure
    assert int(parts["max-age"].split("=")[1]) >= 365 * 24 * 3600


def test_the_device_cookie_is_secure_over_https(settings: Settings, engine: Engine, session: Session):
    make_county(session)
    with TestClient(create_app(settings), base_url="https://zoufang.example") as client:
        cookie = log_in(client, "secretary_a1").headers["set-cookie"]
    assert "secure" in cookie.lower()


# --- per address: failures only, an office behind one NAT -------------------------------------------


def test_twenty_colleagues_behind_one_address_log_in_at_the_same_moment(client: TestClient, session: Session):
    make_county(session)
    for n in range(20):
        make_user(session, f"trainee{n:02d}", "secretary", VILLAGE_A1)
    start = threading.Barrier(20)

    def arrive(n: int) -> int:
        start.wait(timeout=30)
        with client_from(client, "192.0.2.10") as phone:
            return log_in(phone, f"trainee{n:02d}").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = Counter(pool.map(arrive, range(20)))

    assert statuses == Counter({200: 20})


def test_failures_from_one_address_throttle_it_across_accounts_at_its_own_budget(
    strict_address: TestClient, session: Session
):
    make_county(session)
    for n in range(6):
        assert_unauthenticated(log_in(strict_address, f"ghost{n}"))

    assert_throttled(log_in(strict_address, "secretary_a1"))
    with client_from(strict_address, "10.0.0.7") as other_address:
        assert log_in(other_address, "secretary_a1").status_code == 200


def test_a_success_does_not_clear_the_addresss_count(strict_address: TestClient, session: Session):
    make_county(session)
    for _ in range(3):
        assert_unauthenticated(log_in(strict_address, "town_a", "wrong-password-1"))
    assert_unauthenticated(log_in(strict_address, "ghost1"))
    assert log_in(strict_address, "town_a").status_code == 200

    with client_from(strict_address, "testclient") as same_address_other_browser:
        assert_unauthenticated(log_in(same_address_other_browser, "ghost2"))
        assert_unauthenticated(log_in(same_address_other_browser, "ghost3"))
        assert_throttled(log_in(same_address_other_browser, "county"))


def test_the_default_address_budget_lets_a_training_room_of_300_mistype_once_each() -> None:
    assert Settings.model_fields["login_max_failures_per_address"].default >= 300


# --- no transaction while a password is checked, nor while the rules read ---------------------------


def test_a_login_is_not_held_up_while_the_hourly_rules_read_the_records(
    settings: Settings, engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
):
    """The rules read weeks of records; a login meanwhile must neither wait for them nor fail."""
    make_county(session)
    reading, answered = threading.Event(), threading.Event()
    released_by_the_login: list[bool] = []
    original = rules._low_coverage

    def slow_low_coverage(*args: Any, **kwargs: Any) -> Any:
        verdicts = original(*args, **kwargs)
        reading.set()
        # A large county's records take a while to read: here, until the login is answered. A
        # login that waited for the rules would wait out this timeout instead.
        released_by_the_login.append(answered.wait(timeout=30))
        return verdicts

    monkeypatch.setattr(rules, "_low_coverage", slow_low_coverage)
    impatient = settings.model_copy(update={"sqlite_busy_timeout_ms": 300})
    with TestClient(create_app(impatient)) as client:
        evaluation = threading.Thread(target=lambda: rules.run_time_rules(engine=engine, settings=settings))
        evaluation.start()
        try:
            assert reading.wait(timeout=30)
            response = log_in(client, "secretary_a1")
            answered.set()
        finally:
            evaluation.join(timeout=60)
    assert released_by_the_login == [True], "the login should have been answered while the rules were reading"
    assert response.status_code == 200, response.text


def test_a_login_while_another_process_holds_the_write_lock_is_told_to_come_back(tmp_path: Path):
    """SQLite has one write lock per file; a command run beside the server may hold it a while."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'zoufang.db'}",
        data_dir=tmp_path,
        secret_key=SIGNING_KEY,
        flag_rules_interval_s=0,
        sqlite_busy_timeout_ms=200,
    )
    engine = make_engine(settings)
    upgrade(engine)
    with Session(engine) as session:
        make_county(session)
    other_process = engine.raw_connection()
    try:
        other_process.execute("BEGIN IMMEDIATE")
        with TestClient(create_app(settings)) as client:
            response = log_in(client, "secretary_a1")
    finally:
        other_process.rollback()
        other_process.close()
        engine.dispose()
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/busy"
    assert response.headers["retry-after"].isdigit()
