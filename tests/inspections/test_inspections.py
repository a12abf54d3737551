"""Inspections: the sample, the answers, the rates, the flags, and who sees what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.flags.models import Flag
from api.inspections import sampling
from api.inspections.models import SampledHousehold
from tests.factories import TOWN_A, VILLAGE_A1, VILLAGE_B1, County, make_county, make_household, make_region
from tests.problems import assert_problem

NOW = datetime.now(UTC).replace(microsecond=0)


def _village(session: Session, visited: int, unvisited: int, village: str = VILLAGE_A1) -> tuple[set[int], set[int]]:
    """Households with a home visit 10 days ago and households last visited a year ago (or never)."""
    recent, old = set(), set()
    for n in range(visited):
        recent.add(
            make_household(session, village, f"v{n:03d}", f"走访户{n}", last_visit_at=NOW - timedelta(days=10)).id
        )
    for n in range(unvisited):
        last = NOW - timedelta(days=365) if n % 2 else None
        old.add(make_household(session, village, f"u{n:03d}", f"未访户{n}", last_visit_at=last).id)
    return recent, old  # type: ignore[return-value]


def _inspect(client: TestClient, county: County, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/inspections", json={"village_code": VILLAGE_A1, **body}, headers=county.headers("inspector")
    )
    assert response.status_code == 201, response.text
    return response.json()


def _answer(household_id: int, *, knows: bool = True, recalls: bool = True, satisfied: str = "yes") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "household_id": household_id,
        "reached": True,
        "knows_secretary": knows,
        "recalls_visit": recalls,
        "satisfied": satisfied,
    }


def _not_reached(household_id: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "household_id": household_id, "reached": False}


def _send(client: TestClient, county: County, inspection_id: int, answers: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/inspections/{inspection_id}/answers", json={"answers": answers}, headers=county.headers("inspector")
    )
    assert response.status_code == 200, response.text
    return response.json()


def _log_home_visits(client: TestClient, county: County, household_id: int, days_ago: list[float]) -> None:
    visits = [
        {
            "id": str(uuid.uuid4()),
            "kind": "home_visit",
            "household_id": household_id,
            "village_code": VILLAGE_A1,
            "started_at": (NOW - timedelta(days=d)).isoformat(),
        }
        for d in days_ago
    ]
    response = client.post("/api/v1/sync", json={"visits": visits}, headers=county.headers("secretary_a1"))
    assert {r["status"] for r in response.json()["results"]} == {"created"}, response.text


def _flags(session: Session, kind: str) -> list[Flag]:
    """The flags of a kind as committed now (ending the test session's earlier read snapshot)."""
    session.rollback()
    return list(session.exec(select(Flag).where(Flag.kind == kind)).all())


# --- the sample -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visited", "unvisited", "size", "expected"),
    [
        (10, 20, 8, (4, 4)),  # half and half
        (10, 20, 9, (5, 4)),  # the odd one goes to the households with visits
        (3, 20, 12, (3, 9)),  # too few with visits: the rest make up the number
        (25, 2, 10, (8, 2)),  # too few without
        (4, 3, 50, (4, 3)),  # a small village: everyone
    ],
)
def test_the_sample_is_stratified_as_far_as_the_village_allows(
    visited: int, unvisited: int, size: int, expected: tuple[int, int]
) -> None:
    households = [(n, True) for n in range(visited)] + [(1000 + n, False) for n in range(unvisited)]
    picked = sampling.draw(households, size, seed=42)
    assert (sum(v for _, v in picked), sum(not v for _, v in picked)) == expected
    assert len({h for h, _ in picked}) == len(picked)
    assert all((h, v) in households for h, v in picked)


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(client: TestClient, session: Session) -> None:
    county = make_county(session)
    recent, old = _village(session, visited=15, unvisited=25)
    first = _inspect(client, county, sample_size=10, seed=2026)
    again = _inspect(client, county, sample_size=10, seed=2026)
    other = _inspect(client, county, sample_size=10, seed=7)
    assert first["seed"] == 2026
    drawn = [h["household_id"] for h in first["households"]]
    assert drawn == [h["household_id"] for h in again["households"]]
    assert drawn != [h["household_id"] for h in other["households"]]
    assert len(set(drawn) & recent) == 5
    assert len(set(drawn) & old) == 5
    # the strata stored with the sample are the households' own state
    stored = session.exec(select(SampledHousehold).where(SampledHousehold.inspection_id == first["id"])).all()
    assert {s.household_id for s in stored if s.had_visits} == set(drawn) & recent
    # without a seed one is chosen, returned, and draws the same sample when given back
    unseeded = _inspect(client, county, sample_size=10)
    replay = _inspect(client, county, sample_size=10, seed=unseeded["seed"])
    assert [h["household_id"] for h in unseeded["households"]] == [h["household_id"] for h in replay["households"]]
    assert set(first["households"][0]) >= {"household_id", "head_name", "group_name", "address"}


