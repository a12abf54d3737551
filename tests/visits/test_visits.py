"""Visits: exactly-once arrival, who may write where and when, household counters, requests."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.households.models import Household
from api.requests.models import VillagerRequest
from api.visits.models import Visit
from tests.factories import (
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    County,
    jpeg,
    make_county,
    make_household,
    upload_photo,
)
from tests.problems import assert_problem

NOW = datetime.now(UTC).replace(microsecond=0)


def visit(county: County, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "home_visit",
        "household_id": county.households[VILLAGE_A1].id,
        "started_at": (NOW - timedelta(hours=2)).isoformat(),
        "lat": 26.5,
        "lon": 106.7,
        "accuracy_m": 15,
        "notes": "了解了家里的收入情况，老人身体尚可。",
    }
    return {**body, **overrides}


def post(client: TestClient, county: County, body: dict[str, Any], who: str = "secretary_a1") -> Any:
    return client.post("/api/v1/visits", json=body, headers=county.headers(who))


def visit_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Visit)).one()


def test_a_home_visit_is_created_with_server_fields(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = visit(
        county, requests=[{"id": str(uuid.uuid4()), "category": "医疗", "text": "希望村卫生室每周来量一次血压"}]
    )
    response = post(client, county, body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["village_code"] == VILLAGE_A1
    assert created["user_id"] == county.users["secretary_a1"].id
    assert created["checks"] == []
    assert created["received_at"]
    assert created["requests"][0]["text"] == "希望村卫生室每周来量一次血压"
    stored = session.exec(select(VillagerRequest)).one()
    assert stored.status == "open"
    assert stored.village_code == VILLAGE_A1


def test_the_same_visit_twice_is_unchanged_with_the_same_body(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = visit(county)
    first = post(client, county, body)
    again = post(client, county, body)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert visit_count(session) == 1


def test_the_answer_to_a_new_visit_is_what_reading_it_back_gives(client: TestClient, session: Session) -> None:
    """The answer to a new visit is made from what was written; it must equal the stored visit
    read back, whatever the offset and precision of the phone's time, repeated photos, requests
    and evidence checks."""
    county = make_county(session)
    headers = county.headers("secretary_a1")
    first, second = (upload_photo(client, headers, jpeg(seed)) for seed in (1, 2))
    local = (NOW - timedelta(hours=3)).astimezone(timezone(timedelta(hours=8))).replace(microsecond=123456)
    body = visit(
        county,
        started_at=local.isoformat(),
        lat=27.9,  # far from the village: the off-site check answers
        photo_ids=[first, second, first],
        signature_photo_id=second,
        requests=[{"id": str(uuid.uuid4()), "category": "道路", "text": "村口的路灯坏了"}],
    )
    created = post(client, county, body)
    assert created.status_code == 201, created.text
    assert created.json()["checks"] == ["off_site"]
    assert created.json()["photo_ids"] == [first, second]
    read = client.get(f"/api/v1/visits/{body['id']}", headers=headers)
    assert created.json() == read.json()


def test_the_same_id_with_other_content_is_a_conflict(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = visit(county)
    assert post(client, county, body).status_code == 201
    assert_problem(post(client, county, {**body, "notes": "改过的内容"}), 409)
    assert visit_count(session) == 1


def test_ten_concurrent_copies_make_one_visit(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = visit(county)
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def send() -> None:
        barrier.wait()
        statuses.append(post(client, county, body).status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 9 + [201]
    assert visit_count(session) == 1
    session.expire_all()
    assert session.get(Household, county.households[VILLAGE_A1].id).visit_count == 1  # type: ignore[union-attr]


def test_household_counters_stay_exact_under_late_out_of_order_and_repeated_visits(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    times = [NOW - timedelta(days=d) for d in (3, 10, 1, 20)]  # arrives out of order, the newest third
    bodies = [visit(county, started_at=t.isoformat()) for t in times]
    for body in bodies + bodies[:2]:  # and the first two are sent again
        assert post(client, county, body).status_code in (200, 201)
    session.expire_all()
    household = session.get(Household, county.households[VILLAGE_A1].id)
    assert household is not None
    assert household.visit_count == 4
    assert household.last_visit_at == NOW - timedelta(days=1)


def test_only_home_visits_count_towards_the_household(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = visit(county, kind="meeting", village_code=VILLAGE_A1, notes="三会一课")
    assert post(client, county, body).status_code == 201
    session.expire_all()
    assert session.get(Household, county.households[VILLAGE_A1].id).visit_count == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"household_id": None}, 422),  # a home visit names its household
        ({"kind": "group_talk", "household_id": None}, 422),  # other kinds name the village
        # from the future (days ahead: NOW is taken when the tests are collected, maybe an hour ago)
        ({"started_at": (NOW + timedelta(days=2)).isoformat()}, 422),
        ({"started_at": "2026-05-01T09:30:00"}, 422),  # no offset
        ({"kind": "chat"}, 422),
        ({"lat": 126.5}, 422),
        ({"photo_ids": [str(uuid.uuid4())]}, 422),  # not uploaded yet
        ({"village_code": VILLAGE_A2}, 422),  # household of another village
    ],
)
def test_bad_visits_are_refused_and_nothing_is_written(
    client: TestClient, session: Session, overrides: dict[str, Any], status: int
) -> None:
    county = make_county(session)
    assert_problem(post(client, county, visit(county, **overrides)), status)
    assert visit_count(session) == 0


def test_a_missing_photo_is_named_so_the_phone_can_upload_it(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = assert_problem(post(client, county, visit(county, photo_ids=[str(uuid.uuid4())])), 422)
    assert "上传" in body["detail"]


def test_a_secretary_writes_only_where_and_when_posted(client: TestClient, session: Session) -> None:
    county = make_county(session)  # secretary_a1: scope and posting VILLAGE_A1, from 2026-01-01
    other = make_household(session, VILLAGE_A2, "0009", "外村户")
    assert_problem(post(client, county, visit(county, household_id=other.id)), 404)
    before_posting = visit(county, started_at="2025-12-31T10:00:00+08:00")
    assert_problem(post(client, county, before_posting), 403)
    first_day = visit(county, started_at="2026-01-01T00:30:00+08:00")  # 16:30 UTC the day before
    assert post(client, county, first_day).status_code == 201
    elsewhere = visit(county, household_id=county.households[VILLAGE_B1].id)
    assert_problem(post(client, county, elsewhere), 404)


def test_inspectors_and_tokens_cannot_write_visits(client: TestClient, session: Session) -> None:
    county = make_county(session)
    assert_problem(post(client, county, visit(county), who="inspector"), 403)


def test_list_and_read_visits_in_scope(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = visit(county)
    post(client, county, body)
    town_b = client.get("/api/v1/visits", headers=county.headers("town_b")).json()["items"]
    assert town_b == []
    town_a = client.get("/api/v1/visits", headers=county.headers("town_a")).json()["items"]
    assert [v["id"] for v in town_a] == [body["id"]]
    assert client.get(f"/api/v1/visits/{body['id']}", headers=county.headers("town_b")).status_code == 404
    since = client.get("/api/v1/visits", params={"since": NOW.isoformat()}, headers=county.headers("county")).json()[
        "items"
    ]
    assert since == []


def test_requests_are_listed_and_resolved(client: TestClient, session: Session) -> None:
    county = make_county(session)
    request_id = str(uuid.uuid4())
    post(client, county, visit(county, requests=[{"id": request_id, "category": "道路", "text": "村口路灯坏了"}]))
    listed = client.get(
        "/api/v1/requests", params={"scope": VILLAGE_A1, "status": "open"}, headers=county.headers("town_a")
    ).json()["items"]
    assert [r["id"] for r in listed] == [request_id]
    assert client.get("/api/v1/requests", headers=county.headers("town_b")).json()["items"] == []
    assert (
        client.get("/api/v1/requests", params={"scope": VILLAGE_B1}, headers=county.headers("town_a")).status_code
        == 404
    )
    done = client.patch(
        f"/api/v1/requests/{request_id}",
        json={"status": "resolved", "resolution": "已联系供电所更换"},
        headers=county.headers("town_a"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["resolved_at"] is not None
    assert (
        client.patch(
            f"/api/v1/requests/{request_id}", json={"status": "in_progress"}, headers=county.headers("town_b")
        ).status_code
        == 404
    )


def test_32_concurrent_writers_all_succeed(client: TestClient, session: Session) -> None:
    county = make_county(session)
    homes = [make_household(session, VILLAGE_A1, f"{n:04d}", f"户主{n}") for n in range(2, 34)]
    barrier = threading.Barrier(32)
    statuses: list[int] = []

    def send(n: int) -> None:
        body = visit(
            county, household_id=homes[n].id, started_at=(NOW - timedelta(hours=1, minutes=30 * n)).isoformat()
        )
        barrier.wait()
        statuses.append(post(client, county, body).status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 32
    assert visit_count(session) == 32
