"""The inbox at county scale: filters and counts by kind, each flag's trail of events, and
acknowledging many flags at once (all in scope, or none)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.flags.models import Flag, FlagEvent
from api.flags.schemas import FLAG_KINDS
from api.settings import Settings
from tests.factories import TOWN_A, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county
from tests.flags.test_flags_api import FLAGS, listed, off_site_checkin, patch, raised, rule_flags
from tests.flags.test_rules import evaluate, home_visit, local, setup, sync
from tests.problems import assert_problem

ACKNOWLEDGE = f"{FLAGS}/acknowledge"


def counts(client: TestClient, county: County, who: str = "county", **params: Any) -> dict[str, int]:
    response = client.get(f"{FLAGS}/counts", params=params, headers=county.headers(who))
    assert response.status_code == 200, response.text
    found: dict[str, int] = response.json()
    return found


def history(client: TestClient, county: County, flag_id: int, who: str = "county") -> list[dict[str, Any]]:
    response = client.get(f"{FLAGS}/{flag_id}", headers=county.headers(who))
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["history"]
    return events


def steps(events: list[dict[str, Any]]) -> list[tuple[str | None, str | None, str, str | None]]:
    """Each event as (who, from, to, note)."""
    return [(e["user_display_name"], e["from_status"], e["to_status"], e["note"]) for e in events]


def trails_match_statuses(session: Session) -> None:
    """Every flag's last event leads to the status the flag has."""
    session.expire_all()
    for flag in session.exec(select(Flag)):
        last = session.exec(
            select(FlagEvent).where(FlagEvent.flag_id == flag.id).order_by(col(FlagEvent.id).desc())
        ).first()
        assert last is not None, flag
        assert last.to_status == flag.status, flag


def event_count(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(FlagEvent)).all())


# Filters and counts


