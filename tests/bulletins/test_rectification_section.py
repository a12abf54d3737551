"""The bulletin's rectification section: as the ledger stood at the quarter's end, per town."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from api.bulletins.quarters import Quarter
from api.rectification.models import RectificationEvent, RectificationMeasure, RectificationProblem
from api.settings import Settings
from tests.factories import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county


@pytest.fixture
def quarter(settings: Settings) -> Quarter:
    return Quarter.of(datetime.now(settings.tz).date()).previous


def _instant(day: date, settings: Settings) -> datetime:
    return datetime.combine(day, time(12), tzinfo=settings.tz).astimezone(UTC)


@pytest.fixture
def ledgers(session: Session, settings: Settings, quarter: Quarter) -> County:
    """桃源村: accepted inside the quarter. 白岩村: one measure done in time, one overdue, one done only
    after the quarter, one returned inside it. 龙井村: its problem was found after the quarter."""
    county = make_county(session)
    author = county.users["county"].id
    assert author is not None
    start, end = quarter.first_day, quarter.next.first_day

    def problem(village: str, found_on: date) -> int:
        row = RectificationProblem(
            village_code=village,
            category="weak_economy",
            description="集体经济空壳",
            found_by="县委组织部",
            found_on=found_on,
            created_by=author,
            created_at=_instant(found_on, settings),
            updated_at=_instant(found_on, settings),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id

    def measure(problem_id: int, village: str, deadline: date, created: date, **events: date) -> None:
        row = RectificationMeasure(
            problem_id=problem_id,
            village_code=village,
            text="发展合作社",
            target="年收入五万元",
            deadline=deadline,
            responsible="first_secretary",
            created_at=_instant(created, settings),
            updated_at=_instant(created, settings),
        )
        session.add(row)
        session.flush()
        for action, day in sorted(events.items(), key=lambda item: item[1]):
            session.add(_event(village, action, _instant(day, settings), measure_id=row.id, problem_id=problem_id))

    a1 = problem(VILLAGE_A1, start - timedelta(days=30))
    before = start - timedelta(days=30)
    measure(a1, VILLAGE_A1, start + timedelta(days=20), before, reported_done=start + timedelta(days=10))
    session.add(_event(VILLAGE_A1, "accepted", _instant(start + timedelta(days=40), settings)))

    a2 = problem(VILLAGE_A2, start + timedelta(days=5))
    created = start + timedelta(days=5)
    measure(a2, VILLAGE_A2, start + timedelta(days=30), created, reported_done=start + timedelta(days=25))
    measure(a2, VILLAGE_A2, start + timedelta(days=30), created)  # overdue
    measure(a2, VILLAGE_A2, start + timedelta(days=30), created, reported_done=end + timedelta(days=1))  # too late
    measure(a2, VILLAGE_A2, end + timedelta(days=60), created)  # not due yet
    returned: dict[str, Any] = {"reported_done": start + timedelta(days=10), "returned": start + timedelta(days=12)}
    measure(a2, VILLAGE_A2, start + timedelta(days=30), created, **returned)  # back in progress, overdue
    # Accepted after the quarter: still rectifying in this quarter's bulletin.
    session.add(_event(VILLAGE_A2, "accepted", _instant(end + timedelta(days=2), settings)))

    b1 = problem(VILLAGE_B1, end + timedelta(days=3))
    measure(b1, VILLAGE_B1, end + timedelta(days=30), end + timedelta(days=3))
    session.commit()
    return county


def _event(village: str, action: str, at: datetime, **about: Any) -> RectificationEvent:
    return RectificationEvent(village_code=village, action=action, at=at, **about)


def test_the_section_counts_the_ledger_as_it_stood_at_the_quarters_end(
    client: TestClient, ledgers: County, quarter: Quarter
) -> None:
    bulletin = client.get(f"/api/v1/bulletins/{quarter}", headers=ledgers.headers("county")).json()
    rows = {row["name"]: row for row in bulletin["rectification"]}
    figures = ("villages_rectifying", "villages_accepted", "measures", "measures_done", "measures_overdue")
    assert [tuple(rows["石门镇"][f] for f in figures)] == [(1, 1, 6, 2, 3)]
    assert "龙泉乡" not in rows  # its ledger began after the quarter
    assert bulletin["rectification"][-1]["name"] == "合计"
    assert tuple(bulletin["rectification"][-1][f] for f in figures) == (1, 1, 6, 2, 3)


def test_the_section_is_in_the_printable_page_and_the_workbook(
    client: TestClient, ledgers: County, quarter: Quarter
) -> None:
    headers = ledgers.headers("county")
    page = client.get(f"/api/v1/bulletins/{quarter}?format=html", headers=headers).text
    assert "四、软弱涣散村整顿整改情况" in page
    assert "1 个村整改中，1 个村验收通过；整改措施 6 项，已完成 2 项，逾期未完成 3 项" in page
    response = client.get(f"/api/v1/bulletins/{quarter}?format=xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(response.content))["整顿整改"]
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] in ("石门镇", "合计")]
    assert rows == [("石门镇", 1, 1, 6, 2, 3), ("合计", 1, 1, 6, 2, 3)]


def test_a_bulletin_without_ledgers_says_so(client: TestClient, session: Session, quarter: Quarter) -> None:
    county = make_county(session)
    bulletin = client.get(f"/api/v1/bulletins/{quarter}", headers=county.headers("county")).json()
    assert bulletin["rectification"] == []
    page = client.get(f"/api/v1/bulletins/{quarter}?format=html", headers=county.headers("county")).text
    assert "本季度范围内没有整顿台账" in page
