"""``GET /audit``: admins only, newest first, filtered by person, token, kind and time, paged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.audit.models import AuditEntry
from api.auth.models import ApiToken
from tests.auth.test_api_tokens import create_token
from tests.factories import COUNTY, TOWN_A, VILLAGE_A1, County, make_county
from tests.problems import assert_problem

AUDIT_URL = "/api/v1/audit"
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Log:
    """Five logged reads a day apart (the first on ``DAY``), by two people and a token."""

    county: County
    token_id: int
    ids: list[int]

    def user_id(self, who: str) -> int:
        user_id = self.county.users[who].id
        assert user_id is not None
        return user_id


@pytest.fixture
def log(session: Session) -> Log:
    county = make_county(session)
    token = ApiToken(name="督查组脚本", token_hash="0" * 64, scope_code=TOWN_A, created_by=county.users["county"].id)
    session.add(token)
    session.commit()
    assert token.id is not None
    town_a, inspector = county.users["town_a"], county.users["inspector"]
    readers = [
        (town_a, "households"),
        (inspector, "visits"),
        (token, "photos"),
        (town_a, "visits"),
        (token, "households"),
    ]
    rows = []
    for day, (reader, resource) in enumerate(readers):
        by_token = isinstance(reader, ApiToken)
        rows.append(
            AuditEntry(
                at=DAY + timedelta(days=day),
                user_id=None if by_token else reader.id,
                token_id=reader.id if by_token else None,
                role="api_token" if by_token else reader.role,
                resource=resource,
                record_id="1",
                row_count=1,
            )
        )
        session.add(rows[-1])
        session.commit()
    return Log(county, token.id, [row.id for row in rows if row.id is not None])


def read_log(client: TestClient, log: Log, **params: Any) -> dict[str, Any]:
    response = client.get(AUDIT_URL, params=params, headers=log.county.headers("admin"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_admin_reads_the_log_newest_first(client: TestClient, log: Log) -> None:
    body = read_log(client, log)
    assert [e["id"] for e in body["items"]] == log.ids[::-1]
    assert body["next_cursor"] is None
    newest = body["items"][0]
    assert newest["token_id"] == log.token_id
    assert newest["user_id"] is None
    assert (newest["role"], newest["resource"], newest["record_id"]) == ("api_token", "households", "1")
    assert datetime.fromisoformat(newest["at"]) == DAY + timedelta(days=4)


def test_a_read_shows_up_in_the_admins_log(client: TestClient, session: Session) -> None:
    county = make_county(session)
    household = county.households[VILLAGE_A1]
    assert client.get(f"/api/v1/households/{household.id}", headers=county.headers("inspector")).status_code == 200
    items = client.get(AUDIT_URL, headers=county.headers("admin")).json()["items"]
    assert [(e["user_id"], e["role"], e["resource"], e["record_id"]) for e in items] == [
        (county.users["inspector"].id, "inspector", "households", str(household.id))
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda log: {"user_id": log.user_id("town_a")}, [3, 0]),
        (lambda log: {"user_id": log.user_id("county")}, []),
        (lambda log: {"token_id": log.token_id}, [4, 2]),
        (lambda log: {"resource": "visits"}, [3, 1]),
        (lambda log: {"user_id": log.user_id("town_a"), "resource": "visits"}, [3]),
        # since is inclusive, until exclusive
        (lambda log: {"since": DAY + timedelta(days=1), "until": DAY + timedelta(days=3)}, [2, 1]),
        # the same instant in the county's own offset
        (lambda log: {"since": "2026-11-05T17:00:00+08:00"}, [4, 3]),
        (lambda log: {"until": "2026-11-02T17:00:00.000001+08:00"}, [0]),
    ],
)
def test_filters(client: TestClient, log: Log, params: Callable[[Log], dict[str, Any]], expected: list[int]) -> None:
    items = read_log(client, log, **params(log))["items"]
    assert [e["id"] for e in items] == [log.ids[n] for n in expected]


def test_pages_follow_each_other_newest_first(client: TestClient, log: Log) -> None:
    seen: list[int] = []
    cursor = None
    for size in (2, 2, 1):
        body = read_log(client, log, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(body["items"]) == size
        seen += [e["id"] for e in body["items"]]
        cursor = body["next_cursor"]
    assert cursor is None
    assert seen == log.ids[::-1]


def test_pages_keep_their_filter(client: TestClient, log: Log) -> None:
    first = read_log(client, log, limit=1, token_id=log.token_id)
    second = read_log(client, log, limit=1, token_id=log.token_id, cursor=first["next_cursor"])
    assert [e["id"] for e in first["items"] + second["items"]] == [log.ids[4], log.ids[2]]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("who", ["county", "town_a", "secretary_a1", "inspector"])
def test_only_admins_read_the_log(client: TestClient, log: Log, who: str) -> None:
    assert_problem(client.get(AUDIT_URL, headers=log.county.headers(who)), 403)
    # Refused before its query is looked at: a bad filter tells a non-admin nothing either.
    assert_problem(client.get(AUDIT_URL, params={"since": "x"}, headers=log.county.headers(who)), 403)


def test_an_api_token_cannot_read_the_log_even_an_admins(client: TestClient, log: Log) -> None:
    created = create_token(client, log.county, "admin", COUNTY)
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    assert_problem(client.get(AUDIT_URL, headers=headers), 403)


def test_the_log_needs_a_login(client: TestClient, log: Log) -> None:
    assert_problem(client.get(AUDIT_URL), 401)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"user_id": "abc"}, "user_id"),
        ({"user_id": "0"}, "user_id"),
        ({"token_id": str(2**31)}, "token_id"),
        ({"resource": "users"}, "resource"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-02T09:00:00"}, "since"),  # no offset
        ({"until": "2026-13-01T00:00:00+08:00"}, "until"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "501"}, "limit"),
    ],
)
def test_bad_filter_values_are_422_problems_naming_the_field(
    client: TestClient, log: Log, params: dict[str, str], field: str
) -> None:
    body = assert_problem(client.get(AUDIT_URL, params=params, headers=log.county.headers("admin")), 422)
    [error] = body["errors"]
    assert error["loc"] == ["query", field]
    assert error["msg"]