def test_kinds_status_and_place_filter_the_list_and_the_counts(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rule_flags(session, county, "implausible_pace", "duplicate_photo", "photo_time_mismatch")
    in_a2, in_b1 = raised(client, county, VILLAGE_A2), raised(client, county, VILLAGE_B1)
    photo = next(f for f in listed(client, county, "county") if f["kind"] == "duplicate_photo")

    kinds = listed(client, county, "county", kind=["duplicate_photo", "photo_time_mismatch"])
    assert {f["kind"] for f in kinds} == {"duplicate_photo", "photo_time_mismatch"}
    assert [f["id"] for f in listed(client, county, "county", kind="manual", scope=TOWN_A)] == [in_a2["id"]]
    assert counts(client, county) == {kind: 0 for kind in FLAG_KINDS} | {
        "manual": 2,
        "implausible_pace": 1,
        "duplicate_photo": 1,
        "photo_time_mismatch": 1,
    }
    assert counts(client, county, scope=VILLAGE_B1)["manual"] == 1
    assert counts(client, county, "town_b") == {kind: 0 for kind in FLAG_KINDS} | {"manual": 1}
    assert counts(client, county, "town_a", scope=VILLAGE_A2, kind="manual")["manual"] == 1  # kind is no filter here

    assert patch(client, county, photo["id"], status="acknowledged").status_code == 200
    assert counts(client, county)["duplicate_photo"] == 0
    assert counts(client, county, status=["open", "acknowledged"])["duplicate_photo"] == 1
    assert counts(client, county, status="all")["manual"] == 2
    assert [f["id"] for f in listed(client, county, "county", kind="duplicate_photo", status="acknowledged")] == [
        photo["id"]
    ]
    assert_problem(client.get(f"{FLAGS}/counts", params={"scope": VILLAGE_B1}, headers=county.headers("town_a")), 404)
    assert_problem(client.get(f"{FLAGS}/counts", headers=county.headers("secretary_a1")), 403)
    assert in_b1["id"] not in {f["id"] for f in listed(client, county, "town_a")}


def test_since_and_until_bound_when_a_flag_was_raised(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag = raised(client, county)
    at = datetime.fromisoformat(flag["raised_at"])
    around = {"since": (at - timedelta(seconds=1)).isoformat(), "until": (at + timedelta(seconds=1)).isoformat()}

    assert [f["id"] for f in listed(client, county, "county", **around)] == [flag["id"]]
    assert listed(client, county, "county", since=(at + timedelta(seconds=1)).isoformat()) == []
    assert listed(client, county, "county", until=at.isoformat()) == []  # until is exclusive
    assert counts(client, county, **around)["manual"] == 1
    assert counts(client, county, until=at.isoformat())["manual"] == 0
    body = assert_problem(client.get(FLAGS, params={"since": "2026-12-01"}, headers=county.headers("county")), 422)
    assert body["errors"][0]["loc"] == ["query", "since"]


def test_pages_of_a_filtered_list_hold_only_that_kind(client: TestClient, session: Session) -> None:
    county = make_county(session)
    manual_ids = [raised(client, county)["id"] for _ in range(3)]
    rule_flags(session, county, "off_site")
    seen: list[int] = []
    params: dict[str, Any] = {"kind": "manual", "limit": 2}
    while True:
        page = client.get(FLAGS, params=params, headers=county.headers("county")).json()
        seen += [f["id"] for f in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == sorted(manual_ids, reverse=True)


# The trail


def test_each_change_leaves_an_event_with_who_and_why(client: TestClient, session: Session) -> None:
    county = make_county(session)
    off_site_checkin(client, county)
    [flag] = listed(client, county, "county")
    assert steps(flag["history"]) == [(None, None, "open", None)]  # raised by the check on arrival

    assert patch(client, county, flag["id"], status="acknowledged", note="先电话问问").status_code == 200
    assert patch(client, county, flag["id"], status="acknowledged", note="先电话问问").status_code == 200
    answer = patch(client, county, flag["id"], "county", status="resolved", note="当天在县里开会，已补签。")
    assert answer.status_code == 200, answer.text

    expected = [
        (None, None, "open", None),
        ("town_a", "open", "acknowledged", "先电话问问"),  # the same judgement again adds nothing
        ("county", "acknowledged", "resolved", "当天在县里开会，已补签。"),
    ]
    assert steps(answer.json()["history"]) == expected
    assert steps(history(client, county, flag["id"], "inspector")) == expected
    events = answer.json()["history"]
    assert events[1]["user_id"] == county.users["town_a"].id
    assert events[0]["at"] <= events[1]["at"] <= events[2]["at"]
    trails_match_statuses(session)


def test_a_manual_flag_is_raised_by_its_author(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag = raised(client, county, who="inspector")
    assert steps(flag["history"]) == [("inspector", None, "open", None)]
    assert datetime.fromisoformat(flag["history"][0]["at"]) == datetime.fromisoformat(flag["raised_at"])


def test_a_rule_resolving_a_flag_leaves_an_event_with_no_user(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, today = setup(session, settings)
    assert evaluate(engine, settings, today).raised["low_coverage"] == 1
    [flag] = listed(client, county, "county", kind="low_coverage")
    assert patch(client, county, flag["id"], status="acknowledged").status_code == 200

    household = county.households[VILLAGE_A1].id
    sync(client, county, visits=[home_visit(household, local(settings, today - dt.timedelta(days=1), 10))])
    assert evaluate(engine, settings, today).resolved["low_coverage"] == 1

    [(_, _, _, note)] = steps(history(client, county, flag["id"]))[2:]
    assert steps(history(client, county, flag["id"])) == [
        (None, None, "open", None),
        ("town_a", "open", "acknowledged", None),
        (None, "acknowledged", "resolved", note),
    ]
    assert "系统自动解除" in (note or "")
    trails_match_statuses(session)


# Acknowledging many at once


def test_bulk_acknowledge_moves_the_open_ones_and_reports_the_rest(client: TestClient, session: Session) -> None:
    county = make_county(session)
    a1, a2, b1 = (raised(client, county, village)["id"] for village in (VILLAGE_A1, VILLAGE_A2, VILLAGE_B1))
    assert patch(client, county, a2, status="dismissed", note="误报").status_code == 200

    response = client.post(
        ACKNOWLEDGE, json={"ids": [a1, a2, b1, a1], "note": " 统一核实 "}, headers=county.headers("county")
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [f["id"] for f in body["acknowledged"]] == [b1, a1]
    assert {(f["status"], f["note"]) for f in body["acknowledged"]} == {("acknowledged", "统一核实")}
    assert [(f["id"], f["status"], f["note"]) for f in body["unchanged"]] == [(a2, "dismissed", "误报")]
    assert steps(body["acknowledged"][0]["history"])[-1] == ("county", "open", "acknowledged", "统一核实")
    again = client.post(ACKNOWLEDGE, json={"ids": [a1]}, headers=county.headers("county")).json()
    assert (again["acknowledged"], [f["id"] for f in again["unchanged"]]) == ([], [a1])
    trails_match_statuses(session)


@pytest.mark.parametrize("outside", ["other town", "unknown"])
def test_bulk_acknowledge_is_all_or_nothing_on_scope(client: TestClient, session: Session, outside: str) -> None:
    county = make_county(session)
    a1, b1 = (raised(client, county, village)["id"] for village in (VILLAGE_A1, VILLAGE_B1))
    before = event_count(session)

    ids = [a1, b1 if outside == "other town" else b1 + 1000]
    body = assert_problem(client.post(ACKNOWLEDGE, json={"ids": ids}, headers=county.headers("town_a")), 404)

    assert "均未处理" in body["detail"]
    assert {f["status"] for f in listed(client, county, "county", status="all")} == {"open"}
    assert event_count(session) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({"ids": []}, "ids"), ({"ids": list(range(1, 502))}, "ids"), ({"ids": [0]}, "ids"), ({"ids": [1], "x": 1}, "x")],
)
def test_bulk_acknowledge_refuses_bad_bodies_in_chinese(
    client: TestClient, session: Session, body: dict[str, Any], field: str
) -> None:
    county = make_county(session)
    problem = assert_problem(client.post(ACKNOWLEDGE, json=body, headers=county.headers("county")), 422)
    assert any(field in map(str, e["loc"]) for e in problem["errors"])
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["msg"]) for e in problem["errors"])


def test_secretaries_cannot_acknowledge(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag = raised(client, county)
    assert_problem(client.post(ACKNOWLEDGE, json={"ids": [flag["id"]]}, headers=county.headers("secretary_a1")), 403)
