"""Read-only API tokens for inspection teams' scripts: creation, scope, read-only use, revocation."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.assignments.models import Assignment
from api.auth.models import ApiToken, User
from api.households.models import Household
from api.regions.models import Region
from tests.factories import COUNTY, PASSWORD, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county
from tests.problems import PROBLEM_JSON, assert_problem

TOKENS_URL = "/api/v1/api-tokens"
HOUSEHOLDS_URL = "/api/v1/households"


def create_token(client: TestClient, county: County, who: str, scope: str, **extra: Any) -> httpx.Response:
    return client.post(
        TOKENS_URL, json={"name": "督查组脚本", "scope_code": scope, **extra}, headers=county.headers(who)
    )


def token_headers(client: TestClient, county: County, who: str = "county", scope: str = TOWN_A) -> dict[str, str]:
    response = create_token(client, county, who, scope)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def snapshot(session: Session) -> dict[str, Any]:
    """What a write could have changed, read afresh from the database."""
    session.expire_all()
    return {
        "households": [(h.id, h.head_name) for h in session.exec(select(Household).order_by(Household.id))],
        "users": session.exec(select(User.username).order_by(User.id)).all(),
        "tokens": [(t.id, t.revoked_at) for t in session.exec(select(ApiToken).order_by(ApiToken.id))],
        "assignments": session.exec(select(Assignment.id).order_by(Assignment.id)).all(),
        "plans": session.exec(select(Region.plan).order_by(Region.code)).all(),
    }


def test_creating_a_token_returns_its_id_and_secret(client: TestClient, session: Session):
    county = make_county(session)

    response = create_token(client, county, "inspector", TOWN_A)

    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert isinstance(body["token"], str)
    assert len(body["token"]) >= 32
    assert body["scope_code"] == TOWN_A
    assert body["expires_at"] is None


def test_the_stored_row_holds_only_a_hash_of_the_token(client: TestClient, session: Session):
    county = make_county(session)

    body = create_token(client, county, "inspector", TOWN_A).json()

    row = session.get(ApiToken, body["id"])
    assert row is not None
    assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert all(body["token"] not in str(value) for value in row.model_dump().values())
    listed = client.get(TOKENS_URL, headers=county.headers("inspector")).json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert body["token"] not in str(listed)


def test_two_tokens_get_different_secrets(client: TestClient, session: Session):
    county = make_county(session)

    first = create_token(client, county, "county", TOWN_A).json()["token"]
    second = create_token(client, county, "county", TOWN_A).json()["token"]

    assert first != second


def test_a_token_reads_households_in_its_scope_only(client: TestClient, session: Session):
    county = make_county(session)
    headers = token_headers(client, county, scope=TOWN_A)

    response = client.get(HOUSEHOLDS_URL, headers=headers)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert sorted(item["village_code"] for item in items) == [VILLAGE_A1, VILLAGE_A2]
    inside = client.get(f"{HOUSEHOLDS_URL}/{county.households[VILLAGE_A1].id}", headers=headers)
    assert inside.status_code == 200, inside.text
    assert inside.json()["phone"] == "137****5678"
    assert_problem(client.get(f"{HOUSEHOLDS_URL}/{county.households[VILLAGE_B1].id}", headers=headers), 404)
    assert_problem(client.get(HOUSEHOLDS_URL, params={"village_code": VILLAGE_B1}, headers=headers), 404)


def test_a_village_token_sees_that_village_only(client: TestClient, session: Session):
    county = make_county(session)
    headers = token_headers(client, county, who="town_a", scope=VILLAGE_A2)

    items = client.get(HOUSEHOLDS_URL, headers=headers).json()["items"]

    assert [item["id"] for item in items] == [county.households[VILLAGE_A2].id]
    assert_problem(client.get(f"{HOUSEHOLDS_URL}/{county.households[VILLAGE_A1].id}", headers=headers), 404)


def test_a_token_reads_regions_in_its_scope(client: TestClient, session: Session):
    county = make_county(session)
    headers = token_headers(client, county, scope=TOWN_B)

    response = client.get("/api/v1/regions", headers=headers)

    assert response.status_code == 200, response.text
    assert sorted(item["code"] for item in response.json()["items"]) == [TOWN_B, VILLAGE_B1]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", HOUSEHOLDS_URL, {"village_code": VILLAGE_A1, "head_name": "赵大山"}),
        ("PATCH", f"{HOUSEHOLDS_URL}/{{household}}", {"head_name": "赵大山"}),
        (
            "POST",
            "/api/v1/users",
            {
                "username": "new_sec",
                "display_name": "新书记",
                "role": "secretary",
                "scope_code": VILLAGE_A1,
                "password": PASSWORD,
            },
        ),
        ("POST", TOKENS_URL, {"name": "再来一个", "scope_code": VILLAGE_A1}),
        ("DELETE", f"{TOKENS_URL}/{{token}}", None),
        ("PATCH", f"/api/v1/regions/{VILLAGE_A1}", {"plan": "修路"}),
        (
            "POST",
            "/api/v1/assignments",
            {
                "user_id": 1,
                "village_code": VILLAGE_A1,
                "position": "team_member",
                "dispatch_unit": "县财政局",
                "start_date": "2026-05-01",
            },
        ),
    ],
    ids=[
        "create-household",
        "patch-household",
        "create-user",
        "create-token",
        "revoke-token",
        "patch-region",
        "create-assignment",
    ],
)
def test_a_token_cannot_write(client: TestClient, session: Session, method: str, path: str, body: Any):
    county = make_county(session)
    created = create_token(client, county, "county", COUNTY).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    url = path.format(household=county.households[VILLAGE_A1].id, token=created["id"])
    before = snapshot(session)

    response = client.request(method, url, json=body, headers=headers)

    assert_problem(response, 403)
    assert snapshot(session) == before
    assert client.get(HOUSEHOLDS_URL, headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/users"])
def test_a_token_is_not_a_person(client: TestClient, session: Session, path: str):
    county = make_county(session)

    assert_problem(client.get(path, headers=token_headers(client, county, scope=COUNTY)), 403)


def test_revoking_a_token_stops_it_on_the_very_next_request(client: TestClient, session: Session):
    county = make_county(session)
    created = create_token(client, county, "inspector", TOWN_A).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get(HOUSEHOLDS_URL, headers=headers).status_code == 200

    revoke = client.delete(f"{TOKENS_URL}/{created['id']}", headers=county.headers("inspector"))

    assert revoke.status_code == 204, revoke.text
    response = client.get(HOUSEHOLDS_URL, headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    row = session.get(ApiToken, created["id"])
    assert row is not None
    assert row.revoked_at is not None
    listed = client.get(TOKENS_URL, headers=county.headers("inspector")).json()["items"]
    assert listed[0]["revoked_at"] is not None


def test_revoking_twice_is_harmless(client: TestClient, session: Session):
    county = make_county(session)
    created = create_token(client, county, "county", TOWN_A).json()

    first = client.delete(f"{TOKENS_URL}/{created['id']}", headers=county.headers("county"))
    second = client.delete(f"{TOKENS_URL}/{created['id']}", headers=county.headers("county"))

    assert (first.status_code, second.status_code) == (204, 204)


def test_a_supervisor_revokes_a_token_in_their_scope(client: TestClient, session: Session):
    county = make_county(session)
    created = create_token(client, county, "inspector", TOWN_A).json()

    response = client.delete(f"{TOKENS_URL}/{created['id']}", headers=county.headers("town_a"))

    assert response.status_code == 204, response.text
    assert_problem(client.get(HOUSEHOLDS_URL, headers={"Authorization": f"Bearer {created['token']}"}), 401)


@pytest.mark.parametrize(
    ("who", "scope", "status"),
    [("town_b", TOWN_A, 404), ("secretary_a1", VILLAGE_A1, 403), ("inspector", TOWN_A, 403)],
)
def test_others_cannot_revoke_a_token(client: TestClient, session: Session, who: str, scope: str, status: int):
    county = make_county(session)
    created = create_token(client, county, "county", scope).json()

    assert_problem(client.delete(f"{TOKENS_URL}/{created['id']}", headers=county.headers(who)), status)

    assert client.get(HOUSEHOLDS_URL, headers={"Authorization": f"Bearer {created['token']}"}).status_code == 200


@pytest.mark.parametrize(("token_id", "status"), [(999, 404), (2**31, 422), (10**20, 422), (0, 422)])
def test_revoking_an_unknown_or_impossible_token_id_is_refused(
    client: TestClient, session: Session, token_id: int, status: int
):
    county = make_county(session)

    assert_problem(client.delete(f"{TOKENS_URL}/{token_id}", headers=county.headers("county")), status)


def test_an_expired_token_is_refused(client: TestClient, session: Session):
    county = make_county(session)
    soon = datetime.now(UTC) + timedelta(days=1)
    created = create_token(client, county, "inspector", TOWN_A, expires_at=soon.isoformat()).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get(HOUSEHOLDS_URL, headers=headers).status_code == 200

    row = session.get(ApiToken, created["id"])
    assert row is not None
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(row)
    session.commit()

    response = client.get(HOUSEHOLDS_URL, headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_expires_at_is_stored_as_the_same_instant(client: TestClient, session: Session):
    county = make_county(session)

    created = create_token(client, county, "inspector", TOWN_A, expires_at="2099-06-01T08:00:00+08:00").json()

    row = session.get(ApiToken, created["id"])
    assert row is not None
    assert row.expires_at == datetime(2099, 6, 1, 0, 0, tzinfo=UTC)
    assert datetime.fromisoformat(created["expires_at"]) == row.expires_at


@pytest.mark.parametrize(
    "expires_at",
    ["2020-01-01T00:00:00+08:00", "2099-01-01T00:00:00", "9999-12-31T23:00:00-05:00", "next week"],
    ids=["past", "no-offset", "beyond-year-9999", "not-a-time"],
)
def test_a_bad_expiry_is_a_422_problem(client: TestClient, session: Session, expires_at: str):
    county = make_county(session)

    response = create_token(client, county, "inspector", TOWN_A, expires_at=expires_at)

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "expires_at"]
    assert body["errors"][0]["msg"]
    assert session.exec(select(ApiToken)).all() == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": "脚本\x00", "scope_code": TOWN_A},
        {"name": "", "scope_code": TOWN_A},
        {"name": "脚本", "scope_code": "52019"},
        {"name": "脚本"},
    ],
)
def test_a_bad_token_request_is_a_422_problem(client: TestClient, session: Session, body: dict[str, str]):
    county = make_county(session)

    response = client.post(TOKENS_URL, json=body, headers=county.headers("county"))

    assert_problem(response, 422)
    assert session.exec(select(ApiToken)).all() == []


@pytest.mark.parametrize(
    ("who", "scope"), [("town_a", TOWN_B), ("town_a", VILLAGE_B1), ("town_a", COUNTY), ("inspector", "520198000000")]
)
def test_a_token_cannot_be_wider_than_its_creators_scope(client: TestClient, session: Session, who: str, scope: str):
    county = make_county(session)

    response = create_token(client, county, who, scope)

    assert response.status_code in (403, 404), response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert session.exec(select(ApiToken)).all() == []


@pytest.mark.parametrize(("who", "scope"), [("town_a", TOWN_A), ("town_a", VILLAGE_A1), ("admin", COUNTY)])
def test_a_token_may_be_as_wide_as_its_creators_scope(client: TestClient, session: Session, who: str, scope: str):
    county = make_county(session)

    assert create_token(client, county, who, scope).status_code == 201


def test_a_secretary_cannot_create_tokens(client: TestClient, session: Session):
    county = make_county(session)

    response = create_token(client, county, "secretary_a1", VILLAGE_A1)

    assert_problem(response, 403)
    assert session.exec(select(ApiToken)).all() == []


def test_the_token_list_shows_a_town_only_its_own_tokens(client: TestClient, session: Session):
    county = make_county(session)
    in_a = create_token(client, county, "county", TOWN_A).json()["id"]
    create_token(client, county, "county", TOWN_B)

    listed = client.get(TOKENS_URL, headers=county.headers("town_a")).json()["items"]

    assert [item["id"] for item in listed] == [in_a]


def test_a_token_stops_working_when_its_owner_is_deactivated(client: TestClient, session: Session):
    county = make_county(session)
    headers = token_headers(client, county, who="inspector")
    assert client.get(HOUSEHOLDS_URL, headers=headers).status_code == 200

    inspector = session.get(User, county.users["inspector"].id)
    assert inspector is not None
    inspector.is_active = False
    session.add(inspector)
    session.commit()

    assert_problem(client.get(HOUSEHOLDS_URL, headers=headers), 401)


# What an inspection team's script reads: every list, for the token's scope only.
# Each with the filter that asks for somewhere outside the scope.
SCRIPT_READS = {
    "/api/v1/households": f"village_code={VILLAGE_B1}",
    "/api/v1/visits": f"village_code={VILLAGE_B1}",
    "/api/v1/checkins": f"village_code={VILLAGE_B1}",
    "/api/v1/dashboard/villages": f"scope={TOWN_B}",
    "/api/v1/dashboard/secretaries": f"scope={TOWN_B}",
    "/api/v1/flags?status=all": f"scope={TOWN_B}",
    "/api/v1/inspections": f"village_code={VILLAGE_B1}",
}


def _villages_in(body: dict[str, Any]) -> set[str]:
    return {item["village_code"] for item in body["items"]}


def test_a_token_reads_what_an_inspection_script_needs_within_its_scope_and_nothing_after_revocation(
    client: TestClient, session: Session
):
    county = make_county(session)
    for village in (VILLAGE_A1, VILLAGE_B1):
        client.post(
            "/api/v1/flags",
            json={"kind": "manual", "village_code": village, "detail": "电话回访"},
            headers=county.headers("county"),
        )
        client.post(
            "/api/v1/inspections", json={"village_code": village, "sample_size": 1}, headers=county.headers("county")
        )
    for who, village in (("secretary_a1", VILLAGE_A1), ("secretary_b1", VILLAGE_B1)):
        visit = {
            "id": str(uuid.uuid4()),
            "kind": "home_visit",
            "household_id": county.households[village].id,
            "started_at": datetime.now(UTC).isoformat(),
        }
        checkin = {
            "id": str(uuid.uuid4()),
            "village_code": village,
            "at": datetime.now(UTC).isoformat(),
            "lat": 26.5,
            "lon": 106.7,
        }
        sent = client.post("/api/v1/sync", json={"visits": [visit], "checkins": [checkin]}, headers=county.headers(who))
        assert {r["status"] for r in sent.json()["results"]} == {"created"}, sent.text
    created = create_token(client, county, "county", TOWN_A).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    county_wide = {"Authorization": f"Bearer {create_token(client, county, 'county', COUNTY).json()['token']}"}

    for path, outside in SCRIPT_READS.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        assert set(response.json()) == {"items", "next_cursor"}
        seen = _villages_in(response.json())
        assert seen, path
        assert all(code.startswith(TOWN_A[:9]) for code in seen), (path, seen)
        assert VILLAGE_B1 in _villages_in(client.get(path, headers=county_wide).json()), path
        separator = "&" if "?" in path else "?"
        assert_problem(client.get(f"{path}{separator}{outside}", headers=headers), 404)
    quarter = f"{datetime.now(UTC).year}-Q{(datetime.now(UTC).month - 1) // 3 + 1}"
    bulletin = client.get(f"/api/v1/bulletins/{quarter}", headers=headers)
    assert bulletin.status_code == 200, bulletin.text
    # 白岩村 has nobody posted: the bulletin counts it apart instead of ranking it
    assert {v["code"] for v in bulletin.json()["villages"]} == {VILLAGE_A1}
    assert bulletin.json()["unposted_villages"] == 1

    for method, path, body in (
        ("POST", "/api/v1/inspections", {"village_code": VILLAGE_A1, "sample_size": 1}),
        ("POST", "/api/v1/flags", {"kind": "manual", "village_code": VILLAGE_A1, "detail": "x"}),
        ("POST", "/api/v1/sync", {"visits": []}),
    ):
        assert_problem(client.request(method, path, json=body, headers=headers), 403)

    assert client.delete(f"{TOKENS_URL}/{created['id']}", headers=county.headers("county")).status_code == 204
    for path in [*SCRIPT_READS, f"/api/v1/bulletins/{quarter}"]:
        assert_problem(client.get(path, headers=headers), 401)
