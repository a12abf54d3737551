"""Dashboards: rollups that stay exact under any arrival order, and numbers a recount confirms."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, inspect
from sqlmodel import Session, select

from api.checkins.models import Checkin
from api.clock import monday_of
from api.flags.models import Flag
from api.households.models import Household
from api.migrations import alembic_config, upgrade
from api.oversight.models import PresenceDay, VillageActivity, VisitDay, VisitWeek
from api.oversight.rollups import presence_of
from api.settings import Settings
from api.visits.models import Visit
from tests.factories import TOWN_A, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county, make_household
from tests.visits.test_visits import NOW


def random_workload(client: TestClient, session: Session, county: County, seed: int) -> None:
    """Visits and check-ins over 120 days, sent in shuffled batches with resends of earlier items."""
    rng = random.Random(seed)
    households = [county.households[VILLAGE_A1].id] + [
        make_household(session, VILLAGE_A1, f"{n:04d}", f"农户{n}").id for n in range(2, 12)
    ]
    visits: list[dict[str, Any]] = []
    for _ in range(80):
        at = NOW - timedelta(days=rng.uniform(0, 120), minutes=rng.randrange(1, 600))
        home = rng.random() < 0.7
        visits.append(
            {
                "id": str(uuid.uuid4()),
                "kind": "home_visit" if home else rng.choice(["group_talk", "meeting", "log"]),
                "household_id": rng.choice(households) if home else None,
                "village_code": VILLAGE_A1,
                "started_at": at.isoformat(),
                "lat": 26.5,
                "lon": 106.7,
            }
        )
    checkins: list[dict[str, Any]] = []
    for _ in range(60):
        at = NOW - timedelta(days=rng.uniform(0, 40), hours=rng.uniform(0, 24))
        far = rng.random() < 0.15  # checked in from the county town: no presence
        checkins.append(
            {
                "id": str(uuid.uuid4()),
                "village_code": VILLAGE_A1,
                "at": at.isoformat(),
                "lat": 26.6 if far else 26.5,
                "lon": 106.7,
            }
        )
    rng.shuffle(visits)
    rng.shuffle(checkins)
    sent_v: list[dict[str, Any]] = []
    sent_c: list[dict[str, Any]] = []
    while visits or checkins:
        batch_v = [visits.pop() for _ in range(min(len(visits), rng.randrange(1, 15)))]
        batch_c = [checkins.pop() for _ in range(min(len(checkins), rng.randrange(0, 10)))]
        resend_v = rng.sample(sent_v, min(len(sent_v), rng.randrange(0, 4)))
        resend_c = rng.sample(sent_c, min(len(sent_c), rng.randrange(0, 3)))
        body = {"visits": batch_v + resend_v + batch_v[:1], "checkins": batch_c + resend_c}
        response = client.post("/api/v1/sync", json=body, headers=county.headers("secretary_a1"))
        assert response.status_code == 200, response.text
        statuses = Counter(r["status"] for r in response.json()["results"])
        assert statuses["created"] == len(batch_v) + len(batch_c), statuses
        sent_v += batch_v
        sent_c += batch_c


def test_rollups_equal_a_recount_after_a_random_workload(
    client: TestClient, session: Session, settings: Settings
) -> None:
    county = make_county(session)
    random_workload(client, session, county, seed=20261201)
    session.expire_all()
    tz = settings.tz

    visits = session.exec(select(Visit)).all()
    expected_days: Counter[tuple[str, date, int]] = Counter()
    expected_homes: Counter[tuple[str, date, int]] = Counter()
    for v in visits:
        key = (v.village_code, v.started_at.astimezone(tz).date(), v.user_id)
        expected_days[key] += 1
        expected_homes[key] += v.kind == "home_visit"
    rollup = session.exec(select(VisitDay)).all()
    assert {(r.village_code, r.day, r.user_id): r.visits for r in rollup} == dict(expected_days)
    assert {(r.village_code, r.day, r.user_id): r.home_visits for r in rollup} == dict(expected_homes)
    assert sum(r.visits for r in rollup) == len(visits) == 80
    expected_weeks: Counter[tuple[str, date, int]] = Counter()
    for (village, day, user), n in expected_days.items():
        expected_weeks[(village, monday_of(day), user)] += n
    weeks = {(r.village_code, r.week, r.user_id): r.visits for r in session.exec(select(VisitWeek)).all()}
    assert weeks == dict(expected_weeks)
    assert len(weeks) < len(rollup), "the workload should put several days in one week"

    [activity] = session.exec(select(VillageActivity)).all()
    assert activity.last_visit_at == max(v.started_at for v in visits)

    expected_presence = {
        (c.village_code, day, c.user_id, night)
        for c in session.exec(select(Checkin)).all()
        if "off_site" not in c.checks
        for day, night in presence_of(c.at, tz=tz)
    }
    presence = {(p.village_code, p.day, p.user_id, p.night) for p in session.exec(select(PresenceDay)).all()}
    assert presence == expected_presence
    assert any(night for *_, night in presence), "the workload should include nights"


def test_the_rollup_migrations_rebuild_exactly_what_the_live_code_wrote(
    client: TestClient, session: Session, engine: Engine
) -> None:
    """Migrations 0004 and 0006 fill the rollups from records stored before them."""
    county = make_county(session)
    random_workload(client, session, county, seed=11)

    def rollup_rows() -> dict[str, list[tuple[Any, ...]]]:
        with Session(engine) as fresh:
            return {
                model.__tablename__: sorted(tuple(row) for row in fresh.execute(select(model.__table__)).all())  # type: ignore[attr-defined]
                for model in (VisitDay, VisitWeek, PresenceDay, VillageActivity)
            }

    written = rollup_rows()
    session.close()
    try:
        command.downgrade(alembic_config(engine), "20261127_0003")
        assert "visit_week" not in inspect(engine).get_table_names()
    finally:
        upgrade(engine)
    assert rollup_rows() == written
    assert all(written.values())


def test_a_check_in_at_night_counts_for_the_evening_it_began(settings: Settings) -> None:
    tz = settings.tz
    late = datetime(2026, 11, 30, 22, 30, tzinfo=tz)
    early = datetime(2026, 12, 1, 5, 30, tzinfo=tz)
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=tz)
    assert presence_of(late, tz=tz) == [(date(2026, 11, 30), False), (date(2026, 11, 30), True)]
    assert presence_of(early, tz=tz) == [(date(2026, 12, 1), False), (date(2026, 11, 30), True)]
    assert presence_of(noon, tz=tz) == [(date(2026, 12, 1), False)]


def test_village_dashboard_matches_a_count_from_the_raw_records(
    client: TestClient, session: Session, settings: Settings
) -> None:
    county = make_county(session)
    random_workload(client, session, county, seed=7)
    session.expire_all()
    tz = settings.tz
    today = datetime.now(tz).date()
    response = client.get("/api/v1/dashboard/villages?days=90", headers=county.headers("county"))
    assert response.status_code == 200, response.text
    rows = {r["village_code"]: r for r in response.json()["items"]}
    assert set(rows) == {VILLAGE_A1, VILLAGE_A2, VILLAGE_B1}

    window = datetime.combine(today - timedelta(days=89), datetime.min.time(), tzinfo=tz)
    visits = session.exec(select(Visit)).all()
    in_window = [v for v in visits if v.started_at >= window]
    homes = session.exec(select(Household).where(Household.village_code == VILLAGE_A1)).all()
    visited = {v.household_id for v in in_window if v.kind == "home_visit"}
    present_days = {
        c.at.astimezone(tz).date()
        for c in session.exec(select(Checkin)).all()
        if "off_site" not in c.checks and c.at.astimezone(tz).date() > today - timedelta(days=30)
    }
    a1 = rows[VILLAGE_A1]
    assert a1["households"] == len(homes) == 11
    assert a1["households_visited"] == len(visited)
    assert a1["coverage"] == round(len(visited) / len(homes), 4)
    assert a1["visits"] == len(in_window)
    assert a1["home_visits"] == sum(v.kind == "home_visit" for v in in_window)
    assert datetime.fromisoformat(a1["last_visit_at"]) == max(v.started_at for v in visits)
    assert a1["presence_days_30"] == len(present_days)
    assert a1["open_flags"] == sum(1 for _ in _open_flags(session, VILLAGE_A1))
    assert a1["town_name"]
    assert a1["village_name"] == "桃源村"
    assert [s["user_id"] for s in a1["secretaries"]] == [county.users["secretary_a1"].id]
    assert a1["awareness_rate"] is None
    empty = rows[VILLAGE_A2]
    assert (empty["households"], empty["households_visited"], empty["visits"], empty["last_visit_at"]) == (
        1,
        0,
        0,
        None,
    )
    assert empty["weak_lax"] is True
    assert empty["secretaries"] == []


def _open_flags(session: Session, village: str) -> list[Any]:
    return list(session.exec(select(Flag).where(Flag.village_code == village, Flag.status == "open")).all())


def test_secretary_dashboard_counts_visits_per_calendar_week(
    client: TestClient, session: Session, settings: Settings
) -> None:
    county = make_county(session)
    random_workload(client, session, county, seed=11)
    session.expire_all()
    tz = settings.tz
    today = datetime.now(tz).date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=11)
    response = client.get("/api/v1/dashboard/secretaries?weeks=12", headers=county.headers("town_a"))
    assert response.status_code == 200, response.text
    [row] = response.json()["items"]
    assert row["user_id"] == county.users["secretary_a1"].id
    expected = [0] * 12
    for v in session.exec(select(Visit)).all():
        day = v.started_at.astimezone(tz).date()
        if day >= first:
            expected[(day - first).days // 7] += 1
    assert row["visits_per_week"] == expected
    assert sum(expected) > 0
    assert row["dispatch_unit"] == "县财政局"


def test_dashboards_keep_to_the_readers_scope(client: TestClient, session: Session) -> None:
    county = make_county(session)
    town = client.get("/api/v1/dashboard/villages", headers=county.headers("town_b")).json()
    assert [r["village_code"] for r in town["items"]] == [VILLAGE_B1]
    narrowed = client.get(f"/api/v1/dashboard/villages?scope={TOWN_A}", headers=county.headers("county")).json()
    assert sorted(r["village_code"] for r in narrowed["items"]) == [VILLAGE_A1, VILLAGE_A2]
    outside = client.get(f"/api/v1/dashboard/villages?scope={TOWN_A}", headers=county.headers("town_b"))
    assert outside.status_code in (403, 404)
    assert client.get("/api/v1/dashboard/villages", headers=county.headers("secretary_a1")).status_code == 403
    paged = client.get("/api/v1/dashboard/villages?limit=2", headers=county.headers("county")).json()
    assert len(paged["items"]) == 2
    assert paged["next_cursor"]
    rest = client.get(
        f"/api/v1/dashboard/villages?limit=2&cursor={paged['next_cursor']}", headers=county.headers("county")
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/dashboard/secretaries?weeks=0", headers=county.headers("county")).status_code == 422


def test_the_overview_exports_as_csv_and_xlsx_with_the_same_numbers(
    client: TestClient, session: Session, settings: Settings
) -> None:
    county = make_county(session)
    random_workload(client, session, county, seed=3)
    headers = county.headers("county")
    rows = {r["village_code"]: r for r in client.get("/api/v1/dashboard/villages", headers=headers).json()["items"]}

    csv_answer = client.get("/api/v1/dashboard/villages?format=csv", headers=headers)
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_answer.headers["content-disposition"]
    text = csv_answer.content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert {r["村代码"] for r in table} == set(rows)
    a1 = next(r for r in table if r["村代码"] == VILLAGE_A1)
    assert int(a1["走访次数"]) == rows[VILLAGE_A1]["visits"]
    assert int(a1["走访户数"]) == rows[VILLAGE_A1]["households_visited"]

    xlsx_answer = client.get("/api/v1/dashboard/villages?format=xlsx", headers=headers)
    assert xlsx_answer.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_answer.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["乡镇", "村", "村代码"]
    by_code = {r[2]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_code[VILLAGE_A1]["覆盖率"] == rows[VILLAGE_A1]["coverage"]
    assert by_code[VILLAGE_A1]["农户数"] == rows[VILLAGE_A1]["households"]
    assert sheet.cell(row=2, column=header.index("覆盖率") + 1).number_format == "0.0%"
    assert sheet.freeze_panes == "A2"


def test_village_and_secretary_pages(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    random_workload(client, session, county, seed=5)
    session.expire_all()
    tz = settings.tz
    today = datetime.now(tz).date()
    headers = county.headers("town_a")
    page = client.get(f"/api/v1/dashboard/villages/{VILLAGE_A1}?days=90&weeks=12", headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    visits = session.exec(select(Visit)).all()
    window = datetime.combine(today - timedelta(days=89), datetime.min.time(), tzinfo=tz)
    assert len(body["visit_points"]) == sum(v.started_at >= window for v in visits)
    assert (body["lat"], body["lon"], body["radius_m"]) == (26.5, 106.7, 1500)
    assert sum(body["visits_per_week"]) == sum(
        v.started_at.astimezone(tz).date() >= today - timedelta(days=today.weekday(), weeks=11) for v in visits
    )
    assert client.get(f"/api/v1/dashboard/villages/{VILLAGE_B1}", headers=headers).status_code == 404

    secretary = county.users["secretary_a1"].id
    page = client.get(f"/api/v1/dashboard/secretaries/{secretary}", headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    grid = [[0] * 24 for _ in range(7)]
    for v in visits:
        local = v.started_at.astimezone(tz)
        if local >= window:
            grid[local.weekday()][local.hour] += 1
    assert body["punch_card"] == grid
    on_site_days = {
        c.at.astimezone(tz).date()
        for c in session.exec(select(Checkin)).all()
        if "off_site" not in c.checks and c.at >= window
    }
    assert {date.fromisoformat(m["day"]) for m in body["presence"] if m["day_present"]} == on_site_days
    assert [p["village_code"] for p in body["postings"]] == [VILLAGE_A1]
    other = county.users["secretary_b1"].id
    assert client.get(f"/api/v1/dashboard/secretaries/{other}", headers=headers).status_code == 404
