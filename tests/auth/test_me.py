"""``GET /me`` tells the phone its postings, so it knows "my village" without another request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, delete

from api.assignments.models import Assignment
from api.main import create_app
from api.settings import Settings
from tests.factories import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county

ME_URL = "/api/v1/me"

# Twenty-six hours apart: whatever the hour, the two zones are on different calendar days.
FAR_WEST, FAR_EAST = "Etc/GMT+12", "Pacific/Kiritimati"


def post(session: Session, county: County, village: str, start: dt.date, end: dt.date | None = None) -> None:
    user_id = county.users["secretary_a1"].id
    assert user_id is not None
    session.add(
        Assignment(
            user_id=user_id,
            village_code=village,
            position="team_member",
            dispatch_unit="县农业农村局",
            start_date=start,
            end_date=end,
        )
    )
    session.commit()


def postings(client: TestClient, county: County, who: str = "secretary_a1") -> list[dict[str, Any]]:
    response = client.get(ME_URL, headers=county.headers(who))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["postings"]
    return items


def test_a_secretary_sees_current_and_future_postings_in_start_order(client: TestClient, session: Session) -> None:
    county = make_county(session)  # secretary_a1: first secretary of 桃源村 since 2026-01-01, open-ended
    today = dt.datetime.now(Settings().tz).date()
    post(session, county, VILLAGE_A2, today + dt.timedelta(days=30), today + dt.timedelta(days=120))
    post(session, county, VILLAGE_A2, today - dt.timedelta(days=400), today - dt.timedelta(days=200))

    found = postings(client, county)

    assert [(p["village_code"], p["start_date"]) for p in found] == [
        (VILLAGE_A1, "2026-01-01"),
        (VILLAGE_A2, (today + dt.timedelta(days=30)).isoformat()),
    ]
    assert found[1] == {
        "village_code": VILLAGE_A2,
        "village_name": "白岩村",
        "position": "team_member",
        "dispatch_unit": "县农业农村局",
        "start_date": (today + dt.timedelta(days=30)).isoformat(),
        "end_date": (today + dt.timedelta(days=120)).isoformat(),
        "lat": None,
        "lon": None,
        "radius_m": None,
    }
    assert (found[0]["lat"], found[0]["lon"], found[0]["radius_m"]) == (26.5, 106.7, 1500)


def test_a_posting_that_ends_today_is_still_current_and_one_that_ended_yesterday_is_not(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    today = dt.datetime.now(Settings().tz).date()
    post(session, county, VILLAGE_A2, today - dt.timedelta(days=90), today)
    post(session, county, VILLAGE_A2, today - dt.timedelta(days=200), today - dt.timedelta(days=91))

    ending = [p for p in postings(client, county) if p["village_code"] == VILLAGE_A2]

    assert [p["end_date"] for p in ending] == [today.isoformat()]


def test_today_is_the_deployments_calendar_day(settings: Settings, session: Session) -> None:
    county = make_county(session)
    west_today = dt.datetime.now(Settings(timezone=FAR_WEST).tz).date()
    post(session, county, VILLAGE_A2, west_today - dt.timedelta(days=30), west_today)

    answers = {}
    for zone in (FAR_WEST, FAR_EAST):
        with TestClient(create_app(settings.model_copy(update={"timezone": zone}))) as client:
            answers[zone] = [p["village_code"] for p in postings(client, county)]

    assert answers[FAR_WEST] == [VILLAGE_A1, VILLAGE_A2]  # still the last day of the posting there
    assert answers[FAR_EAST] == [VILLAGE_A1]  # already the next day or the one after


def test_only_the_callers_own_postings_are_listed(client: TestClient, session: Session) -> None:
    county = make_county(session)

    assert [p["village_code"] for p in postings(client, county, "secretary_b1")] == [VILLAGE_B1]


def test_other_roles_have_no_postings(client: TestClient, session: Session) -> None:
    county = make_county(session)

    for who in ("admin", "county", "town_a", "inspector"):
        response = client.get(ME_URL, headers=county.headers(who))
        assert response.status_code == 200, response.text
        assert response.json()["postings"] == [], who
        assert {"id", "username", "display_name", "role", "scope_code"} <= response.json().keys()


def test_the_scope_is_named_with_or_without_a_current_posting(client: TestClient, session: Session) -> None:
    county = make_county(session)
    named = {who: client.get(ME_URL, headers=county.headers(who)).json()["scope_name"] for who in ("admin", "town_a")}
    assert named == {"admin": None, "town_a": "石门镇"}

    session.exec(delete(Assignment))  # the secretary's posting ended: the scope stays the village
    session.commit()
    me = client.get(ME_URL, headers=county.headers("secretary_a1")).json()
    assert (me["postings"], me["scope_code"], me["scope_name"]) == ([], VILLAGE_A1, "桃源村")
