"""The overview's ledger progress and the public page's month, beside the other figures of a village."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.settings import Settings
from tests.factories import VILLAGE_A1, VILLAGE_B1, make_county


def test_each_village_row_carries_its_ledger_and_its_public_page_this_month(
    client: TestClient, session: Session, settings: Settings
) -> None:
    county = make_county(session)
    headers = county.headers("county")
    today = dt.datetime.now(settings.tz).date()
    problem = client.post(
        f"/api/v1/villages/{VILLAGE_A1}/rectification/problems",
        json={"category": "weak_economy", "description": "集体经济薄弱", "found_by": "县委", "found_on": str(today)},
        headers=headers,
    ).json()
    for days in (-3, 30):  # one past its deadline, one not yet due
        measure = {"text": "发展合作社", "target": "收入五万元", "deadline": str(today + dt.timedelta(days=days))}
        made = client.post(
            f"/api/v1/rectification/problems/{problem['id']}/measures",
            json={**measure, "responsible": "first_secretary"},
            headers=headers,
        )
        assert made.status_code == 201, made.text
    for _ in range(3):
        assert client.get(f"/v/{VILLAGE_A1}").status_code == 200
    sent = client.post(
        f"/api/v1/public/villages/{VILLAGE_A1}/messages", json={"category": "道路水电", "text": "路灯坏了"}
    )
    assert sent.status_code == 201, sent.text

    rows = {r["village_code"]: r for r in client.get("/api/v1/dashboard/villages", headers=headers).json()["items"]}
    a1, b1 = rows[VILLAGE_A1], rows[VILLAGE_B1]
    assert (a1["public_views_month"], a1["public_messages_month"]) == (3, 1)
    assert a1["rectification"] == {
        "problems": 1,
        "measures": 2,
        "measures_done": 0,
        "measures_confirmed": 0,
        "measures_overdue": 1,
    }
    assert (b1["public_views_month"], b1["public_messages_month"], b1["rectification"]) == (0, 0, None)
    assert a1["open_requests"] == 1  # the message waits like any request

    exported = client.get("/api/v1/dashboard/villages?format=csv", headers=headers).content.decode("utf-8-sig")
    header = exported.splitlines()[0].split(",")
    assert {"本月公开页查看", "本月公开页留言", "整改措施", "已完成", "逾期"} <= set(header)
