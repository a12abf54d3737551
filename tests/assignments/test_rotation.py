"""Ending, correcting and rotating postings (轮换), with a village's history kept whole and one
first secretary at a time."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.assignments.models import Assignment
from api.auth.models import User
from tests.factories import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county, make_user
from tests.problems import assert_problem

URL = "/api/v1/assignments"


@pytest.fixture
def county(session: Session) -> County:
    county = make_county(session)
    # A successor's account, made for a village before being posted (as the county office would).
    county.users["successor"] = make_user(session, "successor", "secretary", VILLAGE_A2, display_name="孙志强")
    return county


def first_posting(session: Session, county: County, who: str = "secretary_a1") -> Assignment:
    row = session.exec(select(Assignment).where(Assignment.user_id == county.users[who].id)).one()
    return row


def history(session: Session, village: str) -> list[tuple[str, str, str | None]]:
    session.rollback()  # a new snapshot: the requests committed in their own
    session.expire_all()
    rows = session.exec(
        select(Assignment, User)
        .join(User, col(User.id) == Assignment.user_id)
        .where(Assignment.village_code == village)
        .order_by(col(Assignment.start_date))
    )
    return [(u.username, str(a.start_date), str(a.end_date) if a.end_date else None) for a, u in rows]


def test_a_rotation_ends_one_posting_and_starts_the_successors_in_one_step(
    client: TestClient, session: Session, county: County
):
    outgoing = first_posting(session, county)

    response = client.post(
        f"{URL}/{outgoing.id}/rotate",
        json={"successor_user_id": county.users["successor"].id, "date": "2026-09-01"},
        headers=county.headers("town_a"),
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["village_code"], body["position"], body["dispatch_unit"], body["start_date"]) == (
        VILLAGE_A1,
        "first_secretary",
        "县财政局",
        "2026-09-01",
    )
    assert history(session, VILLAGE_A1) == [
        ("secretary_a1", "2026-01-01", "2026-08-31"),
        ("successor", "2026-09-01", None),
    ]
    successor = session.get(User, county.users["successor"].id)
    assert successor is not None
    assert successor.scope_code == VILLAGE_A1  # the scope moved with the posting
    current = client.get(
        URL, params={"village_code": VILLAGE_A1, "active_on": "2026-10-01"}, headers=county.headers("county")
    )
    assert [a["user_id"] for a in current.json()["items"]] == [successor.id]
    before = client.get(
        URL, params={"village_code": VILLAGE_A1, "active_on": "2026-08-31"}, headers=county.headers("county")
    )
    assert [a["user_id"] for a in before.json()["items"]] == [county.users["secretary_a1"].id]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-01-01"}, "date"),
        ({"date": "2025-06-01"}, "date"),
        ({"date": "2026-09-01", "successor": "secretary_a1"}, "successor_user_id"),
        ({"date": "2026-09-01", "successor": "county"}, "user_id"),
        ({"date": "2026-09-01", "successor": "secretary_b1"}, "village_code"),
    ],
    ids=["on-the-start", "before-the-start", "same-person", "not-a-secretary", "serving-elsewhere"],
)
def test_a_rotation_that_cannot_be_is_refused_and_changes_nothing(
    client: TestClient, session: Session, county: County, body: dict[str, Any], field: str
):
    outgoing = first_posting(session, county)
    body = dict(body)  # the parameters are shared by both databases' runs: never change them
    successor = county.users[body.pop("successor", "successor")]
    before = history(session, VILLAGE_A1)

    response = client.post(
        f"{URL}/{outgoing.id}/rotate",
        json={"successor_user_id": successor.id, **body},
        headers=county.headers("county"),
    )

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", field]
    assert history(session, VILLAGE_A1) == before


def test_a_second_first_secretary_over_the_same_days_is_refused_with_the_clash_named(
    client: TestClient, session: Session, county: County
):
    response = client.post(
        URL,
        json={
            "user_id": county.users["successor"].id,
            "village_code": VILLAGE_A1,
            "position": "first_secretary",
            "dispatch_unit": "县教育局",
            "start_date": "2026-11-01",
        },
        headers=county.headers("county"),
    )

    body = assert_problem(response, 409)
    assert "已有第一书记 secretary_a1（2026-01-01 起，尚未结束）" in body["detail"]
    assert history(session, VILLAGE_A1) == [("secretary_a1", "2026-01-01", None)]
    team = client.post(
        URL,
        json={
            "user_id": county.users["successor"].id,
            "village_code": VILLAGE_A1,
            "position": "team_member",
            "dispatch_unit": "县教育局",
            "start_date": "2026-11-01",
        },
        headers=county.headers("county"),
    )
    assert team.status_code == 201, team.text  # a team member beside the secretary is welcome


def test_a_posting_is_ended_or_corrected_and_bad_dates_are_refused(
    client: TestClient, session: Session, county: County
):
    posting = first_posting(session, county)
    url = f"{URL}/{posting.id}"

    early = client.patch(url, json={"end_date": "2025-12-31"}, headers=county.headers("town_a"))
    assert assert_problem(early, 422)["errors"][0]["loc"] == ["body", "end_date"]
    outsider = client.patch(url, json={"end_date": "2026-12-31"}, headers=county.headers("town_b"))
    assert_problem(outsider, 404)
    secretary = client.patch(url, json={"end_date": "2026-12-31"}, headers=county.headers("secretary_a1"))
    assert_problem(secretary, 403)

    ended = client.patch(
        url, json={"end_date": "2026-11-30", "dispatch_unit": "县审计局"}, headers=county.headers("town_a")
    )

    assert ended.status_code == 200, ended.text
    assert (ended.json()["end_date"], ended.json()["dispatch_unit"]) == ("2026-11-30", "县审计局")
    assert history(session, VILLAGE_A1) == [("secretary_a1", "2026-01-01", "2026-11-30")]


def test_a_secretary_posted_elsewhere_after_their_posting_ended_takes_their_scope_along(
    client: TestClient, session: Session, county: County
):
    posting = first_posting(session, county, "secretary_b1")
    ended = client.patch(f"{URL}/{posting.id}", json={"end_date": "2026-06-30"}, headers=county.headers("county"))
    assert ended.status_code == 200, ended.text

    moved = client.post(
        URL,
        json={
            "user_id": county.users["secretary_b1"].id,
            "village_code": VILLAGE_A2,
            "position": "first_secretary",
            "dispatch_unit": "县财政局",
            "start_date": "2026-07-01",
        },
        headers=county.headers("county"),
    )

    assert moved.status_code == 201, moved.text
    session.rollback()  # a new snapshot: the requests committed in their own
    session.expire_all()
    user = session.get(User, county.users["secretary_b1"].id)
    assert user is not None
    assert user.scope_code == VILLAGE_A2
    assert history(session, VILLAGE_B1) == [("secretary_b1", "2026-01-01", "2026-06-30")]
