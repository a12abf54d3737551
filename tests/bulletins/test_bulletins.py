"""The quarterly bulletin: every number against a count by hand, in JSON, CSV, XLSX and HTML."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, col

from api.assignments.models import Assignment
from api.bulletins.quarters import Quarter
from api.flags.models import Flag
from api.inspections.models import Inspection
from api.requests.models import VillagerRequest
from api.settings import Settings
from tests.factories import (
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    County,
    make_county,
    make_household,
    make_region,
    make_user,
)
from tests.problems import assert_problem

UNPOSTED = "520199100203"


def _at(day: date, hour: int, tz: ZoneInfo) -> str:
    return datetime.combine(day, time(hour), tzinfo=tz).isoformat()


def _visit(village: str, day: date, tz: ZoneInfo, household: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "home_visit" if household else "meeting",
        "household_id": household,
        "village_code": village,
        "started_at": _at(day, 10, tz),
        **extra,
    }


def _sync(client: TestClient, county: County, who: str, **records: list[dict[str, Any]]) -> None:
    response = client.post("/api/v1/sync", json=records, headers=county.headers(who))
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["results"]} == {"created"}, response.text


def _move(session: Session, model: Any, column: Any, when: datetime, *where: Any) -> None:
    """Put records made just now back into the quarter under test (the server stamps them now)."""
    session.execute(update(model).where(*where).values({column: when}))
    session.commit()


@pytest.fixture
def quarter(settings: Settings) -> Quarter:
    """The last finished quarter, so every record in it lies in the past."""
    return Quarter.of(datetime.now(settings.tz).date()).previous


@pytest.fixture
def county_quarter(client: TestClient, session: Session, settings: Settings, quarter: Quarter) -> County:
    """Three villages' quarter, small enough to count by hand (see the expected figures below)."""
    tz = settings.tz
    county = make_county(session)
    a1 = [county.households[VILLAGE_A1].id] + [
        make_household(session, VILLAGE_A1, f"{n}", f"户{n}").id for n in (2, 3, 4)
    ]
    make_household(session, VILLAGE_A2, "2", "白岩二户")
    # 白岩村 has a team member and no visits; 新寨村 has nobody posted, so it is not ranked.
    team = make_user(session, "team_a2", "secretary", VILLAGE_A2)
    assert team.id is not None
    session.add(
        Assignment(
            user_id=team.id,
            village_code=VILLAGE_A2,
            position="team_member",
            dispatch_unit="县林业局",
            start_date=quarter.previous.first_day,
        )
    )
    make_region(session, UNPOSTED, "新寨村", "village", TOWN_A)
    make_household(session, UNPOSTED, "1", "新寨一户")
    b1 = [county.households[VILLAGE_B1].id, make_household(session, VILLAGE_B1, "2", "龙井二户").id]
    day = quarter.first_day + timedelta(days=10)
    earlier = quarter.previous.first_day + timedelta(days=20)
    on_site = {"lat": 26.5, "lon": 106.7}
    request = {"id": str(uuid.uuid4()), "category": "道路", "text": "村口的路坏了"}
    request_2 = {"id": str(uuid.uuid4()), "category": "医疗", "text": "想办慢病卡"}
    _sync(
        client,
        county,
        "secretary_a1",
        visits=[
            _visit(VILLAGE_A1, day, tz, a1[0], requests=[request], **on_site),
            _visit(VILLAGE_A1, day + timedelta(days=30), tz, a1[0], **on_site),
            _visit(VILLAGE_A1, day + timedelta(days=31), tz, a1[1], requests=[request_2], **on_site),
            _visit(VILLAGE_A1, day + timedelta(days=32), tz, None, **on_site),
            _visit(VILLAGE_A1, earlier, tz, a1[0], **on_site),  # the previous quarter
        ],
        checkins=[
            {"id": str(uuid.uuid4()), "village_code": VILLAGE_A1, "at": _at(d, h, tz), **on_site}
            for d, h in ((day, 9), (day, 15), (day + timedelta(days=1), 9), (day + timedelta(days=40), 9))
        ],
    )
    _sync(client, county, "secretary_b1", visits=[_visit(VILLAGE_B1, day, tz, b1[0])])
    in_quarter = datetime.combine(day, time(12), tzinfo=tz).astimezone(UTC)
    _move(
        session,
        VillagerRequest,
        VillagerRequest.created_at,
        in_quarter,
        col(VillagerRequest.village_code) == VILLAGE_A1,
    )
    resolved = client.patch(
        f"/api/v1/requests/{request['id']}",
        json={"status": "resolved", "resolution": "已修好"},
        headers=county.headers("secretary_a1"),
    )
    assert resolved.status_code == 200, resolved.text

    for village, detail, status in (
        (VILLAGE_A1, "电话回访：村民不认识书记", "open"),
        (VILLAGE_A1, "走访记录与实际不符", "resolved"),
        (VILLAGE_B1, "驻村时间不足", "acknowledged"),
    ):
        made = client.post(
            "/api/v1/flags",
            json={"kind": "manual", "village_code": village, "detail": detail},
            headers=county.headers("county"),
        )
        assert made.status_code == 201, made.text
        if status != "open":
            note = {"status": status, "note": "已核实"}
            handled = client.patch(f"/api/v1/flags/{made.json()['id']}", json=note, headers=county.headers("county"))
            assert handled.status_code == 200, handled.text
    _move(session, Flag, Flag.raised_at, in_quarter, col(Flag.kind) == "manual")

    inspection = client.post(
        "/api/v1/inspections",
        json={"village_code": VILLAGE_A1, "sample_size": 3, "seed": 1},
        headers=county.headers("inspector"),
    ).json()
    answers = [
        {"id": str(uuid.uuid4()), "household_id": h["household_id"], "reached": reached, **extra}
        for h, reached, extra in zip(
            inspection["households"],
            (True, True, False),
            (
                {"knows_secretary": True, "recalls_visit": True, "satisfied": "yes"},
                {"knows_secretary": False, "recalls_visit": True, "satisfied": "unsure"},
                {},
            ),
            strict=True,
        )
    ]
    sent = client.post(
        f"/api/v1/inspections/{inspection['id']}/answers",
        json={"answers": answers},
        headers=county.headers("inspector"),
    )
    assert sent.status_code == 200, sent.text
    _move(session, Inspection, Inspection.created_at, in_quarter, col(Inspection.id) == inspection["id"])
    return county


