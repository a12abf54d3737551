"""Villagers' requests handled by supervisors: the list's filters, 办结 with a resolution, scope,
the overdue threshold the screens read, and the ``request_overdue`` flag the rules raise and
resolve. Requests arrive inside visits, through ``POST /api/v1/visits`` as a phone sends them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from api.flags.models import Flag
from api.flags.rules import run_time_rules
from api.requests.models import VillagerRequest
from api.settings import Settings
from tests.factories import TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_B1, County, make_county
from tests.problems import assert_problem

REQUESTS = "/api/v1/requests"


def record(client: TestClient, county: County, village: str, *requests: tuple[str, str]) -> list[str]:
    """A home visit in ``village`` by its secretary, raising ``requests`` (category, text); their ids."""
    who = {VILLAGE_A1: "secretary_a1", VILLAGE_B1: "secretary_b1"}[village]
    ids = [str(uuid.uuid4()) for _ in requests]
    body = {
        "id": str(uuid.uuid4()),
        "kind": "home_visit",
        "household_id": county.households[village].id,
        "started_at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(),
        "requests": [{"id": i, "category": c, "text": t} for i, (c, t) in zip(ids, requests, strict=True)],
    }
    response = client.post("/api/v1/visits", json=body, headers=county.headers(who))
    assert response.status_code == 201, response.text
    return ids


def age(session: Session, request_id: str, days: int) -> None:
    """Make a request look as if it reached the server ``days`` days ago."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    session.execute(
        update(VillagerRequest).where(col(VillagerRequest.id) == request_id).values(created_at=when, updated_at=when)
    )
    session.commit()


def listed(client: TestClient, county: County, who: str, **params: Any) -> list[str]:
    response = client.get(REQUESTS, params=params, headers=county.headers(who))
    assert response.status_code == 200, response.text
    return sorted(r["id"] for r in response.json()["items"])


def patch(client: TestClient, county: County, who: str, request_id: str, **body: Any) -> Any:
    return client.patch(f"{REQUESTS}/{request_id}", json=body, headers=county.headers(who))


def test_the_list_filters_by_status_category_place_and_age(client: TestClient, session: Session) -> None:
    county = make_county(session)
    road, water = record(client, county, VILLAGE_A1, ("道路水电", "村口路灯坏了"), ("就业增收", "想学电商"))
    [far] = record(client, county, VILLAGE_B1, ("道路水电", "水管漏水"))
    age(session, road, 40)
    assert patch(client, county, "county", water, status="in_progress").status_code == 200

    assert listed(client, county, "county") == sorted([road, water, far])
    assert listed(client, county, "county", status="open") == sorted([road, far])
    assert listed(client, county, "county", status=["open", "in_progress"]) == sorted([road, water, far])
    assert listed(client, county, "county", category="道路水电") == sorted([road, far])
    assert listed(client, county, "county", village_code=VILLAGE_B1) == [far]
    assert listed(client, county, "county", scope=TOWN_A) == sorted([road, water])
    assert listed(client, county, "county", older_than_days=30) == [road]
    assert listed(client, county, "county", older_than_days=30, status="in_progress") == []

    page = client.get(REQUESTS, params={"village_code": VILLAGE_A1}, headers=county.headers("town_a")).json()
    assert page["overdue_days"] == 30
    shown = {r["id"]: r for r in page["items"]}
    assert shown[road]["overdue"] is True
    assert shown[water]["overdue"] is False
    assert (shown[road]["village_name"], shown[road]["town_name"], shown[road]["head_name"]) == (
        "桃源村",
        "石门镇",
        "王建国",
    )
    assert "phone" not in shown[road]