def test_a_village_without_households_or_outside_the_scope_cannot_be_inspected(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    unknown = "520199100299"
    empty = make_region(session, "520199100203", "新建村", "village", TOWN_A).code
    response = client.post(
        "/api/v1/inspections",
        json={"village_code": "520199100202", "sample_size": 5},
        headers=county.headers("town_b"),
    )
    assert_problem(response, 404)
    response = client.post(
        "/api/v1/inspections", json={"village_code": unknown, "sample_size": 5}, headers=county.headers("inspector")
    )
    assert_problem(response, 422)
    response = client.post(
        "/api/v1/inspections", json={"village_code": empty, "sample_size": 5}, headers=county.headers("inspector")
    )
    assert "还没有农户名册" in assert_problem(response, 422)["detail"]
    response = client.post(
        "/api/v1/inspections", json={"village_code": VILLAGE_A1, "sample_size": 0}, headers=county.headers("inspector")
    )
    assert_problem(response, 422)
    response = client.post(
        "/api/v1/inspections",
        json={"village_code": VILLAGE_A1, "sample_size": 5},
        headers=county.headers("secretary_a1"),
    )
    assert_problem(response, 403)


# --- answers and rates ------------------------------------------------------------------------


def test_the_rates_equal_a_count_by_hand(client: TestClient, session: Session) -> None:
    county = make_county(session)
    _village(session, visited=6, unvisited=6)
    inspection = _inspect(client, county, sample_size=12, seed=1)
    ids = [h["household_id"] for h in inspection["households"]]
    with_visits = ids[:3]
    for household_id in with_visits:
        _log_home_visits(client, county, household_id, [5, 40])
    answers = [
        _answer(ids[0], knows=True, recalls=True, satisfied="yes"),
        _answer(ids[1], knows=True, recalls=False, satisfied="no"),  # denies 2 logged visits
        _answer(ids[2], knows=False, recalls=True, satisfied="unsure"),
        _answer(ids[3], knows=True, recalls=False, satisfied="yes"),  # nothing logged: no discrepancy
        _answer(ids[4], knows=False, recalls=False, satisfied="no"),
        _answer(ids[5], knows=True, recalls=True, satisfied="yes"),
        _not_reached(ids[6]),
        _not_reached(ids[7]),
    ]
    body = _send(client, county, inspection["id"], answers)
    assert [r["status"] for r in body["results"]] == ["created"] * 8
    result = body["inspection"]
    # reached 6; knows 4; with logged visits 3 (ids 0-2), of which 2 recall; satisfied "yes" 3
    assert (result["answered"], result["reached"]) == (8, 6)
    assert result["awareness_rate"] == round(4 / 6, 4)
    assert result["recall_rate"] == round(2 / 3, 4)
    assert result["satisfaction_rate"] == round(3 / 6, 4)
    assert result["discrepancies"] == [
        {
            "household_id": ids[1],
            "head_name": result_name(inspection, ids[1]),
            "logged_visits_90d": 2,
            "recalls_visit": False,
        }
    ]
    assert client.get(f"/api/v1/inspections/{inspection['id']}", headers=county.headers("county")).json() == result
    # Each sampled household carries its own answers, in the sample's order; the unanswered none.
    answered = {h["household_id"]: h["answer"] for h in result["households"]}
    assert [h["household_id"] for h in result["households"]] == ids
    assert {k: answered[ids[1]][k] for k in ("reached", "knows_secretary", "recalls_visit", "satisfied")} == {
        "reached": True,
        "knows_secretary": True,
        "recalls_visit": False,
        "satisfied": "no",
    }
    assert answered[ids[1]]["logged_visits_90d"] == 2
    assert answered[ids[6]]["reached"] is False
    assert answered[ids[6]]["knows_secretary"] is None
    assert [answered[i] for i in ids[8:]] == [None] * 4


def result_name(inspection: dict[str, Any], household_id: int) -> str:
    return next(h["head_name"] for h in inspection["households"] if h["household_id"] == household_id)


def test_a_denied_visit_raises_exactly_one_flag_even_when_the_answers_are_sent_twice(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    _village(session, visited=2, unvisited=0)
    inspection = _inspect(client, county, sample_size=2, seed=3)
    denied, other = (h["household_id"] for h in inspection["households"])
    _log_home_visits(client, county, denied, [3, 20, 70])
    _log_home_visits(client, county, denied, [120])  # outside the 90 days
    answers = [_answer(denied, recalls=False), _answer(other)]
    first = _send(client, county, inspection["id"], answers)
    again = _send(client, county, inspection["id"], answers)
    assert [r["status"] for r in again["results"]] == ["unchanged", "unchanged"]
    assert again["inspection"] == first["inspection"]
    flags = _flags(session, "visit_denied")
    assert len(flags) == 1
    [flag] = flags
    assert flag.village_code == VILLAGE_A1
    assert flag.user_id == county.users["secretary_a1"].id
    assert flag.evidence["logged_visits_90d"] == 3
    assert len(flag.evidence["visits"]) == 3
    assert flag.evidence["inspection_id"] == inspection["id"]
    # the same id with other content is a conflict; another id for an answered household too
    changed = {**answers[0], "satisfied": "no"}
    body = _send(client, county, inspection["id"], [changed, _answer(other)])
    assert [r["status"] for r in body["results"]] == ["conflict", "conflict"]
    assert len(_flags(session, "visit_denied")) == 1
    # an answer's id belongs to its inspection: the same answer sent to another one is refused
    elsewhere = _inspect(client, county, sample_size=2, seed=4)
    body = _send(client, county, elsewhere["id"], [answers[1]])
    assert body["results"][0]["status"] == "conflict"
    assert body["inspection"]["answered"] == 0


def test_answers_for_households_outside_the_sample_are_refused_and_bad_answers_write_nothing(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    _village(session, visited=3, unvisited=3)
    inspection = _inspect(client, county, sample_size=2, seed=5)
    sampled = {h["household_id"] for h in inspection["households"]}
    outsider = next(h for h in range(1, 100) if h not in sampled and h != 0)
    body = _send(client, county, inspection["id"], [_answer(outsider)])
    assert body["results"][0]["status"] == "rejected"
    assert "不在这次抽查的样本里" in body["results"][0]["detail"]
    incomplete = {**_answer(next(iter(sampled))), "knows_secretary": None}
    response = client.post(
        f"/api/v1/inspections/{inspection['id']}/answers",
        json={"answers": [_answer(next(iter(sampled))), incomplete]},
        headers=county.headers("inspector"),
    )
    assert_problem(response, 422)
    assert response.json()["errors"]
    after = client.get(f"/api/v1/inspections/{inspection['id']}", headers=county.headers("inspector")).json()
    assert after["answered"] == 0


def test_low_awareness_is_raised_once_when_every_sampled_household_has_answered(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    _village(session, visited=3, unvisited=2)
    inspection = _inspect(client, county, sample_size=5, seed=9)
    ids = [h["household_id"] for h in inspection["households"]]
    _send(client, county, inspection["id"], [_answer(ids[0], knows=False), _answer(ids[1], knows=False)])
    assert _flags(session, "low_awareness") == []  # not finished yet
    _send(client, county, inspection["id"], [_answer(i) for i in ids[2:4]] + [_not_reached(ids[4])])
    [flag] = _flags(session, "low_awareness")
    assert flag.evidence["awareness_rate"] == 0.5
    assert flag.user_id == county.users["secretary_a1"].id  # the first secretary the villagers should know
    assert flag.evidence["reached"] == 4
    client.post(f"/api/v1/inspections/{inspection['id']}/publish", headers=county.headers("inspector"))
    assert len(_flags(session, "low_awareness")) == 1

    good = _inspect(client, county, sample_size=5, seed=10)
    _send(client, county, good["id"], [_answer(h["household_id"]) for h in good["households"]])
    assert len(_flags(session, "low_awareness")) == 1


def test_the_village_dashboard_shows_the_latest_inspection_with_answers(client: TestClient, session: Session) -> None:
    county = make_county(session)
    _village(session, visited=2, unvisited=2)

    def awareness() -> float | None:
        rows = client.get("/api/v1/dashboard/villages", headers=county.headers("county")).json()["items"]
        return next(r["awareness_rate"] for r in rows if r["village_code"] == VILLAGE_A1)

    assert awareness() is None
    older = _inspect(client, county, sample_size=4, seed=1)
    ids = [h["household_id"] for h in older["households"]]
    _send(client, county, older["id"], [_answer(ids[0]), _answer(ids[1], knows=False), _answer(ids[2], knows=False)])
    assert awareness() == round(1 / 3, 4)
    newer = _inspect(client, county, sample_size=4, seed=2)
    assert awareness() == round(1 / 3, 4)  # no answers yet: the older one still stands
    _send(client, county, newer["id"], [_not_reached(newer["households"][0]["household_id"])])
    assert awareness() == round(1 / 3, 4)  # nobody reached
    _send(client, county, newer["id"], [_answer(newer["households"][1]["household_id"])])
    assert awareness() == 1.0


# --- who sees what ---------------------------------------------------------------------------


def test_an_undercover_inspection_is_hidden_from_the_secretaries_until_published(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    _village(session, visited=2, unvisited=2)
    secret = _inspect(client, county, sample_size=4, seed=1, mode="undercover")
    announced = _inspect(client, county, sample_size=4, seed=1, mode="open")
    _send(client, county, secret["id"], [_answer(h["household_id"]) for h in secret["households"]])
    secretary = county.headers("secretary_a1")

    listed = client.get("/api/v1/inspections", headers=secretary).json()["items"]
    assert [i["id"] for i in listed] == [announced["id"]]
    assert_problem(client.get(f"/api/v1/inspections/{secret['id']}", headers=secretary), 404)
    seen = client.get(f"/api/v1/inspections/{announced['id']}", headers=secretary).json()
    assert seen["households"] is None  # nobody can be coached
    assert_problem(client.get(f"/api/v1/inspections/{secret['id']}", headers=county.headers("secretary_b1")), 404)

    response = client.post(f"/api/v1/inspections/{secret['id']}/publish", headers=county.headers("inspector"))
    assert response.status_code == 200
    assert response.json()["published_at"]
    shown = client.get(f"/api/v1/inspections/{secret['id']}", headers=secretary).json()
    assert shown["awareness_rate"] == 1.0
    assert len(shown["households"]) == 4
    assert {i["id"] for i in client.get("/api/v1/inspections", headers=secretary).json()["items"]} == {
        secret["id"],
        announced["id"],
    }
    assert_problem(client.post(f"/api/v1/inspections/{secret['id']}/publish", headers=secretary), 403)
    assert_problem(
        client.post(f"/api/v1/inspections/{secret['id']}/answers", json={"answers": [_answer(1)]}, headers=secretary),
        403,
    )


def test_an_api_token_reads_inspections_in_its_scope_and_cannot_write(client: TestClient, session: Session) -> None:
    county = make_county(session)
    _village(session, visited=2, unvisited=2)
    make_household(session, VILLAGE_B1, "9", "外村户")
    inspection = _inspect(client, county, sample_size=2, seed=1)
    other = client.post(
        "/api/v1/inspections", json={"village_code": VILLAGE_B1, "sample_size": 1}, headers=county.headers("county")
    ).json()
    created = client.post(
        "/api/v1/api-tokens",
        json={"name": "石门镇督查脚本", "scope_code": "520199100000"},
        headers=county.headers("county"),
    )
    assert created.status_code == 201, created.text
    token = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get(f"/api/v1/inspections/{inspection['id']}", headers=token).status_code == 200
    assert_problem(client.get(f"/api/v1/inspections/{other['id']}", headers=token), 404)
    assert [i["id"] for i in client.get("/api/v1/inspections", headers=token).json()["items"]] == [inspection["id"]]
    response = client.post("/api/v1/inspections", json={"village_code": VILLAGE_A1, "sample_size": 2}, headers=token)
    assert_problem(response, 403)
    assert_problem(
        client.post(f"/api/v1/inspections/{inspection['id']}/answers", json={"answers": [_answer(1)]}, headers=token),
        403,
    )


def test_the_inspection_list_pages_newest_first(client: TestClient, session: Session) -> None:
    county = make_county(session)
    _village(session, visited=1, unvisited=1)
    made = [_inspect(client, county, sample_size=1, seed=n)["id"] for n in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/inspections", params=params, headers=county.headers("county")).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(made, reverse=True)
    assert session.exec(select(SampledHousehold).where(col(SampledHousehold.inspection_id).in_(made))).all()