def _days(quarter: Quarter) -> int:
    return (quarter.next.first_day - quarter.first_day).days


def test_the_bulletin_equals_a_count_by_hand(client: TestClient, county_quarter: County, quarter: Quarter) -> None:
    response = client.get(f"/api/v1/bulletins/{quarter}", headers=county_quarter.headers("county"))
    assert response.status_code == 200, response.text
    b = response.json()
    days = _days(quarter)
    assert b["quarter"] == str(quarter)
    assert b["complete"] is True
    assert (b["period_start"], b["period_end"]) == (
        quarter.first_day.isoformat(),
        (quarter.next.first_day - timedelta(days=1)).isoformat(),
    )
    villages = {v["code"]: v for v in b["villages"]}
    assert UNPOSTED not in villages
    assert b["unposted_villages"] == 1
    a1, a2, b1 = villages[VILLAGE_A1], villages[VILLAGE_A2], villages[VILLAGE_B1]
    # 桃源村: 4 households, 2 of them visited at home (one twice), plus a meeting; last quarter 1
    assert (a1["households"], a1["households_visited"], a1["coverage"], a1["visits"]) == (4, 2, 0.5, 4)
    assert a1["coverage_change"] == 0.25
    # check-ins on 3 distinct days (two on one day)
    assert (a1["presence_days"], a1["presence_rate"]) == (3, round(3 / days, 4))
    assert a1["presence_change"] == round(3 / days, 4)  # none the quarter before
    # the inspection reached 2 households, 1 knows the secretary; nothing the quarter before
    assert (a1["households_inspected"], a1["awareness_rate"], a1["awareness_change"]) == (2, 0.5, None)
    assert (a1["flags_raised"], a1["open_flags"]) == (2, 1)
    assert (a1["requests"], a1["requests_resolved"], a1["requests_resolved_rate"]) == (2, 1, 0.5)
    assert (b1["households"], b1["households_visited"], b1["coverage"], b1["presence_days"]) == (2, 1, 0.5, 0)
    assert (b1["flags_raised"], b1["open_flags"]) == (1, 1)
    assert (a2["households"], a2["households_visited"], a2["coverage"], a2["coverage_change"]) == (2, 0, 0.0, 0.0)
    # ranked by coverage, then presence: 桃源村 and 龙井村 tie on coverage, 桃源村 was present more
    assert [v["code"] for v in b["villages"]] == [VILLAGE_A1, VILLAGE_B1, VILLAGE_A2]
    assert [v["rank"] for v in b["villages"]] == [1, 2, 3]
    assert a1["town_name"] == "石门镇"

    towns = {t["code"]: t for t in b["towns"]}
    # 石门镇 = 桃源村 + 白岩村: 2 of 6 households; 龙泉乡: 1 of 2
    assert (towns[TOWN_A]["households"], towns[TOWN_A]["households_visited"]) == (6, 2)
    assert towns[TOWN_A]["coverage"] == round(2 / 6, 4)
    assert towns[TOWN_A]["presence_rate"] == round(3 / (2 * days), 4)
    assert [t["code"] for t in b["towns"]] == [TOWN_B, TOWN_A]
    assert towns[TOWN_A]["villages"] == 2

    o = b["overview"]
    assert (o["villages"], o["households"], o["households_visited"], o["visits"]) == (3, 8, 3, 5)
    assert (o["flags_raised"], o["open_flags"], o["requests"]) == (3, 2, 2)
    assert b["scope_name"] == "青山县"
    assert "青山县" in b["title"]
    assert quarter.label in b["title"]

    problems = b["problems"]
    assert len(problems) == 3
    assert {p["kind_name"] for p in problems} == {"人工提出"}
    assert {(p["village_name"], p["status"]) for p in problems} == {
        ("桃源村", "open"),
        ("桃源村", "resolved"),
        ("龙井村", "acknowledged"),
    }