def test_resolving_needs_a_resolution_and_the_visit_shows_the_outcome(client: TestClient, session: Session) -> None:
    county = make_county(session)
    [request_id] = record(client, county, VILLAGE_A1, ("道路水电", "村口路灯坏了"))

    for body in ({"status": "resolved"}, {"status": "resolved", "resolution": "  \n "}):
        refused = assert_problem(patch(client, county, "town_a", request_id, **body), 422)
        assert refused["errors"][0]["loc"] == ["body", "resolution"]
        assert "办理结果" in refused["detail"]
    assert_problem(patch(client, county, "town_a", request_id, status="resolved", resolution="修" * 2001), 422)
    assert_problem(patch(client, county, "town_a", request_id, status="open"), 422)
    assert_problem(patch(client, county, "inspector", request_id, status="in_progress"), 403)

    started = patch(client, county, "town_a", request_id, status="in_progress")
    assert started.status_code == 200, started.text
    assert (started.json()["status"], started.json()["resolved_at"]) == ("in_progress", None)
    done = patch(client, county, "town_a", request_id, status="resolved", resolution=" 已联系供电所更换路灯 ")
    assert done.status_code == 200, done.text
    assert done.json()["resolution"] == "已联系供电所更换路灯"
    assert done.json()["resolved_at"] is not None
    assert done.json()["updated_at"] == done.json()["resolved_at"]
    assert (done.json()["updated_by"], done.json()["updated_by_name"]) == (county.users["town_a"].id, "town_a")

    visits = client.get("/api/v1/visits", headers=county.headers("secretary_a1")).json()["items"]
    [shown] = visits[0]["requests"]
    assert (shown["status"], shown["resolution"]) == ("resolved", "已联系供电所更换路灯")


def test_a_town_neither_lists_nor_handles_another_towns_requests(client: TestClient, session: Session) -> None:
    county = make_county(session)
    [request_id] = record(client, county, VILLAGE_A1, ("道路水电", "村口路灯坏了"))

    assert listed(client, county, "town_b") == []
    assert_problem(client.get(REQUESTS, params={"village_code": VILLAGE_A1}, headers=county.headers("town_b")), 404)
    assert_problem(client.get(REQUESTS, params={"scope": TOWN_A}, headers=county.headers("town_b")), 404)
    assert listed(client, county, "town_b", scope=TOWN_B) == []
    missing = assert_problem(patch(client, county, "town_b", request_id, status="resolved", resolution="已办"), 404)
    assert "不在您的管辖范围内" in missing["detail"]
    assert_problem(patch(client, county, "secretary_b1", request_id, status="in_progress"), 404)
    assert listed(client, county, "town_a", status="open") == [request_id]


def overdue_flags(session: Session) -> list[Flag]:
    session.rollback()  # a fresh snapshot: SQLite keeps showing a read transaction what it first saw
    session.expire_all()
    return list(session.exec(select(Flag).where(Flag.kind == "request_overdue").order_by(col(Flag.id))))


def test_overdue_requests_raise_one_flag_per_village_resolved_once_all_are_resolved(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county = make_county(session)
    oldest, other, _fresh = record(client, county, VILLAGE_A1, ("住房", "危房"), ("教育", "助学金"), ("其他", "新的"))
    [elsewhere] = record(client, county, VILLAGE_B1, ("住房", "漏雨"))
    age(session, oldest, 45)
    age(session, other, 31)
    age(session, elsewhere, 29)

    def evaluate() -> tuple[int, int]:
        """How many request_overdue flags one run raised and resolved."""
        summary = run_time_rules(engine=engine, settings=settings)
        return summary.raised.get("request_overdue", 0), summary.resolved.get("request_overdue", 0)

    assert evaluate() == (1, 0)
    [flag] = overdue_flags(session)
    assert (flag.village_code, flag.status, flag.subject_id) == (VILLAGE_A1, "open", f"{VILLAGE_A1}:{oldest}")
    assert flag.evidence["requests"] == 2
    assert "桃源村有 2 条群众诉求超过 30 天未办结" in flag.detail
    assert evaluate() == (0, 0)

    assert patch(client, county, "town_a", oldest, status="resolved", resolution="已列入危房改造").status_code == 200
    assert evaluate() == (0, 0)  # another request is still overdue
    assert patch(client, county, "town_a", other, status="resolved", resolution="已发放").status_code == 200
    assert evaluate() == (0, 1)
    [flag] = overdue_flags(session)
    assert flag.status == "resolved"
    assert "已没有超过 30 天未办结的群众诉求" in (flag.note or "")
