"""``POST /sync``: a phone's outbox in one request; one result per item, in order, each on its own."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.checkins.models import Checkin
from api.visits.models import Visit
from tests.factories import VILLAGE_A1, County, jpeg, make_county, upload_photo
from tests.problems import assert_problem
from tests.visits.test_visits import NOW, visit


def checkin(**overrides: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "village_code": VILLAGE_A1,
        "at": NOW.isoformat(),
        "lat": 26.5,
        "lon": 106.7,
        **overrides,
    }


def sync(client: TestClient, county: County, visits: list[Any], checkins: list[Any] | None = None) -> Any:
    return client.post(
        "/api/v1/sync", json={"visits": visits, "checkins": checkins or []}, headers=county.headers("secretary_a1")
    )


def test_one_result_per_item_in_order_and_bad_items_stand_alone(client: TestClient, session: Session) -> None:
    county = make_county(session)
    good = [visit(county, started_at=(NOW - timedelta(hours=h)).isoformat()) for h in (1, 2, 3)]
    future = visit(county, started_at=(NOW + timedelta(hours=1)).isoformat())
    malformed = {"id": str(uuid.uuid4()), "kind": "home_visit", "started_at": "yesterday"}
    missing_photo = visit(county, started_at=(NOW - timedelta(hours=4)).isoformat(), photo_ids=[str(uuid.uuid4())])
    items = [good[0], future, good[1], malformed, missing_photo, good[2], good[0]]
    response = sync(client, county, items, [checkin()])
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["kind"], r["status"]) for r in results] == [
        (good[0]["id"], "visit", "created"),
        (future["id"], "visit", "rejected"),
        (good[1]["id"], "visit", "created"),
        (malformed["id"], "visit", "rejected"),
        (missing_photo["id"], "visit", "rejected"),
        (good[2]["id"], "visit", "created"),
        (good[0]["id"], "visit", "unchanged"),
        (results[-1]["id"], "checkin", "created"),
    ]
    assert results[4]["detail"] == "missing_photo"
    assert "时间" in results[1]["detail"]
    assert session.exec(select(func.count()).select_from(Visit)).one() == 3
    assert session.exec(select(func.count()).select_from(Checkin)).one() == 1


def test_a_visit_waiting_for_its_photo_goes_through_once_the_photo_is_uploaded(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    data = jpeg(seed=3)
    body = visit(county, photo_ids=[str(uuid.uuid4())])
    assert sync(client, county, [body]).json()["results"][0]["detail"] == "missing_photo"
    photo_id = body["photo_ids"][0]
    response = client.post(
        "/api/v1/photos",
        data={"id": photo_id},
        files={"file": ("p.jpg", data, "image/jpeg")},
        headers=county.headers("secretary_a1"),
    )
    assert response.status_code == 201
    assert sync(client, county, [body]).json()["results"][0]["status"] == "created"
    assert sync(client, county, [body]).json()["results"][0]["status"] == "unchanged"


def test_a_conflicting_resend_is_reported_not_applied(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = visit(county)
    sync(client, county, [body])
    result = sync(client, county, [{**body, "notes": "另一段内容"}]).json()["results"][0]
    assert result["status"] == "conflict"
    assert session.exec(select(Visit.notes)).one() == body["notes"]


def test_more_than_500_items_is_413(client: TestClient, session: Session) -> None:
    county = make_county(session)
    items = [visit(county) for _ in range(400)]
    response = sync(client, county, items, [checkin() for _ in range(101)])
    assert_problem(response, 413)
    assert session.exec(select(func.count()).select_from(Visit)).one() == 0


def test_photos_go_before_the_visits_that_name_them(client: TestClient, session: Session) -> None:
    county = make_county(session)
    photo = upload_photo(client, county.headers("secretary_a1"), jpeg(seed=5))
    results = sync(client, county, [visit(county, photo_ids=[photo])]).json()["results"]
    assert results[0]["status"] == "created"


def test_checkins_are_listed_within_the_readers_scope(client: TestClient, session: Session) -> None:
    county = make_county(session)
    mine = [checkin(at=(NOW - timedelta(days=d)).isoformat()) for d in (0, 1, 2)]
    assert [r["status"] for r in sync(client, county, [], mine).json()["results"]] == ["created"] * 3

    town = client.get(f"/api/v1/checkins?village_code={VILLAGE_A1}", headers=county.headers("town_a")).json()
    assert sorted(c["id"] for c in town["items"]) == sorted(c["id"] for c in mine)
    recent = client.get(
        "/api/v1/checkins",
        params={"since": (NOW - timedelta(days=1, hours=1)).isoformat()},
        headers=county.headers("county"),
    ).json()
    assert len(recent["items"]) == 2
    other_town = client.get("/api/v1/checkins", headers=county.headers("town_b")).json()
    assert other_town["items"] == []
    refused = client.get(f"/api/v1/checkins?village_code={VILLAGE_A1}", headers=county.headers("town_b"))
    assert refused.status_code in (403, 404)