def test_the_xlsx_read_back_holds_the_same_numbers(
    client: TestClient, county_quarter: County, quarter: Quarter
) -> None:
    headers = county_quarter.headers("county")
    expected = client.get(f"/api/v1/bulletins/{quarter}", headers=headers).json()
    response = client.get(f"/api/v1/bulletins/{quarter}?format=xlsx", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概况", "乡镇排名", "村排名", "整顿整改", "问题清单"]

    villages = book["村排名"]
    header = [c.value for c in villages[1]]
    assert header[:5] == ["排名", "乡镇", "村", "村代码", "软弱涣散村"]
    rows = [dict(zip(header, (c.value for c in row), strict=False)) for row in villages.iter_rows(min_row=2)]
    assert [r["村代码"] for r in rows] == [v["code"] for v in expected["villages"]]
    first = rows[0]
    assert (first["农户数"], first["走访户数"], first["入户覆盖率"], first["群众知晓率"]) == (4, 2, 0.5, 0.5)
    assert first["办结率"] == 0.5
    coverage_column = header.index("入户覆盖率") + 1
    assert villages.cell(row=2, column=coverage_column).number_format == "0.0%"
    assert villages.column_dimensions["C"].width == 12
    assert villages.freeze_panes == "A2"
    assert villages.page_setup.orientation == "landscape"

    towns = book["乡镇排名"]
    town_header = [c.value for c in towns[1]]
    town_rows = [dict(zip(town_header, (c.value for c in row), strict=False)) for row in towns.iter_rows(min_row=2)]
    assert [(r["乡镇"], r["农户数"], r["走访户数"]) for r in town_rows] == [("龙泉乡", 2, 1), ("石门镇", 6, 2)]

    overview = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=2)}
    assert (overview["村数（本季度有派驻）"], overview["农户数"], overview["本季度走访户数"]) == (3, 8, 3)
    assert overview["没有派驻、不参加统计的村"] == 1
    assert overview["入户覆盖率"] == expected["overview"]["coverage"]

    problems = list(book["问题清单"].iter_rows(min_row=2, values_only=True))
    assert len(problems) == 3
    assert {p[3] for p in problems} == {"人工提出"}


