"""Regions: codes, levels and parents kept consistent; weak-lax facts on villages only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.regions import codes
from api.regions.models import Region
from tests.factories import COUNTY, TOWN_A, VILLAGE_A1, make_county


def test_codes_normalise_and_nest() -> None:
    assert codes.normalize("520199") == COUNTY
    assert codes.prefix(COUNTY) == "520199"
    assert codes.prefix(TOWN_A) == "520199100"
    assert codes.prefix(VILLAGE_A1) == VILLAGE_A1
    assert codes.level_of(TOWN_A) == "town"
    assert codes.parent_of(VILLAGE_A1) == TOWN_A
    assert codes.parent_of(TOWN_A) == COUNTY
    with pytest.raises(codes.BadCode):
        codes.normalize("52019910020")  # 11 digits


def test_create_a_village_with_its_facts(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = {
        "code": "520199100203",
        "name": "新寨村",
        "level": "village",
        "lat": 26.51,
        "lon": 106.72,
        "radius_m": 1200,
        "weak_lax": True,
        "weak_lax_reasons": ["集体经济薄弱", "信访矛盾突出"],
        "rectification_status": "rectifying",
        "plan": "发展林下养殖，化解土地纠纷。",
    }
    response = client.post("/api/v1/regions", headers=county.headers("town_a"), json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["parent_code"] == TOWN_A
    assert created["weak_lax_reasons"] == ["集体经济薄弱", "信访矛盾突出"]
    stored = session.get(Region, "520199100203")
    assert stored is not None
    assert stored.plan == "发展林下养殖，化解土地纠纷。"


def test_a_village_needs_its_town_to_exist(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = client.post(
        "/api/v1/regions",
        headers=county.headers("admin"),
        json={"code": "520199555201", "name": "某村", "level": "village"},
    )
    assert response.status_code == 422
    assert "520199555000" in response.json()["detail"]


@pytest.mark.parametrize(
    ("code", "level"),
    [(TOWN_A, "village"), ("520199100204", "town"), ("520199100205", "county")],
)
def test_the_level_must_match_the_code(client: TestClient, session: Session, code: str, level: str) -> None:
    county = make_county(session)
    response = client.post(
        "/api/v1/regions", headers=county.headers("admin"), json={"code": code, "name": "某地", "level": level}
    )
    assert response.status_code == 422


def test_a_duplicate_code_is_a_conflict(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = client.post(
        "/api/v1/regions",
        headers=county.headers("admin"),
        json={"code": VILLAGE_A1, "name": "桃源村", "level": "village"},
    )
    assert response.status_code == 409


def test_patch_classifies_a_village_and_keeps_the_rest(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = client.patch(
        f"/api/v1/regions/{VILLAGE_A1}",
        headers=county.headers("county"),
        json={"weak_lax": True, "weak_lax_reasons": ["班子不团结"], "rectification_status": "rectifying"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["weak_lax"] is True
    assert response.json()["radius_m"] == 1500
    assert response.json()["name"] == "桃源村"


def test_weak_lax_is_only_for_villages(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = client.patch(f"/api/v1/regions/{TOWN_A}", headers=county.headers("county"), json={"weak_lax": True})
    assert response.status_code == 422


def test_list_filters_by_parent_and_level(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("county")
    villages = client.get(f"/api/v1/regions?parent={TOWN_A}&level=village", headers=headers).json()["items"]
    assert [v["code"] for v in villages] == ["520199100201", "520199100202"]
    towns = client.get("/api/v1/regions?level=town", headers=headers).json()["items"]
    assert {t["name"] for t in towns} == {"石门镇", "龙泉乡"}


@pytest.mark.parametrize("code", ["%00", "1" * 5000, "abc"])
def test_a_malformed_region_code_in_the_path_is_a_422_on_every_backend(
    client: TestClient, session: Session, code: str
) -> None:
    county = make_county(session)
    response = client.get(f"/api/v1/regions/{code}", headers=county.headers("county"))
    assert response.status_code == 422
    assert len(response.json()["detail"]) < 300


def test_a_county_with_an_unknown_parent_is_refused_not_silently_detached(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = {"code": "520198000000", "name": "邻县", "level": "county", "parent_code": "520100000000"}
    response = client.post("/api/v1/regions", headers=county.headers("admin"), json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "parent_code"]


def test_a_villages_suggested_centre_is_the_median_of_its_recent_good_check_ins(
    client: TestClient, session: Session
) -> None:
    import datetime as dt
    import uuid

    from api.checkins.models import Checkin
    from api.db import utcnow

    county = make_county(session)
    secretary = county.users["secretary_a1"].id
    assert secretary is not None
    now = utcnow()

    def checkin(lat: float, lon: float, *, days_ago: int = 1, accuracy: float | None = 15.0) -> Checkin:
        at = now - dt.timedelta(days=days_ago)
        return Checkin(
            id=str(uuid.uuid4()),
            user_id=secretary,
            village_code=VILLAGE_A1,
            at=at,
            received_at=at,
            lat=lat,
            lon=lon,
            accuracy_m=accuracy,
            content_hash="0" * 64,
        )

    session.add_all(
        [
            checkin(26.60, 106.80),
            checkin(26.61, 106.81),
            checkin(26.62, 106.82),
            checkin(27.50, 107.50),  # one from the county town: the median ignores it
            checkin(20.0, 100.0, accuracy=900.0),  # too vague to count
            checkin(20.0, 100.0, days_ago=200),  # too old
        ]
    )
    session.commit()
    url = f"/api/v1/regions/{VILLAGE_A1}/suggested-centre"

    response = client.get(url, headers=county.headers("town_a"))

    assert response.status_code == 200, response.text
    assert response.json() == {"lat": 26.615, "lon": 106.815, "checkins": 4, "days": 90}
    empty = client.get("/api/v1/regions/520199100202/suggested-centre", headers=county.headers("town_a"))
    assert empty.json() == {"lat": None, "lon": None, "checkins": 0, "days": 90}
    assert client.get(url, headers=county.headers("secretary_a1")).status_code == 403
    assert client.get(url, headers=county.headers("town_b")).status_code == 404
    assert client.get(f"/api/v1/regions/{TOWN_A}/suggested-centre", headers=county.headers("county")).status_code == 422
