"""Logging in with the OAuth2 password form, and the access tokens it hands out.

Throttling of failed logins is in ``test_login_throttle``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.auth.models import LoginFailure, User
from api.auth.passwords import issue_access_token
from api.settings import Settings
from tests.factories import PASSWORD, SIGNING_KEY, VILLAGE_A1, bearer, make_county, make_user
from tests.problems import assert_problem

TOKEN_URL = "/api/v1/auth/token"
ME_URL = "/api/v1/me"


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def assert_unauthenticated(response: httpx.Response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_login_returns_a_bearer_token_that_works_on_me(client: TestClient, session: Session, settings: Settings):
    county = make_county(session)

    response = log_in(client, "secretary_a1")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_minutes * 60
    assert body["access_token"]
    me = client.get(ME_URL, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json() == {
        "id": county.users["secretary_a1"].id,
        "username": "secretary_a1",
        "display_name": "secretary_a1",
        "role": "secretary",
        "scope_code": VILLAGE_A1,
        "scope_name": "桃源村",
        "must_change_password": False,
        "grantable_roles": [],
        "public_phone": None,
        "portrait_photo_id": None,
        "postings": [
            {
                "village_code": VILLAGE_A1,
                "village_name": "桃源村",
                "position": "first_secretary",
                "dispatch_unit": "县财政局",
                "start_date": "2026-01-01",
                "end_date": None,
                "lat": 26.5,
                "lon": 106.7,
                "radius_m": 1500,
            }
        ],
    }


def test_me_of_an_admin_has_no_scope(client: TestClient, session: Session):
    make_county(session)
    token = log_in(client, "admin").json()["access_token"]

    me = client.get(ME_URL, headers={"Authorization": f"Bearer {token}"})

    assert me.status_code == 200, me.text
    assert me.json()["role"] == "admin"
    assert me.json()["scope_code"] is None
    assert me.json()["postings"] == []


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("secretary_a1", "wrong-password-1"),
        ("nobody", PASSWORD),
        ("SECRETARY_A1", PASSWORD),
        ("x" * 300, PASSWORD),
        ("secretary_a1\x00", PASSWORD),
    ],
    ids=["wrong-password", "unknown-user", "other-case", "overlong-name", "nul-in-name"],
)
def test_a_failed_login_is_a_401_problem(client: TestClient, session: Session, username: str, password: str):
    make_county(session)

    response = log_in(client, username, password)

    assert_unauthenticated(response)
    assert "access_token" not in response.json()
    assert session.exec(select(func.count()).select_from(LoginFailure)).one() == 1


def test_wrong_password_and_unknown_user_are_told_apart_by_nothing(client: TestClient, session: Session):
    make_county(session)

    wrong_password = log_in(client, "secretary_a1", "wrong-password-1")
    unknown_user = log_in(client, "nobody-here")

    assert wrong_password.json() == unknown_user.json()


def test_a_login_without_password_is_a_422_problem(client: TestClient, session: Session):
    make_county(session)

    response = client.post(TOKEN_URL, data={"username": "secretary_a1"})

    body = assert_problem(response, 422)
    assert [error["loc"] for error in body["errors"]] == [["body", "password"]]


def test_an_inactive_user_cannot_log_in(client: TestClient, session: Session):
    make_user(session, "retired", "secretary", VILLAGE_A1, is_active=False)

    assert_unauthenticated(log_in(client, "retired"))


def test_the_token_of_a_deactivated_user_stops_working(client: TestClient, session: Session):
    county = make_county(session)
    user = county.users["secretary_a1"]
    headers = bearer(user)
    assert client.get(ME_URL, headers=headers).status_code == 200

    user.is_active = False
    session.add(user)
    session.commit()

    assert_unauthenticated(client.get(ME_URL, headers=headers))


def test_an_expired_token_is_refused(client: TestClient, session: Session):
    county = make_county(session)
    user_id = county.users["secretary_a1"].id
    assert user_id is not None
    token, _ = issue_access_token(user_id=user_id, key=SIGNING_KEY, minutes=-1)

    assert_unauthenticated(client.get(ME_URL, headers={"Authorization": f"Bearer {token}"}))


def test_a_login_lasts_a_week_so_a_secretary_days_without_signal_need_not_log_in_again(
    client: TestClient, session: Session
):
    make_county(session)
    assert Settings.model_fields["access_token_minutes"].default == 7 * 24 * 60

    before = datetime.now(UTC)
    body = log_in(client, "secretary_a1").json()

    assert body["expires_in"] == 7 * 24 * 3600
    claims = jwt.decode(body["access_token"], SIGNING_KEY, algorithms=["HS256"])
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    assert before + timedelta(days=7) - timedelta(seconds=5) <= expires <= datetime.now(UTC) + timedelta(days=7)


@pytest.mark.parametrize(
    ("key", "claims"),
    [
        ("another-signing-key-" + "y" * 32, {"typ": "access"}),
        (SIGNING_KEY, {}),
        (SIGNING_KEY, {"typ": "refresh"}),
    ],
    ids=["other-key", "no-type", "other-type"],
)
def test_a_forged_token_is_refused(client: TestClient, session: Session, key: str, claims: dict[str, str]):
    county = make_county(session)
    now = datetime.now(UTC)
    payload = {"sub": str(county.users["admin"].id), "iat": now, "exp": now + timedelta(hours=1), **claims}
    token = jwt.encode(payload, key, algorithm="HS256")

    assert_unauthenticated(client.get(ME_URL, headers={"Authorization": f"Bearer {token}"}))


def test_a_token_for_a_user_who_does_not_exist_is_refused(client: TestClient, session: Session):
    make_county(session)
    stranger = User(id=10_000, username="gone", display_name="gone", role="admin", password_hash="x")

    assert_unauthenticated(client.get(ME_URL, headers=bearer(stranger)))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", "Bearer ", "Basic c2VjcmV0YXJ5X2ExOng="],
    ids=["garbage", "bad-signature", "empty", "basic-scheme"],
)
def test_a_garbage_authorization_header_is_refused(client: TestClient, session: Session, authorization: str):
    make_county(session)

    assert_unauthenticated(client.get(ME_URL, headers={"Authorization": authorization}))


@pytest.mark.parametrize("path", [ME_URL, "/api/v1/households", "/api/v1/users", "/api/v1/regions"])
def test_no_authorization_header_is_a_401_problem(client: TestClient, session: Session, path: str):
    make_county(session)

    response = client.get(path)

    body = assert_problem(response, 401)
    assert body["type"] == "/problems/not-authenticated"
    assert response.headers["www-authenticate"] == "Bearer"
