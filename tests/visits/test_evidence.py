"""Evidence checks on arrival: each fires when it should, stays silent when it should not,
and a resent record never raises its flag twice."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.flags.models import Flag
from tests.factories import VILLAGE_A1, jpeg, make_county, make_household, upload_photo
from tests.visits.test_visits import NOW, post, visit


def flags(session: Session) -> list[tuple[str, str | None]]:
    session.expire_all()
    return sorted((f.kind, f.subject_id) for f in session.exec(select(Flag)))


def test_off_site_fires_beyond_radius_plus_accuracy(client: TestClient, session: Session) -> None:
    county = make_county(session)  # VILLAGE_A1 at 26.5, 106.7 with a 1500 m radius
    near = visit(county, lat=26.51, lon=106.7, accuracy_m=10)  # about 1.1 km away
    far = visit(county, lat=26.52, lon=106.7, accuracy_m=10, started_at=(NOW - timedelta(hours=5)).isoformat())
    assert post(client, county, near).json()["checks"] == []
    response = post(client, county, far)
    assert response.json()["checks"] == ["off_site"]
    assert flags(session) == [("off_site", far["id"])]
    flag = session.exec(select(Flag)).one()
    assert 2100 < flag.evidence["distance_m"] < 2300
    # A poor fix widens what counts as on site.
    vague = visit(county, lat=26.52, lon=106.7, accuracy_m=900, started_at=(NOW - timedelta(hours=8)).isoformat())
    assert post(client, county, vague).json()["checks"] == []


def test_visits_to_two_homes_minutes_apart_are_implausible(client: TestClient, session: Session) -> None:
    county = make_county(session)
    second_home = make_household(session, VILLAGE_A1, "0002", "李四")
    first = visit(county, started_at=(NOW - timedelta(hours=3)).isoformat())
    soon = visit(county, household_id=second_home.id, started_at=(NOW - timedelta(hours=3, minutes=-2)).isoformat())
    later = visit(county, household_id=second_home.id, started_at=(NOW - timedelta(hours=2, minutes=30)).isoformat())
    assert post(client, county, first).json()["checks"] == []
    assert post(client, county, soon).json()["checks"] == ["implausible_pace"]
    assert post(client, county, later).json()["checks"] == []


def test_moving_faster_than_a_car_between_fixes_is_implausible(client: TestClient, session: Session) -> None:
    county = make_county(session)
    here = visit(
        county,
        kind="log",
        household_id=None,
        village_code=VILLAGE_A1,
        lat=26.5,
        lon=106.7,
        started_at=(NOW - timedelta(hours=4)).isoformat(),
    )
    far_soon = visit(
        county,
        kind="log",
        household_id=None,
        village_code=VILLAGE_A1,
        lat=26.9,
        lon=106.7,
        started_at=(NOW - timedelta(hours=3, minutes=30)).isoformat(),
    )  # 44 km in 30 min
    assert post(client, county, here).json()["checks"] == []
    checks = post(client, county, far_soon).json()["checks"]
    assert "implausible_pace" in checks


def test_a_photo_used_on_two_visits_is_a_duplicate(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("secretary_a1")
    photo = upload_photo(client, headers, jpeg(seed=7))
    other = upload_photo(client, headers, jpeg(seed=8))
    first = visit(county, photo_ids=[photo])
    assert post(client, county, first).json()["checks"] == []
    unrelated = visit(county, photo_ids=[other], started_at=(NOW - timedelta(hours=6)).isoformat())
    assert post(client, county, unrelated).json()["checks"] == []
    reused = visit(county, photo_ids=[photo], started_at=(NOW - timedelta(hours=9)).isoformat())
    assert post(client, county, reused).json()["checks"] == ["duplicate_photo"]
    copy = upload_photo(client, headers, jpeg(seed=7))  # the same picture under a new id
    again = visit(county, photo_ids=[copy], started_at=(NOW - timedelta(hours=12)).isoformat())
    assert post(client, county, again).json()["checks"] == ["duplicate_photo"]
    flag = session.exec(select(Flag).where(Flag.subject_id == again["id"])).one()
    assert {m["other_visit_id"] for m in flag.evidence["matches"]} == {first["id"], reused["id"]}


def test_a_photo_taken_far_from_the_visit_time_is_flagged(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("secretary_a1")
    local = (NOW - timedelta(hours=2)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    on_time = upload_photo(client, headers, jpeg(seed=1, taken_at=local.strftime("%Y:%m:%d %H:%M:%S")))
    stale = upload_photo(
        client, headers, jpeg(seed=2, taken_at=(local - timedelta(days=3)).strftime("%Y:%m:%d %H:%M:%S"))
    )
    assert post(client, county, visit(county, photo_ids=[on_time])).json()["checks"] == []
    late = visit(county, photo_ids=[stale], started_at=(NOW - timedelta(hours=5)).isoformat())
    assert post(client, county, late).json()["checks"] == ["photo_time_mismatch"]


def test_a_resent_record_raises_its_flag_once(client: TestClient, session: Session) -> None:
    county = make_county(session)
    far = visit(county, lat=27.5, lon=106.7)
    for _ in range(3):
        assert post(client, county, far).json()["checks"] == ["off_site"]
    assert flags(session) == [("off_site", far["id"])]


def test_a_checkin_from_the_county_town_is_off_site(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("secretary_a1")
    body = {"id": str(uuid.uuid4()), "village_code": VILLAGE_A1, "at": NOW.isoformat(), "lat": 26.58, "lon": 106.71}
    response = client.post("/api/v1/checkins", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["checks"] == ["off_site"]
    assert client.post("/api/v1/checkins", json=body, headers=headers).status_code == 200
    assert client.post("/api/v1/checkins", json={**body, "lat": 26.5}, headers=headers).status_code == 409
    assert flags(session) == [("off_site", body["id"])]
