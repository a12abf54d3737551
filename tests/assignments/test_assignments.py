"""Posting secretaries to villages (驻村派驻), and listing the postings in one's scope."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.assignments.models import Assignment
from api.auth.models import User
from tests.factories import (
    COUNTY,
    TOWN_A,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    County,
    make_county,
    make_user,
)
from tests.problems import assert_problem

URL = "/api/v1/assignments"


def posting(user: User, village: str = VILLAGE_A2, **overrides: Any) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "village_code": village,
        "position": "team_member",
        "dispatch_unit": "县农业农村局",
        "start_date": "2026-03-01",
    } | overrides


def stored(session: Session, user: User) -> list[Assignment]:
    return list(session.exec(select(Assignment).where(Assignment.user_id == user.id).order_by(Assignment.id)))


@pytest.fixture
def county(session: Session) -> County:
    county = make_county(session)
    county.users["team_a"] = make_user(session, "team_a", "secretary", TOWN_A)
    return county


def test_a_town_posts_a_secretary_of_the_town(client: TestClient, session: Session, county: County):
    team_a = county.users["team_a"]

    response = client.post(URL, json=posting(team_a, end_date="2027-02-28"), headers=county.headers("town_a"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert {k: v for k, v in body.items() if k != "id"} == {
        "user_id": team_a.id,
        "village_code": VILLAGE_A2,
        "position": "team_member",
        "dispatch_unit": "县农业农村局",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
    }
    rows = stored(session, team_a)
    assert [(row.id, row.village_code, str(row.start_date), str(row.end_date)) for row in rows] == [
        (body["id"], VILLAGE_A2, "2026-03-01", "2027-02-28")
    ]


@pytest.mark.parametrize("who", ["admin", "county", "town_a"])
def test_supervisors_of_the_village_may_post(client: TestClient, county: County, who: str):
    response = client.post(URL, json=posting(county.users["team_a"]), headers=county.headers(who))

    assert response.status_code == 201, response.text


@pytest.mark.parametrize("who", ["secretary_a1", "inspector"])
def test_secretaries_and_inspectors_may_not_post(client: TestClient, session: Session, county: County, who: str):
    response = client.post(URL, json=posting(county.users["team_a"]), headers=county.headers(who))

    assert_problem(response, 403)
    assert stored(session, county.users["team_a"]) == []


def test_an_api_token_may_not_post(client: TestClient, session: Session, county: County):
    created = client.post(
        "/api/v1/api-tokens", json={"name": "脚本", "scope_code": COUNTY}, headers=county.headers("county")
    ).json()

    response = client.post(
        URL, json=posting(county.users["team_a"]), headers={"Authorization": f"Bearer {created['token']}"}
    )

    assert_problem(response, 403)
    assert stored(session, county.users["team_a"]) == []


def test_posting_needs_a_login(client: TestClient, county: County):
    assert_problem(client.post(URL, json=posting(county.users["team_a"])), 401)


def test_an_end_before_the_start_is_a_422(client: TestClient, session: Session, county: County):
    team_a = county.users["team_a"]

    response = client.post(
        URL, json=posting(team_a, start_date="2026-03-01", end_date="2026-02-28"), headers=county.headers("town_a")
    )

    body = assert_problem(response, 422)
    assert body["errors"]
    assert all(error["loc"] and error["msg"] for error in body["errors"])
    assert stored(session, team_a) == []


def test_a_one_day_posting_is_allowed(client: TestClient, county: County):
    response = client.post(
        URL,
        json=posting(county.users["team_a"], start_date="2026-03-01", end_date="2026-03-01"),
        headers=county.headers("town_a"),
    )

    assert response.status_code == 201, response.text


@pytest.mark.parametrize("who", ["town_a", "inspector", "admin"])
def test_only_a_secretary_can_be_posted(client: TestClient, session: Session, county: County, who: str):
    user = county.users[who]

    response = client.post(URL, json=posting(user), headers=county.headers("county"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "user_id"]
    assert stored(session, user) == []


@pytest.mark.parametrize("user_id", [9999, 2**31, 2**63])
def test_an_unknown_user_is_a_422(client: TestClient, county: County, user_id: int):
    response = client.post(URL, json=posting(county.users["team_a"], user_id=user_id), headers=county.headers("county"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "user_id"]


def test_a_secretary_outside_the_creators_scope_is_a_422(client: TestClient, session: Session, county: County):
    outsider = make_user(session, "county_wide", "secretary", COUNTY)

    response = client.post(URL, json=posting(outsider), headers=county.headers("town_a"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "user_id"]
    assert stored(session, outsider) == []


def test_a_village_outside_the_creators_scope_is_a_404(client: TestClient, session: Session, county: County):
    secretary_b1 = county.users["secretary_b1"]

    response = client.post(
        URL, json=posting(secretary_b1, VILLAGE_B1, start_date="2027-01-01"), headers=county.headers("town_a")
    )

    assert_problem(response, 404)
    assert len(stored(session, secretary_b1)) == 1


def test_a_secretary_still_serving_in_one_village_is_not_posted_to_another(
    client: TestClient, session: Session, county: County
):
    secretary_a1 = county.users["secretary_a1"]

    response = client.post(URL, json=posting(secretary_a1, VILLAGE_A2), headers=county.headers("town_a"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "village_code"]
    assert "目前驻在桃源村" in body["detail"]
    assert [row.village_code for row in stored(session, secretary_a1)] == [VILLAGE_A1]


@pytest.mark.parametrize("code", ["520199100299", TOWN_A, "5201991002"], ids=["unknown", "a-town", "malformed"])
def test_a_village_code_that_names_no_village_is_a_422(client: TestClient, county: County, code: str):
    response = client.post(URL, json=posting(county.users["team_a"], code), headers=county.headers("county"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "village_code"]


@pytest.mark.parametrize(
    "field",
    [{"position": "mayor"}, {"dispatch_unit": ""}, {"dispatch_unit": "县\x00局"}, {"start_date": "2026-13-01"}],
    ids=["position", "empty-unit", "nul-in-unit", "bad-date"],
)
def test_bad_fields_are_422_problems(client: TestClient, county: County, field: dict[str, str]):
    response = client.post(URL, json=posting(county.users["team_a"], **field), headers=county.headers("county"))

    body = assert_problem(response, 422)
    assert [error["loc"] for error in body["errors"]] == [["body", *field]]


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("2026-03-31", None, 409),
        ("2026-02-01", "2026-02-10", 409),
        ("2025-12-01", "2026-01-01", 409),
        ("2025-06-01", None, 409),
        ("2026-04-01", None, 201),
        ("2025-01-01", "2025-12-31", 201),
    ],
)
def test_an_overlapping_posting_is_a_409(
    client: TestClient, session: Session, county: County, start: str, end: str | None, status: int
):
    team_a = county.users["team_a"]
    first = posting(team_a, start_date="2026-01-01", end_date="2026-03-31")
    assert client.post(URL, json=first, headers=county.headers("town_a")).status_code == 201

    response = client.post(URL, json=posting(team_a, start_date=start, end_date=end), headers=county.headers("town_a"))

    assert response.status_code == status, response.text
    if status == 409:
        assert_problem(response, 409)
    assert len(stored(session, team_a)) == (2 if status == 201 else 1)


def test_an_open_ended_posting_overlaps_everything_after_it(client: TestClient, session: Session, county: County):
    secretary_a1 = county.users["secretary_a1"]

    response = client.post(
        URL, json=posting(secretary_a1, VILLAGE_A1, start_date="2030-01-01"), headers=county.headers("county")
    )

    assert_problem(response, 409)
    assert len(stored(session, secretary_a1)) == 1


@pytest.mark.parametrize(
    ("who", "villages"),
    [
        ("admin", [VILLAGE_A1, VILLAGE_B1]),
        ("county", [VILLAGE_A1, VILLAGE_B1]),
        ("inspector", [VILLAGE_A1, VILLAGE_B1]),
        ("town_a", [VILLAGE_A1]),
        ("town_b", [VILLAGE_B1]),
        ("secretary_a1", [VILLAGE_A1]),
        ("secretary_b1", [VILLAGE_B1]),
    ],
)
def test_the_list_holds_exactly_the_scope(client: TestClient, county: County, who: str, villages: list[str]):
    response = client.get(URL, headers=county.headers(who))

    assert response.status_code == 200, response.text
    assert sorted(item["village_code"] for item in response.json()["items"]) == villages
    assert response.json()["next_cursor"] is None


def test_the_list_filters_by_village_and_user(client: TestClient, county: County):
    team_a = county.users["team_a"]
    assert client.post(URL, json=posting(team_a), headers=county.headers("town_a")).status_code == 201

    by_village = client.get(URL, params={"village_code": VILLAGE_A2}, headers=county.headers("county")).json()
    by_user = client.get(URL, params={"user_id": team_a.id}, headers=county.headers("county")).json()
    outside = client.get(URL, params={"village_code": VILLAGE_B1}, headers=county.headers("town_a"))

    assert [item["user_id"] for item in by_village["items"]] == [team_a.id]
    assert [item["village_code"] for item in by_user["items"]] == [VILLAGE_A2]
    assert outside.status_code in (200, 403, 404)
    if outside.status_code == 200:
        assert outside.json()["items"] == []


@pytest.mark.parametrize("user_id", ["abc", str(2**31), str(2**63)])
def test_a_bad_user_filter_is_a_422_problem(client: TestClient, county: County, user_id: str):
    response = client.get(URL, params={"user_id": user_id}, headers=county.headers("county"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "user_id"]


def test_the_list_pages_with_a_cursor(client: TestClient, session: Session, county: County):
    team_a = county.users["team_a"]
    assert client.post(URL, json=posting(team_a), headers=county.headers("town_a")).status_code == 201
    everything = sorted(row.id for row in session.exec(select(Assignment)))
    assert len(everything) == 3

    first = client.get(URL, params={"limit": 1}, headers=county.headers("county")).json()
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    rest = client.get(
        URL, params={"limit": 50, "cursor": first["next_cursor"]}, headers=county.headers("county")
    ).json()

    assert rest["next_cursor"] is None
    assert [item["id"] for item in first["items"] + rest["items"]] == everything


def test_paging_one_at_a_time_visits_every_posting_once(client: TestClient, session: Session, county: County):
    team_a = county.users["team_a"]
    assert client.post(URL, json=posting(team_a), headers=county.headers("town_a")).status_code == 201
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 1}

    for _ in range(10):
        page = client.get(URL, params=params, headers=county.headers("town_a")).json()
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 1, "cursor": page["next_cursor"]}

    in_town = sorted(row.id for row in session.exec(select(Assignment).where(Assignment.village_code != VILLAGE_B1)))
    assert seen == in_town


@pytest.mark.parametrize(
    "cursor",
    ["!!!", "bm90LWpzb24", base64.urlsafe_b64encode(json.dumps([1]).encode()).decode(), "dHJ1ZQ"],
    ids=["not-base64", "not-json", "a-list", "a-boolean"],
)
def test_a_garbage_cursor_is_a_422_problem(client: TestClient, county: County, cursor: str):
    response = client.get(URL, params={"cursor": cursor}, headers=county.headers("county"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("limit", ["0", "501", "many"])
def test_a_bad_limit_is_a_422_problem(client: TestClient, county: County, limit: str):
    assert_problem(client.get(URL, params={"limit": limit}, headers=county.headers("county")), 422)
