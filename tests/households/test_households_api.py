"""Households through the API: create, find, change; search and not-visited filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.assignments.models import Assignment
from api.households.models import Household
from tests.factories import VILLAGE_A1, VILLAGE_A2, make_county, make_household


def test_create_and_read_back_with_chinese_intact(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = {
        "village_code": VILLAGE_A1,
        "household_no": "0099",
        "head_name": "欧阳秀兰",
        "group_name": "第三村民小组",
        "address": "桃源村 上寨 12号",
        "phone": "139 1234 5678",
        "tags": ["留守老人", "老党员"],
    }
    response = client.post("/api/v1/households", headers=county.headers("secretary_a1"), json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["head_name"] == "欧阳秀兰"
    assert created["phone"] == "139****5678"
    assert created["visit_count"] == 0
    assert created["last_visit_at"] is None
    stored = session.get(Household, created["id"])
    assert stored is not None
    assert stored.phone == "13912345678"
    again = client.get(f"/api/v1/households/{created['id']}", headers=county.headers("admin")).json()
    assert again["phone"] == "13912345678"
    assert again["tags"] == ["留守老人", "老党员"]


def test_a_repeated_household_number_in_a_village_is_a_conflict(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = {"village_code": VILLAGE_A1, "household_no": "0001", "head_name": "赵六"}
    response = client.post("/api/v1/households", headers=county.headers("county"), json=body)
    assert response.status_code == 409
    assert "0001" in response.json()["detail"]


def test_unknown_village_and_town_code_are_refused(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("admin")
    unknown = client.post(
        "/api/v1/households", headers=headers, json={"village_code": "520199100299", "head_name": "甲"}
    )
    assert unknown.status_code == 422
    town = client.post("/api/v1/households", headers=headers, json={"village_code": "520199100000", "head_name": "乙"})
    assert town.status_code == 422


def test_malformed_phone_is_refused(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = client.post(
        "/api/v1/households",
        headers=county.headers("admin"),
        json={"village_code": VILLAGE_A1, "head_name": "丙", "phone": "12345"},
    )
    assert response.status_code == 422
    assert "电话" in response.json()["errors"][0]["msg"]


def test_patch_changes_only_what_is_sent(client: TestClient, session: Session) -> None:
    county = make_county(session)
    household = county.households[VILLAGE_A1]
    response = client.patch(
        f"/api/v1/households/{household.id}", headers=county.headers("town_a"), json={"address": "桃源村 下寨 3号"}
    )
    assert response.status_code == 200
    assert response.json()["address"] == "桃源村 下寨 3号"
    assert response.json()["tags"] == ["脱贫户"]


def test_search_by_name_group_address_or_tag(client: TestClient, session: Session) -> None:
    county = make_county(session)
    make_household(session, VILLAGE_A1, "0002", "李四", group_name="第五村民小组", tags=["低保户"])
    make_household(session, VILLAGE_A1, "0003", "王五", address="100%山路")
    headers = county.headers("county")

    def names(q: str) -> set[str]:
        items = client.get("/api/v1/households", headers=headers, params={"q": q}).json()["items"]
        return {h["head_name"] for h in items}

    assert names("李") == {"李秀英", "李四"}
    assert names("第五") == {"李四"}
    assert names("低保") == {"李四"}
    assert names("脱贫户") == {"王建国"}
    assert names("100%") == {"王五"}
    assert names("%") == {"王五"}


def test_not_visited_days_includes_never_visited(client: TestClient, session: Session) -> None:
    county = make_county(session)
    now = datetime.now(UTC)
    make_household(session, VILLAGE_A2, "0002", "近访户", last_visit_at=now - timedelta(days=3), visit_count=2)
    make_household(session, VILLAGE_A2, "0003", "久未访户", last_visit_at=now - timedelta(days=120), visit_count=1)
    items = client.get(
        "/api/v1/households",
        headers=county.headers("county"),
        params={"village_code": VILLAGE_A2, "not_visited_days": 90},
    ).json()["items"]
    assert {h["head_name"] for h in items} == {"李秀英", "久未访户"}
    assert {h["visit_count"] for h in items} == {0, 1}


def test_pages_follow_the_cursor_to_the_end(client: TestClient, session: Session) -> None:
    county = make_county(session)
    for n in range(2, 8):
        make_household(session, VILLAGE_A1, f"{n:04d}", f"户主{n}")
    headers = county.headers("county")
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/households", headers=headers, params=params).json()
        seen += [h["id"] for h in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 9
    assert client.get("/api/v1/households", headers=headers, params={"limit": 501}).status_code == 422


def test_a_secretary_edits_only_where_posted_today(client: TestClient, session: Session) -> None:
    county = make_county(session)
    secretary = county.users["secretary_a1"]
    body = {"village_code": VILLAGE_A1, "household_no": "0100", "head_name": "新户"}
    assert client.post("/api/v1/households", headers=county.headers("secretary_a1"), json=body).status_code == 201

    assignment = session.exec(select(Assignment).where(Assignment.user_id == secretary.id)).one()
    assignment.end_date = assignment.start_date  # the posting ended long ago
    session.add(assignment)
    session.commit()
    body["household_no"] = "0101"
    response = client.post("/api/v1/households", headers=county.headers("secretary_a1"), json=body)
    assert response.status_code == 403
    assert "派驻" in response.json()["detail"]
    household_id = county.households[VILLAGE_A1].id
    patch = client.patch(
        f"/api/v1/households/{household_id}", headers=county.headers("secretary_a1"), json={"address": "x"}
    )
    assert patch.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/households/2147483648",
        "/api/v1/households/0",
        "/api/v1/households?q=%00",
        "/api/v1/households?cursor=ImFiYyI",  # base64 of the JSON string "abc": a region cursor, not an id
        "/api/v1/households?cursor=OTk5OTk5OTk5OTk5",  # an id past what the database can hold
    ],
)
def test_values_the_database_cannot_hold_are_422_not_500(client: TestClient, session: Session, path: str) -> None:
    county = make_county(session)
    response = client.get(path, headers=county.headers("county"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("field", ["head_name", "address", "group_name", "household_no"])
def test_a_nul_character_in_text_is_refused(client: TestClient, session: Session, field: str) -> None:
    county = make_county(session)
    body = {"village_code": VILLAGE_A1, "head_name": "甲", field: "坏\x00字"}
    response = client.post("/api/v1/households", headers=county.headers("county"), json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == field


def test_patching_to_a_taken_household_number_is_a_conflict(client: TestClient, session: Session) -> None:
    county = make_county(session)
    second = make_household(session, VILLAGE_A1, "0002", "李四")
    response = client.patch(
        f"/api/v1/households/{second.id}", headers=county.headers("county"), json={"household_no": "0001"}
    )
    assert response.status_code == 409, response.text
    session.expire_all()
    assert session.get(Household, second.id).household_no == "0002"  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["household_no", "head_name", "tags"])
def test_the_ledger_key_and_required_fields_cannot_be_cleared(client: TestClient, session: Session, field: str) -> None:
    county = make_county(session)
    household_id = county.households[VILLAGE_A1].id
    response = client.patch(f"/api/v1/households/{household_id}", headers=county.headers("county"), json={field: None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", field]
