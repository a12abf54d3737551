"""The summary above the villages (``GET /dashboard/areas``), the cue colours it counts, and the
whole-scope overview export sent as it is counted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.db import utcnow
from api.oversight import dashboard, summary
from api.oversight.cue import cue
from api.oversight.models import VillageSummary
from api.oversight.summary import refresh
from api.settings import Settings
from tests.factories import COUNTY, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_B1, make_county, make_region
from tests.oversight.test_dashboard import random_workload

AREAS = "/api/v1/dashboard/areas"


def _villages(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/dashboard/villages?days=90&limit=500", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _added_up(villages: list[dict[str, Any]], town: str) -> dict[str, Any]:
    """A town's totals from the village rows, as the overview's towns table adds them."""
    rows = [v for v in villages if v["town_code"] == town]
    posted = [v for v in rows if v["secretaries"]]
    households = sum(v["households"] for v in posted)
    visited = sum(v["households_visited"] for v in posted)
    return {
        "code": town,
        "villages": len(rows),
        "posted_villages": len(posted),
        "weak_lax_villages": sum(v["weak_lax"] for v in rows),
        "households": households,
        "households_visited": visited,
        "coverage": round(visited / households, 4) if households else None,
        "visits": sum(v["visits"] for v in posted),
        "home_visits": sum(v["home_visits"] for v in posted),
        "red": sum(v["cue"] == "red" for v in posted),
        "amber": sum(v["cue"] == "amber" for v in posted),
        "green": sum(v["cue"] == "green" for v in posted),
        "open_flags": sum(v["open_flags"] for v in posted),
        "open_requests": sum(v["open_requests"] for v in posted),
    }


def _without_names(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "name"} for row in summary["items"]]


def test_the_summary_adds_up_the_village_rows_counted_live_or_kept(
    client: TestClient, session: Session, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary, "CHUNK", 2)  # three villages counted live: in two chunks
    county = make_county(session)
    random_workload(client, session, county, seed=17)
    headers = county.headers("county")
    villages = _villages(client, headers)
    expected = [_added_up(villages, TOWN_A), _added_up(villages, TOWN_B)]
    assert expected[0]["visits"] > 0
    assert expected[0]["households"] > 0

    before = utcnow()
    live = client.get(f"{AREAS}?by=town", headers=headers).json()
    assert session.exec(select(VillageSummary)).all() == [], "a read keeps nothing"
    assert _without_names(live) == expected
    assert [row["name"] for row in live["items"]] == ["石门镇", "龙泉乡"]
    assert live["by"] == "town"
    assert live["days"] == 90
    assert dt.datetime.fromisoformat(live["as_of"]) >= before

    counted_at = utcnow() - dt.timedelta(minutes=5)
    assert refresh(engine, tz=settings.tz, now=counted_at) == 3
    kept = client.get(f"{AREAS}?by=town", headers=headers).json()
    assert _without_names(kept) == expected
    assert dt.datetime.fromisoformat(kept["as_of"]) == counted_at

    [whole] = client.get(AREAS, headers=headers).json()["items"]
    assert whole["code"] == COUNTY
    assert whole["name"] == "青山县"
    assert whole["villages"] == 3
    assert whole["visits"] == expected[0]["visits"] + expected[1]["visits"]


def test_kept_figures_wait_for_the_next_count_and_a_new_village_is_counted_live(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county = make_county(session)
    headers = county.headers("county")
    counted_at = utcnow() - dt.timedelta(minutes=30)
    refresh(engine, tz=settings.tz, now=counted_at)
    visit = {
        "id": str(uuid.uuid4()),
        "kind": "home_visit",
        "household_id": county.households[VILLAGE_A1].id,
        "village_code": VILLAGE_A1,
        "started_at": utcnow().isoformat(),
        "lat": 26.5,
        "lon": 106.7,
    }
    sent = client.post("/api/v1/sync", json={"visits": [visit]}, headers=county.headers("secretary_a1"))
    assert sent.status_code == 200, sent.text
    make_region(session, "520199101202", "新建村", "village", TOWN_B)

    summary = client.get(f"{AREAS}?by=town", headers=headers).json()
    town_a, town_b = summary["items"]
    assert town_a["visits"] == 0, "the kept figures are the last count's"
    assert town_b["villages"] == 2, "the village added since is counted live"
    assert dt.datetime.fromisoformat(summary["as_of"]) == counted_at

    refresh(engine, tz=settings.tz)
    town_a, _ = client.get(f"{AREAS}?by=town", headers=headers).json()["items"]
    assert (town_a["visits"], town_a["households_visited"]) == (1, 1)


def test_the_summary_keeps_to_the_readers_scope(client: TestClient, session: Session) -> None:
    county = make_county(session)
    town_b = client.get(f"{AREAS}?by=town", headers=county.headers("town_b")).json()
    assert [row["code"] for row in town_b["items"]] == [TOWN_B]
    narrowed = client.get(f"{AREAS}?by=town&scope={TOWN_A}", headers=county.headers("admin")).json()
    assert [row["code"] for row in narrowed["items"]] == [TOWN_A]
    assert client.get(f"{AREAS}?scope={TOWN_A}", headers=county.headers("town_b")).status_code == 404
    assert client.get(AREAS, headers=county.headers("secretary_a1")).status_code == 403
    partial = client.get(AREAS, headers=county.headers("town_b"))  # by=county inside one town
    assert partial.status_code == 422
    assert "by=town" in partial.json()["detail"]
    wrong = client.get(f"{AREAS}?by=village", headers=county.headers("county"))
    assert wrong.status_code == 422
    assert wrong.headers["content-type"].startswith("application/problem+json")
    empty = client.get(f"{AREAS}?scope=110000", headers=county.headers("admin")).json()
    assert empty == {"by": "county", "days": 90, "as_of": None, "items": []}


NOW = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({"posted": False}, "none"),
        ({}, "green"),
        ({"coverage": 0.5999}, "red"),
        ({"coverage": None}, "red"),
        ({"presence_days_30": 19}, "red"),
        ({"last_visit_at": NOW - dt.timedelta(days=14, minutes=1)}, "red"),
        ({"last_visit_at": None}, "red"),
        ({"coverage": 0.6}, "amber"),
        ({"coverage": 0.7999}, "amber"),
        ({"presence_days_30": 20}, "amber"),
        ({"presence_days_30": 24}, "amber"),
        ({"open_flags": 1}, "amber"),
        ({"last_visit_at": NOW - dt.timedelta(days=14)}, "green"),
        ({"coverage": 0.8, "presence_days_30": 25}, "green"),
    ],
)
def test_the_cue_colour_at_its_edges(figures: dict[str, Any], expected: str) -> None:
    village = {
        "posted": True,
        "coverage": 0.9,
        "presence_days_30": 28,
        "last_visit_at": NOW - dt.timedelta(days=1),
        "open_flags": 0,
    }
    assert cue(**{**village, **figures}, now=NOW) == expected


def test_the_whole_scope_export_is_sent_a_chunk_at_a_time(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = make_county(session)
    random_workload(client, session, county, seed=23)
    monkeypatch.setattr(dashboard, "CHUNK", 2)  # three villages: two chunks
    headers = county.headers("county")
    villages = {v["village_code"]: v for v in _villages(client, headers)}
    with client.stream("GET", "/api/v1/dashboard/villages?format=csv", headers=headers) as answer:
        assert answer.status_code == 200
        pieces = [piece for piece in answer.iter_raw() if piece]
    assert len(pieces) == 3, "the header, then each chunk as it was counted"
    table = list(csv.DictReader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    assert [r["村代码"] for r in table] == sorted(villages)
    for row in table:
        assert int(row["走访次数"]) == villages[row["村代码"]]["visits"]
        assert int(row["农户数"]) == villages[row["村代码"]]["households"]
    b1 = next(r for r in table if r["村代码"] == VILLAGE_B1)
    assert b1["第一书记"] == villages[VILLAGE_B1]["secretaries"][0]["display_name"]
