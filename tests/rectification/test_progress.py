"""Progress reports exactly once, alone and through ``/sync`` beside visits; and the overdue
flag, raised once per measure and resolved when the measure is done."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from api.flags.models import Flag, FlagEvent
from api.flags.rules import run_time_rules
from api.rectification.models import RectificationEvent, RectificationMeasure, RectificationProgress
from api.settings import Settings
from tests.factories import VILLAGE_A1, jpeg, make_county, upload_photo
from tests.rectification.helpers import API, add_measure, add_problem, ledger, progress


def today_in(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


def count(session: Session, model: type, *where: object) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())  # type: ignore[arg-type]


def test_progress_exactly_once(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    problem = add_problem(client, county, VILLAGE_A1)
    measure = add_measure(client, county, problem["id"], deadline=today_in(settings))
    headers = county.headers("secretary_a1")
    photo = upload_photo(client, headers, jpeg(3))
    report = progress(measure["id"], done=True, photo_ids=[photo])
    first = client.post(f"{API}/rectification/progress", json=report, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post(f"{API}/rectification/progress", json=report, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["photo_ids"] == [photo]
    assert first.json()["marks_done"] is True
    other = client.post(f"{API}/rectification/progress", json={**report, "text": "别的内容"}, headers=headers)
    assert other.status_code == 409
    assert count(session, RectificationProgress) == 1
    assert count(session, RectificationEvent, col(RectificationEvent.action) == "reported_done") == 1


def test_progress_refusals(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    problem = add_problem(client, county, VILLAGE_A1)
    measure = add_measure(client, county, problem["id"], deadline=today_in(settings))
    url = f"{API}/rectification/progress"
    secretary = county.headers("secretary_a1")
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    assert client.post(url, json=progress(measure["id"], at=future), headers=secretary).status_code == 422
    missing = client.post(url, json=progress(measure["id"], photo_ids=[str(uuid.uuid4())]), headers=secretary)
    assert missing.status_code == 422
    assert "上传" in missing.json()["detail"]
    theirs = upload_photo(client, county.headers("town_a"), jpeg(4))
    assert client.post(url, json=progress(measure["id"], photo_ids=[theirs]), headers=secretary).status_code == 403
    too_many = progress(measure["id"], photo_ids=[str(uuid.uuid4()) for _ in range(10)])
    assert client.post(url, json=too_many, headers=secretary).status_code == 422
    assert client.post(url, json=progress(measure["id"]), headers=county.headers("secretary_b1")).status_code == 404
    assert client.post(url, json=progress(measure["id"]), headers=county.headers("inspector")).status_code == 403
    assert client.post(url, json=progress(999_999), headers=secretary).status_code == 404
    assert count(session, RectificationProgress) == 0
    assert ledger(client, county, VILLAGE_A1)["problems"][0]["measures"][0]["status"] == "open"


def test_progress_through_sync_with_visits(client: TestClient, session: Session, settings: Settings) -> None:
    county = make_county(session)
    problem = add_problem(client, county, VILLAGE_A1)
    measure = add_measure(client, county, problem["id"], deadline=today_in(settings))
    now = dt.datetime.now(dt.UTC).isoformat()
    visit = {"id": str(uuid.uuid4()), "kind": "log", "village_code": VILLAGE_A1, "started_at": now, "notes": "驻村日志"}
    report, done = progress(measure["id"]), progress(measure["id"], done=True, text="大棚建成")
    body = {"visits": [visit], "progress": [report, done, {"id": "not-a-uuid"}, report]}
    headers = county.headers("secretary_a1")
    response = client.post(f"{API}/sync", json=body, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["kind"], r["status"]) for r in results] == [
        ("visit", "created"),
        ("progress", "created"),
        ("progress", "created"),
        ("progress", "rejected"),
        ("progress", "unchanged"),
    ]
    assert results[3]["code"] == "invalid"
    # The whole batch again: nothing new, no second event.
    again = client.post(f"{API}/sync", json=body, headers=headers).json()["results"]
    assert [r["status"] for r in again] == ["unchanged", "unchanged", "unchanged", "rejected", "unchanged"]
    assert count(session, RectificationProgress) == 2
    events = session.execute(
        select(RectificationEvent.action).where(col(RectificationEvent.measure_id) == measure["id"])
    ).scalars()
    assert sorted(events) == ["measure_added", "progress", "reported_done"]
    stored = session.get(RectificationMeasure, measure["id"], populate_existing=True)
    assert stored is not None
    assert stored.status == "done"
    # Different content under a used id is a conflict, on its own.
    changed = client.post(f"{API}/sync", json={"progress": [{**report, "text": "改过"}]}, headers=headers)
    assert changed.json()["results"][0]["status"] == "conflict"


def test_overdue_flag_raised_once_and_resolved(
    client: TestClient, session: Session, settings: Settings, engine: Engine
) -> None:
    county = make_county(session)
    today = today_in(settings)
    problem = add_problem(client, county, VILLAGE_A1)
    late = add_measure(client, county, problem["id"], deadline=today - dt.timedelta(days=5))
    add_measure(client, county, problem["id"], deadline=today)  # due today: not late yet
    town = county.headers("town_a")

    def flags() -> list[Flag]:
        session.commit()  # a fresh snapshot: the rules wrote in their own transactions
        stmt = select(Flag).where(col(Flag.kind) == "rectification_overdue").execution_options(populate_existing=True)
        return list(session.execute(stmt).scalars())

    summary = run_time_rules(engine=engine, settings=settings, today=today)
    assert summary.raised.get("rectification_overdue") == 1
    [flag] = flags()
    assert flag.dedupe_key == f"rectification_overdue:{late['id']}"
    assert flag.subject_id == str(late["id"])
    assert flag.village_code == VILLAGE_A1
    assert flag.user_id is None
    assert flag.status == "open"
    assert "发展食用菌种植" in flag.detail
    assert "逾期 5 天" in flag.detail
    assert run_time_rules(engine=engine, settings=settings, today=today).raised == {}
    # In progress is still late; done resolves it, by the system.
    client.post(f"{API}/rectification/progress", json=progress(late["id"]), headers=town)
    assert run_time_rules(engine=engine, settings=settings, today=today).resolved == {}
    client.post(f"{API}/rectification/progress", json=progress(late["id"], done=True), headers=town)
    summary = run_time_rules(engine=engine, settings=settings, today=today)
    assert summary.resolved == {"rectification_overdue": 1}
    [flag] = flags()
    assert flag.status == "resolved"
    trail = session.execute(select(FlagEvent).where(col(FlagEvent.flag_id) == flag.id).order_by(col(FlagEvent.id)))
    steps = [(e.to_status, e.user_id) for e in trail.scalars()]
    assert steps == [("open", None), ("resolved", None)]
    # Sent back by the town and still late: never a second flag for the same measure.
    returned = client.post(
        f"{API}/rectification/measures/{late['id']}/review",
        json={"decision": "return", "reason": "未见成效"},
        headers=town,
    )
    assert returned.status_code == 200
    assert run_time_rules(engine=engine, settings=settings, today=today).raised == {}
    assert len(flags()) == 1
    # The other measure becomes late tomorrow: its own flag.
    later = run_time_rules(engine=engine, settings=settings, today=today + dt.timedelta(days=1))
    assert later.raised.get("rectification_overdue") == 1
    assert len(flags()) == 2
