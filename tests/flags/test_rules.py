"""Rules over time: low coverage, visit gaps and low presence, raised once, cleared when the
condition goes, kept quiet when dismissed; by ``zoufang evaluate-flags`` and inside ``serve``.

Records arrive through ``POST /api/v1/sync`` as a phone sends them; the expectations are
counted by hand from the records each test sends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from api import cli
from api.assignments.models import Assignment
from api.db import writer_engine
from api.flags import scheduler
from api.flags.models import Flag
from api.flags.rules import ADVISORY_LOCK_KEY, TIME_RULE_KINDS, Summary, run_time_rules
from api.main import create_app
from api.settings import Settings, get_settings
from tests.factories import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county, make_household
from tests.loops import run_in_own_loop

ON_SITE = {"lat": 26.5, "lon": 106.7, "accuracy_m": 10}  # 桃源村's centre
OFF_SITE = {"lat": 26.58, "lon": 106.71, "accuracy_m": 10}  # the county town, about 9 km away
# What ``setup`` alone raises: no villager has asked for anything yet (tests/requests has those).
RAISED_BY_SETUP = ("low_coverage", "visit_gap", "low_presence")


def today_in(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


def local(settings: Settings, day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=settings.tz).isoformat()


def post_since(session: Session, county: County, since: dt.date, *, today: dt.date) -> None:
    """secretary_a1 posted to 桃源村 since ``since``; secretary_b1's posting in 龙井村 is over."""
    for who, values in (
        ("secretary_a1", {"start_date": since, "end_date": None}),
        ("secretary_b1", {"start_date": today - dt.timedelta(days=400), "end_date": today - dt.timedelta(days=30)}),
    ):
        session.execute(update(Assignment).where(col(Assignment.user_id) == county.users[who].id).values(**values))
    session.commit()


def setup(session: Session, settings: Settings, *, posted_days_ago: int = 365) -> tuple[County, dt.date]:
    county = make_county(session)
    today = today_in(settings)
    post_since(session, county, today - dt.timedelta(days=posted_days_ago), today=today)
    return county, today


def sync(
    client: TestClient,
    county: County,
    *,
    visits: Sequence[dict[str, Any]] = (),
    checkins: Sequence[dict[str, Any]] = (),
) -> None:
    body = {"visits": list(visits), "checkins": list(checkins)}
    response = client.post("/api/v1/sync", json=body, headers=county.headers("secretary_a1"))
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["results"]} <= {"created"}, response.text