def test_the_csv_and_the_printable_page(client: TestClient, county_quarter: County, quarter: Quarter) -> None:
    headers = county_quarter.headers("county")
    response = client.get(f"/api/v1/bulletins/{quarter}?format=csv", headers=headers)
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["村代码"] for r in rows] == [VILLAGE_A1, VILLAGE_B1, VILLAGE_A2]
    assert rows[0]["入户覆盖率"] == "0.5"

    page = client.get(f"/api/v1/bulletins/{quarter}?format=html", headers=headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "size: A4" in html
    assert "青山县驻村第一书记工作情况通报" in html
    headings = ("一、总体情况", "二、乡镇排名", "三、村排名", "四、软弱涣散村整顿整改情况", "五、发现的问题（3 个）")
    for heading in headings:
        assert heading in html
    assert "覆盖率 37.5%" in html  # 3 of 8 households
    assert "<td>桃源村</td>" in html


def test_a_town_sees_its_own_bulletin_and_the_quarter_must_be_real(
    client: TestClient, county_quarter: County, quarter: Quarter
) -> None:
    town = client.get(f"/api/v1/bulletins/{quarter}", headers=county_quarter.headers("town_a")).json()
    assert [v["code"] for v in town["villages"]] == [VILLAGE_A1, VILLAGE_A2]
    assert town["scope_name"] == "石门镇"
    assert_problem(
        client.get(f"/api/v1/bulletins/{quarter}?scope={TOWN_B}", headers=county_quarter.headers("town_a")), 404
    )
    narrowed = client.get(
        f"/api/v1/bulletins/{quarter}?scope={TOWN_B}", headers=county_quarter.headers("county")
    ).json()
    assert [v["code"] for v in narrowed["villages"]] == [VILLAGE_B1]
    for bad in ("2026-Q5", "2026Q1", "26-Q1", "2026-q1"):
        assert_problem(client.get(f"/api/v1/bulletins/{bad}", headers=county_quarter.headers("county")), 422)
    future = Quarter.of(date.today()).next.next
    assert_problem(client.get(f"/api/v1/bulletins/{future}", headers=county_quarter.headers("county")), 422)
    assert_problem(client.get(f"/api/v1/bulletins/{quarter}", headers=county_quarter.headers("secretary_a1")), 403)
    assert_problem(client.get(f"/api/v1/bulletins/{quarter}?format=pdf", headers=county_quarter.headers("county")), 422)


def test_the_current_quarter_is_counted_up_to_today(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    today = datetime.now(settings.tz).date()
    current = Quarter.of(today)
    b = client.get(f"/api/v1/bulletins/{current}", headers=county.headers("county")).json()
    assert b["complete"] is False
    assert b["period_end"] == today.isoformat()
    assert b["overview"]["households"] == 2  # 白岩村 has nobody posted: counted apart
    assert b["unposted_villages"] == 1
    assert b["overview"]["coverage"] == 0.0
    assert b["overview"]["awareness_rate"] is None
