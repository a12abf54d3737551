"""The ledger's rules: who writes where, deadlines and overdue, status moves, the two reviews,
the history, the figures for lists of villages, and the export."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, col

from api.assignments.models import Assignment
from api.rectification.service import summaries
from api.regions.models import Region
from api.settings import Settings
from tests.factories import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, make_county
from tests.rectification.helpers import API, add_measure, add_problem, ledger, progress


def today_in(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


def test_writers_by_role_and_posting(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    url = f"{API}/villages/{VILLAGE_A1}/rectification/problems"
    body = {"category": "disunity", "description": "班子成员不团结", "found_by": "县委组织部", "found_on": "2026-03-01"}
    # The town writes in its own villages only; another town's village is a 404 that tells nothing.
    assert client.post(url, json=body, headers=county.headers("town_a")).status_code == 201
    assert client.post(url, json=body, headers=county.headers("town_b")).status_code == 404
    assert client.post(url, json=body, headers=county.headers("county")).status_code == 201
    # The secretary posted here today writes; the inspector does not.
    assert client.post(url, json=body, headers=county.headers("secretary_a1")).status_code == 201
    assert client.post(url, json=body, headers=county.headers("inspector")).status_code == 403
    assert client.post(url, json=body, headers=county.headers("secretary_b1")).status_code == 404
    # A secretary whose posting ended keeps no pen in the village.
    session.execute(
        update(Assignment)
        .where(col(Assignment.user_id) == county.users["secretary_a1"].id)
        .values(end_date=today_in(settings) - dt.timedelta(days=1))
    )
    session.commit()
    refused = client.post(url, json=body, headers=county.headers("secretary_a1"))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    # Everybody in scope reads it.
    assert len(ledger(client, county, VILLAGE_A1, "inspector")["problems"]) == 3
    assert client.get(f"{API}/villages/{VILLAGE_A1}/rectification", headers=county.headers("town_b")).status_code == 404


def test_input_rules(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    url = f"{API}/villages/{VILLAGE_A1}/rectification/problems"
    tomorrow = (today_in(settings) + dt.timedelta(days=1)).isoformat()
    base = {"category": "other", "description": "问题", "found_by": "乡镇", "found_on": "2026-03-01"}
    for wrong in (
        {"found_on": tomorrow},
        {"category": "nope"},
        {"description": ""},
        {"description": "长" * 2001},
        {"found_by": "x" * 101},
    ):
        response = client.post(url, json={**base, **wrong}, headers=county.headers("town_a"))
        assert response.status_code == 422, (wrong, response.text)
    problem = add_problem(client, county, VILLAGE_A1)
    measures = f"{API}/rectification/problems/{problem['id']}/measures"
    good = {"text": "措施", "target": "目标", "deadline": "2026-12-31", "responsible": "town_team"}
    assert (
        client.post(measures, json={**good, "responsible": "nobody"}, headers=county.headers("town_a")).status_code
        == 422
    )
    changed = client.patch(
        f"{API}/rectification/problems/{problem['id']}", json={"found_by": "县纪委"}, headers=county.headers("town_a")
    )
    assert changed.status_code == 200
    assert changed.json()["found_by"] == "县纪委"
    assert changed.json()["category_label"] == "集体经济薄弱"


def test_overdue_and_status_moves(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    today = today_in(settings)
    problem = add_problem(client, county, VILLAGE_A1)
    late = add_measure(client, county, problem["id"], deadline=today - dt.timedelta(days=1))
    due_today = add_measure(client, county, problem["id"], deadline=today)
    assert late["overdue"] is True
    assert late["status"] == "open"
    assert late["status_label"] == "未开始"
    assert due_today["overdue"] is False
    headers = county.headers("secretary_a1")
    assert client.post(f"{API}/rectification/progress", json=progress(late["id"]), headers=headers).status_code == 201
    data = ledger(client, county, VILLAGE_A1)
    [late_now] = [m for m in data["problems"][0]["measures"] if m["id"] == late["id"]]
    assert late_now["status"] == "in_progress"
    assert late_now["overdue"] is True
    assert len(late_now["progress"]) == 1
    assert late_now["progress"][0]["user_name"] == "secretary_a1"
    assert (
        client.post(f"{API}/rectification/progress", json=progress(late["id"], done=True), headers=headers).status_code
        == 201
    )
    data = ledger(client, county, VILLAGE_A1)
    [late_now] = [m for m in data["problems"][0]["measures"] if m["id"] == late["id"]]
    assert late_now["status"] == "done"
    assert late_now["overdue"] is False
    assert late_now["done_at"]
    assert [p["marks_done"] for p in late_now["progress"]] == [True, False]  # newest first
    assert data["summary"] == {
        "problems": 1,
        "measures": 2,
        "measures_done": 1,
        "measures_confirmed": 0,
        "measures_overdue": 0,
    }
    assert data["rectification_status"] == "rectifying"


def test_measure_review(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    today = today_in(settings)
    problem = add_problem(client, county, VILLAGE_A1)
    measure = add_measure(client, county, problem["id"], deadline=today + dt.timedelta(days=30))
    review = f"{API}/rectification/measures/{measure['id']}/review"
    town = county.headers("town_a")
    # Only a measure reported done can be reviewed, in words.
    early = client.post(review, json={"decision": "confirm"}, headers=town)
    assert early.status_code == 409
    assert "未开始" in early.json()["detail"]
    secretary = county.headers("secretary_a1")
    client.post(f"{API}/rectification/progress", json=progress(measure["id"], done=True), headers=secretary)
    assert client.post(review, json={"decision": "confirm"}, headers=secretary).status_code == 403
    assert client.post(review, json={"decision": "confirm"}, headers=county.headers("town_b")).status_code == 404
    assert client.post(review, json={"decision": "return"}, headers=town).status_code == 422
    returned = client.post(review, json={"decision": "return", "reason": "缺少大棚照片"}, headers=town)
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "in_progress"
    assert returned.json()["returned_reason"] == "缺少大棚照片"
    # Done again: the town's reason is cleared; then confirmed, and no longer editable.
    client.post(f"{API}/rectification/progress", json=progress(measure["id"], done=True), headers=secretary)
    assert ledger(client, county, VILLAGE_A1)["problems"][0]["measures"][0]["returned_reason"] is None
    confirmed = client.post(review, json={"decision": "confirm"}, headers=town)
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_at"]
    patch = client.patch(f"{API}/rectification/measures/{measure['id']}", json={"text": "改"}, headers=town)
    assert patch.status_code == 409
    # A later report on a confirmed measure is kept and moves nothing.
    assert (
        client.post(f"{API}/rectification/progress", json=progress(measure["id"]), headers=secretary).status_code == 201
    )
    after = ledger(client, county, VILLAGE_A1)["problems"][0]["measures"][0]
    assert after["status"] == "confirmed"
    assert len(after["progress"]) == 3


def test_village_acceptance_and_history(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    today = today_in(settings)
    accept = f"{API}/villages/{VILLAGE_A2}/rectification/review"
    nothing = client.post(accept, json={"decision": "accept"}, headers=county.headers("county"))
    assert nothing.status_code == 409
    problem = add_problem(client, county, VILLAGE_A2)
    measures = [add_measure(client, county, problem["id"], deadline=today) for _ in range(2)]
    town, head = county.headers("town_a"), county.headers("county")
    assert client.post(accept, json={"decision": "accept"}, headers=town).status_code == 403
    for m in measures:
        client.post(f"{API}/rectification/progress", json=progress(m["id"], done=True), headers=town)
    client.post(f"{API}/rectification/measures/{measures[0]['id']}/review", json={"decision": "confirm"}, headers=town)
    pending = client.post(accept, json={"decision": "accept"}, headers=head)
    assert pending.status_code == 409
    assert "1 项" in pending.json()["detail"]
    client.post(f"{API}/rectification/measures/{measures[1]['id']}/review", json={"decision": "confirm"}, headers=town)
    accepted = client.post(accept, json={"decision": "accept"}, headers=head)
    assert accepted.status_code == 200
    assert accepted.json()["rectification_status"] == "accepted"
    assert session.get(Region, VILLAGE_A2, populate_existing=True).rectification_status == "accepted"  # type: ignore[union-attr]
    assert client.post(accept, json={"decision": "return"}, headers=head).status_code == 422
    back = client.post(accept, json={"decision": "return", "reason": "群众满意度不高"}, headers=head)
    assert back.json()["rectification_status"] == "rectifying"
    client.post(accept, json={"decision": "accept"}, headers=head)
    # A new problem reopens an accepted village, and the history says so.
    add_problem(client, county, VILLAGE_A2, category="petitions", description="信访问题")
    data = ledger(client, county, VILLAGE_A2)
    assert data["rectification_status"] == "rectifying"
    actions = [e["action"] for e in data["history"]]
    assert actions[:4] == ["problem_added", "accepted", "acceptance_returned", "accepted"]
    assert "重新进入整改" in data["history"][0]["note"]
    assert data["history"][2]["note"] == "群众满意度不高"
    assert data["history"][2]["user_name"] == "county"
    assert actions[-1] == "problem_added"
    assert actions.count("reported_done") == 2


def test_summaries(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    today = today_in(settings)
    problem = add_problem(client, county, VILLAGE_A1)
    add_problem(client, county, VILLAGE_A1)
    late = add_measure(client, county, problem["id"], deadline=today - dt.timedelta(days=3))
    done = add_measure(client, county, problem["id"], deadline=today - dt.timedelta(days=3))
    client.post(f"{API}/rectification/progress", json=progress(done["id"], done=True), headers=county.headers("town_a"))
    problem_b = add_problem(client, county, VILLAGE_B1, who="county")
    add_measure(client, county, problem_b["id"], deadline=today + dt.timedelta(days=3), who="county")
    found = summaries(session, [VILLAGE_A1, VILLAGE_A2, VILLAGE_B1], today)
    assert set(found) == {VILLAGE_A1, VILLAGE_B1}
    a1 = found[VILLAGE_A1]
    assert (a1.problems, a1.measures, a1.measures_done, a1.measures_confirmed, a1.measures_overdue) == (2, 2, 1, 0, 1)
    b1 = found[VILLAGE_B1]
    assert (b1.problems, b1.measures, b1.measures_overdue) == (1, 1, 0)
    assert late["overdue"] is True
    assert summaries(session, [], today) == {}


def test_export(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    today = today_in(settings)
    problem = add_problem(client, county, VILLAGE_A1, description='=HYPERLINK("x")')
    late = add_measure(client, county, problem["id"], deadline=today - dt.timedelta(days=1))
    add_measure(client, county, problem["id"], deadline=today + dt.timedelta(days=9))
    client.post(
        f"{API}/rectification/progress", json=progress(late["id"], text="第二次进展"), headers=county.headers("town_a")
    )
    add_problem(client, county, VILLAGE_B1, who="county")  # no measure yet: one row, measure columns empty
    response = client.get(f"{API}/rectification/export.xlsx", headers=county.headers("county"))
    assert response.status_code == 200
    assert (
        "filename*=UTF-8''%E6%95%B4%E6%94%B9%E5%8F%B0%E8%B4%A6-520199000000.xlsx"
        in response.headers["content-disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "乡镇",
        "村",
        "问题类别",
        "问题描述",
        "发现单位/人",
        "发现日期",
        "整改措施",
        "整改目标",
        "完成时限",
        "责任主体",
        "状态",
        "是否逾期",
        "最新进展",
        "完成时间",
        "乡镇确认时间",
        "整改验收状态",
    ]
    assert len(rows) == 1 + 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["村"] == "桃源村"
    assert first["乡镇"] == "石门镇"
    assert first["问题描述"] == '=HYPERLINK("x")'
    assert first["是否逾期"] == "是"
    assert first["状态"] == "推进中"
    assert str(first["最新进展"]).endswith("第二次进展")
    assert first["整改验收状态"] == "整改中"
    assert rows[3][1] == "龙井村"
    assert rows[3][6] in (None, "")
    # The town sees its own villages only; a scope outside is a 404.
    town = client.get(f"{API}/rectification/export.xlsx", headers=county.headers("town_a"))
    assert len(list(load_workbook(io.BytesIO(town.content)).active.iter_rows())) == 3  # type: ignore[union-attr]
    outside = client.get(f"{API}/rectification/export.xlsx?scope={VILLAGE_B1}", headers=county.headers("town_a"))
    assert outside.status_code == 404