def home_visit(household_id: int | None, started_at: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": "home_visit", "household_id": household_id, "started_at": started_at}


def work_log(started_at: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": "log", "village_code": VILLAGE_A1, "started_at": started_at, **ON_SITE}


def checkin(at: str, where: dict[str, float] = ON_SITE) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "village_code": VILLAGE_A1, "at": at, **where}


def evaluate(engine: Engine, settings: Settings, today: dt.date) -> Summary:
    return run_time_rules(engine=engine, settings=settings, today=today)


def rule_flags(session: Session, kind: str | None = None) -> list[Flag]:
    session.rollback()  # a fresh snapshot: SQLite keeps showing a read transaction what it first saw
    session.expire_all()
    stmt = select(Flag).where(col(Flag.kind).in_([kind] if kind else TIME_RULE_KINDS)).order_by(col(Flag.id))
    return list(session.exec(stmt))


def subjects(session: Session) -> set[tuple[str, str, int | None, str]]:
    return {(f.kind, f.village_code, f.user_id, f.status) for f in rule_flags(session)}


def set_status(session: Session, flag: Flag, status: str, note: str) -> None:
    session.execute(update(Flag).where(col(Flag.id) == flag.id).values(status=status, note=note))
    session.commit()


def test_low_coverage_is_raised_below_the_threshold_and_resolved_at_it(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, today = setup(session, settings)
    homes = [county.households[VILLAGE_A1].id] + [
        make_household(session, VILLAGE_A1, f"000{n}", f"户主{n}").id for n in range(2, 6)
    ]
    first_day = today - dt.timedelta(days=89)  # the 90 days end today
    sync(
        client,
        county,
        visits=[
            home_visit(homes[0], local(settings, first_day, 0, 30)),  # the window's first half hour
            home_visit(homes[1], local(settings, today - dt.timedelta(days=3), 10)),
            home_visit(homes[2], local(settings, first_day - dt.timedelta(days=1), 23, 30)),  # just before it
        ],
    )
    summary = evaluate(engine, settings, today)
    assert summary.raised["low_coverage"] == 1
    (flag,) = rule_flags(session, "low_coverage")
    assert (flag.village_code, flag.user_id, flag.status, flag.severity) == (VILLAGE_A1, None, "open", "medium")
    assert flag.evidence["households"] == 5
    assert flag.evidence["visited"] == 2
    assert flag.evidence["coverage"] == 0.4
    assert flag.evidence["days"] == 90
    assert "40%（2/5 户）" in flag.detail
    assert "低于 60%" in flag.detail
    assert flag.dedupe_key == f"low_coverage:{VILLAGE_A1}:{today.isoformat()}"

    # Re-running raises nothing twice.
    again = evaluate(engine, settings, today)
    assert again.raised == {}
    assert again.resolved == {}
    assert len(rule_flags(session, "low_coverage")) == 1

    # A third household visited: exactly 60 %, which is not low.
    sync(client, county, visits=[home_visit(homes[3], local(settings, today - dt.timedelta(days=2), 15))])
    summary = evaluate(engine, settings, today)
    assert summary.resolved == {"low_coverage": 1}
    (flag,) = rule_flags(session, "low_coverage")
    assert flag.status == "resolved"
    assert flag.note == "覆盖率已回升到 60%（90 天内走访 3/5 户），系统自动解除。"
    assert flag.updated_at > flag.raised_at
    assert evaluate(engine, settings, today).raised.get("low_coverage") is None


def test_only_villages_posted_for_the_whole_window_are_judged(
    session: Session, engine: Engine, settings: Settings
) -> None:
    # 桃源村's secretary arrived 60 days ago; 龙井村's posting is over; 白岩村 has none. Nobody
    # has visited anyone.
    county, today = setup(session, settings, posted_days_ago=60)
    evaluate(engine, settings, today)
    a1 = county.users["secretary_a1"].id
    assert subjects(session) == {
        ("visit_gap", VILLAGE_A1, None, "open"),
        ("low_presence", VILLAGE_A1, a1, "open"),
    }
    (gap,) = rule_flags(session, "visit_gap")
    assert gap.evidence == {"last_visit_at": None, "days": 60, "threshold_days": 14}
    assert gap.subject_id == f"{VILLAGE_A1}:never"
    assert "还没有任何走访记录（已 60 天）" in gap.detail

    # Posted exactly 90 days ago (the window's first day is 89 days back): coverage is judged.
    post_since(session, county, today - dt.timedelta(days=89), today=today)
    assert evaluate(engine, settings, today).raised == {"low_coverage": 1}
    assert {f.village_code for f in rule_flags(session)} == {VILLAGE_A1}
    assert not {VILLAGE_A2, VILLAGE_B1} & {f.village_code for f in rule_flags(session)}


def test_a_visit_gap_is_raised_from_the_fourteenth_empty_day_and_ends_with_a_visit(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, today = setup(session, settings)
    last = today - dt.timedelta(days=15)
    sync(client, county, visits=[work_log(local(settings, last, 20, 30))])

    # As of yesterday, 13 whole days had passed without a visit: not yet a gap.
    assert "visit_gap" not in evaluate(engine, settings, today - dt.timedelta(days=1)).raised
    assert rule_flags(session, "visit_gap") == []
    assert evaluate(engine, settings, today).raised["visit_gap"] == 1
    (flag,) = rule_flags(session, "visit_gap")
    assert flag.evidence["days"] == 14
    assert dt.datetime.fromisoformat(flag.evidence["last_visit_at"]) == dt.datetime.fromisoformat(
        local(settings, last, 20, 30)
    )
    assert flag.dedupe_key == f"visit_gap:{VILLAGE_A1}:{last.isoformat()}"
    assert f"自 {last.year}年{last.month}月{last.day}日以后已连续 14 天没有任何走访记录" in flag.detail
    assert evaluate(engine, settings, today).raised == {}

    # A meeting today ends the gap at once.
    now = dt.datetime.now(settings.tz).replace(microsecond=0) - dt.timedelta(minutes=1)
    sync(client, county, visits=[{**work_log(now.isoformat()), "kind": "meeting"}])
    assert evaluate(engine, settings, today).resolved == {"visit_gap": 1}
    (flag,) = rule_flags(session, "visit_gap")
    assert flag.status == "resolved"
    assert flag.note == f"{now.year}年{now.month}月{now.day}日已有新的走访记录，系统自动解除。"

    # Three weeks on with no visit since: a new gap, a new flag.
    later = today + dt.timedelta(days=21)
    assert evaluate(engine, settings, later).raised["visit_gap"] == 1
    first, second = rule_flags(session, "visit_gap")
    assert (first.status, second.status) == ("resolved", "open")
    assert second.dedupe_key == f"visit_gap:{VILLAGE_A1}:{now.date().isoformat()}"
    assert second.evidence["days"] == (later - now.date()).days - 1


def test_presence_counts_on_site_days_and_nights(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, today = setup(session, settings)

    def back(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    checkins = [checkin(local(settings, back(d), 8)) for d in range(30, 11, -1)]  # 19 mornings
    checkins += [
        checkin(local(settings, back(20), 21, 30)),  # a night, on a day already counted
        checkin(local(settings, back(19), 5)),  # the end of that same night
        checkin(local(settings, back(15), 23)),  # a second night
        checkin(local(settings, back(30), 2)),  # a day counted, but the night began before the window
        checkin(local(settings, back(31), 8)),  # before the window
        checkin(local(settings, back(5), 8), OFF_SITE),  # from the county town: no presence
        checkin(local(settings, back(4), 8), OFF_SITE),
        checkin(local(settings, today, 0, 0)),  # today is not judged, but ends last night: a third night
    ]
    sync(client, county, checkins=checkins)
    assert evaluate(engine, settings, today).raised["low_presence"] == 1
    (flag,) = rule_flags(session, "low_presence")
    a1 = county.users["secretary_a1"].id
    assert (flag.village_code, flag.user_id, flag.severity) == (VILLAGE_A1, a1, "high")
    assert flag.evidence["days_present"] == 19
    assert flag.evidence["nights"] == 3
    assert flag.evidence["window"] == 30
    assert flag.evidence["since"] == back(30).isoformat()
    assert flag.evidence["until"] == back(1).isoformat()
    assert "只有 19 天在桃源村签到（其中夜间 3 晚），少于 20 天" in flag.detail
    assert flag.dedupe_key == f"low_presence:{a1}:{VILLAGE_A1}:{today.isoformat()}"

    # The twentieth day: no longer low.
    sync(client, county, checkins=[checkin(local(settings, back(8), 9))])
    assert evaluate(engine, settings, today).resolved == {"low_presence": 1}
    (flag,) = rule_flags(session, "low_presence")
    assert flag.status == "resolved"
    assert flag.note == "近 30 天在村签到已达 20 天（其中夜间 3 晚），系统自动解除。"


def test_after_resolution_a_condition_can_be_raised_again(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, today = setup(session, settings)
    assert evaluate(engine, settings, today).raised["low_presence"] == 1
    sync(client, county, checkins=[checkin(local(settings, today - dt.timedelta(days=d), 8)) for d in range(1, 21)])
    assert evaluate(engine, settings, today).resolved["low_presence"] == 1
    # Still present enough tomorrow; three weeks later the mornings have slid out of the window.
    assert "low_presence" not in evaluate(engine, settings, today + dt.timedelta(days=1)).raised
    later = today + dt.timedelta(days=21)
    assert evaluate(engine, settings, later).raised["low_presence"] == 1
    first, second = rule_flags(session, "low_presence")
    assert (first.status, second.status) == ("resolved", "open")
    assert second.evidence["days_present"] == 9  # the mornings 1 to 9 days before today
    assert second.dedupe_key.endswith(later.isoformat())


def test_a_dismissed_flag_is_not_raised_again_and_stays_dismissed(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, today = setup(session, settings)
    evaluate(engine, settings, today)
    kinds = {f.kind: f for f in rule_flags(session)}
    assert set(kinds) == set(RAISED_BY_SETUP)
    for flag in kinds.values():
        set_status(session, flag, "dismissed", "该村已合并，书记在邻村办公，情况属实。")

    assert evaluate(engine, settings, today).raised == {}
    assert evaluate(engine, settings, today + dt.timedelta(days=1)).raised == {}
    assert {f.status for f in rule_flags(session)} == {"dismissed"}

    # The presence that would clear it does not turn a dismissal into a resolution.
    sync(client, county, checkins=[checkin(local(settings, today - dt.timedelta(days=d), 8)) for d in range(1, 21)])
    assert evaluate(engine, settings, today).resolved == {}
    assert {f.status for f in rule_flags(session)} == {"dismissed"}


def test_an_acknowledged_flag_is_kept_until_the_condition_goes(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, today = setup(session, settings)
    evaluate(engine, settings, today)
    (flag,) = rule_flags(session, "low_presence")
    set_status(session, flag, "acknowledged", "已约谈。")
    assert evaluate(engine, settings, today + dt.timedelta(days=1)).raised.get("low_presence") is None
    sync(client, county, checkins=[checkin(local(settings, today - dt.timedelta(days=d), 8)) for d in range(1, 25)])
    assert evaluate(engine, settings, today).resolved["low_presence"] == 1
    assert [f.status for f in rule_flags(session, "low_presence")] == ["resolved"]


def test_days_follow_the_time_zone_across_a_daylight_saving_change(
    client: TestClient, session: Session, engine: Engine, settings: Settings
) -> None:
    county, _ = setup(session, settings)
    post_since(session, county, dt.date(2025, 1, 1), today=today_in(settings))
    # New York left summer time on 1 November 2026. In New York time these are noon on 30 October
    # (EDT), 00:30 on 31 October (EDT), noon on 5 November (EST) and 23:30 the same day (EST):
    # three days and two nights. One fixed offset would count two days (EST) or four (EDT).
    at = ["2026-10-30T16:00:00Z", "2026-10-31T04:30:00Z", "2026-11-05T17:00:00Z", "2026-11-06T04:30:00Z"]
    sync(client, county, checkins=[checkin(t) for t in at])
    new_york = settings.model_copy(update={"timezone": "America/New_York"})
    evaluate(engine, new_york, dt.date(2026, 11, 10))
    (flag,) = rule_flags(session, "low_presence")
    assert (flag.evidence["days_present"], flag.evidence["nights"]) == (3, 2)
    assert (flag.evidence["since"], flag.evidence["until"]) == ("2026-10-11", "2026-11-09")
    # In Shanghai time they are 00:00 and 12:30 on 31 October, 01:00 and 12:30 on 6 November.
    set_status(session, flag, "resolved", "按北京时间重算。")
    evaluate(engine, settings, dt.date(2026, 11, 11))
    latest = rule_flags(session, "low_presence")[-1]
    assert (latest.evidence["days_present"], latest.evidence["nights"]) == (2, 2)


def test_two_evaluations_racing_raise_each_flag_once(session: Session, engine: Engine, settings: Settings) -> None:
    _, today = setup(session, settings)
    start = threading.Barrier(2)
    summaries: list[Summary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            summaries.append(evaluate(engine, settings, today))
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(sum(s.raised.values()) for s in summaries) == 3
    assert sorted(f.kind for f in rule_flags(session)) == sorted(RAISED_BY_SETUP)
    skipped = [s.skipped for s in summaries if s.skipped]
    assert not skipped or engine.dialect.name == "postgresql"


def test_an_evaluation_gives_way_to_one_already_running(session: Session, engine: Engine, settings: Settings) -> None:
    _, today = setup(session, settings)
    with writer_engine(engine).connect() as running:
        if engine.dialect.name == "postgresql":
            # Another instance holds the lock: this one skips at once and says so.
            running.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
            summary = evaluate(engine, settings, today)
            assert summary.skipped == "另一个服务实例正在检查，本次跳过。"
            assert (summary.raised, summary.resolved) == ({}, {})
            assert rule_flags(session) == []
            running.rollback()
            assert sum(evaluate(engine, settings, today).raised.values()) == 3
            return
        # SQLite: another writer holds the process's writer connection, and this evaluation
        # waits its turn.
        running.execute(select(1))
        summaries: list[Summary] = []
        waiting = threading.Thread(target=lambda: summaries.append(evaluate(engine, settings, today)))
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()
        running.close()
        waiting.join(timeout=30)
    assert sum(summaries[0].raised.values()) == 3


def test_evaluate_flags_command(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, today = setup(session, settings)
    monkeypatch.setenv("ZOUFANG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ZOUFANG_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        assert cli.main(["evaluate-flags", "--today", today.isoformat()]) == 0
        out = capsys.readouterr().out
        assert f"按 {today.year}年{today.month}月{today.day}日检查" in out
        assert "入户覆盖率低（low_coverage）：新增 1 条，自动解除 0 条" in out
        assert "合计新增 3 条，自动解除 0 条。" in out
        assert cli.main(["evaluate-flags"]) == 0
        assert "合计新增 0 条，自动解除 0 条。" in capsys.readouterr().out
        with pytest.raises(SystemExit) as exited:
            cli.main(["evaluate-flags", "--today", "2026/03/01"])
        assert exited.value.code == 2
        assert "YYYY-MM-DD" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    assert len(rule_flags(session)) == 3


def test_serve_evaluates_the_rules_in_the_background(session: Session, engine: Engine, settings: Settings) -> None:
    setup(session, settings)
    with TestClient(create_app(settings.model_copy(update={"flag_rules_interval_s": 1}))) as client:
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 20
        while len(rule_flags(session)) < 3:
            assert time.monotonic() < deadline, "the background evaluation did not run"
            time.sleep(0.2)
    assert sorted(f.kind for f in rule_flags(session)) == sorted(RAISED_BY_SETUP)


def test_a_failed_background_run_is_logged_and_the_next_one_still_comes(
    caplog: pytest.LogCaptureFixture, engine: Engine
) -> None:
    calls: list[int] = []

    def flaky(**_: Any) -> Summary:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("数据库暂时连不上")
        return Summary(today=dt.date(2026, 3, 1), raised={"visit_gap": 1})

    async def scenario() -> None:
        loop = asyncio.create_task(
            scheduler.evaluate_periodically(
                engine=engine,
                settings=Settings(),
                interval_s=0.01,
                first_delay_s=0,
                run=flaky,
            )
        )
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop

    with caplog.at_level("INFO", logger="api.flags.scheduler"):
        run_in_own_loop(scenario)
    assert len(calls) >= 3
    assert "数据库暂时连不上" in caplog.text
    assert "长期没有走访 1" in caplog.text
    assert "各村数字已重新统计（0 个村）" in caplog.text, "each run also counts the villages' summary figures"
