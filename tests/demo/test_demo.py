"""The demo county: its shape, its field records, its determinism, and that it never lands in a
used database."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, create_engine, event, func
from sqlmodel import Session, SQLModel, col, select

from api.assignments.models import Assignment
from api.auth.models import User
from api.auth.passwords import verify_password
from api.checkins.models import Checkin
from api.cli import _print_demo
from api.demo import DemoNotEmpty, DemoSummary, populate
from api.flags.models import Flag
from api.households.models import Household
from api.inspections.models import Inspection, InspectionAnswer
from api.migrations import upgrade
from api.photos.models import Photo
from api.photos.storage import LocalStore
from api.rectification.models import RectificationEvent, RectificationMeasure
from api.regions import codes
from api.regions.models import Region
from api.requests.models import VillagerRequest
from api.settings import Settings
from api.visits.models import Visit, VisitPhoto

Demo = tuple[Engine, DemoSummary]


def _migrated(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _foreign_keys(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    upgrade(engine)
    return engine


# Fewer days of field records than the command's, to keep the module quick; every planned
# misbehaviour still shows several times within them.
DAYS = 30


def _populated(folder: Path, seed: int, *, records: bool) -> Iterator[Demo]:
    engine = _migrated(folder / "d.db")
    if records:
        settings = _settings(folder)
        yield engine, populate(engine=engine, seed=seed, settings=settings, store=_store(folder), days=DAYS)
    else:
        yield engine, populate(engine=engine, seed=seed)
    engine.dispose()


def _settings(folder: Path) -> Settings:
    return Settings(data_dir=folder, secret_key="demo-tests")


def _store(folder: Path) -> LocalStore:
    return LocalStore(folder / "media")


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def demo(demo_folder: Path) -> Iterator[Demo]:
    yield from _populated(demo_folder, seed=1, records=True)


@pytest.fixture(scope="module")
def same_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from _populated(tmp_path_factory.mktemp("demo"), seed=1, records=True)


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from _populated(tmp_path_factory.mktemp("demo"), seed=2, records=False)


def _count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371 * math.hypot(x, math.radians(lat2 - lat1))


def test_counts_are_those_of_a_county(demo: Demo) -> None:
    engine, summary = demo
    assert (summary.towns, summary.villages) == (8, 120)
    assert 15 <= summary.weak_lax_villages <= 25
    assert 28_000 <= summary.households <= 32_000
    assert (summary.secretaries, summary.assignments) == (40, 40)
    with Session(engine) as session:
        levels = dict(session.exec(select(Region.level, func.count()).group_by(Region.level)).all())
        secretaries = session.exec(select(func.count()).where(User.role == "secretary")).one()
    assert levels == {"county": 1, "town": 8, "village": 120}
    assert _count(engine, Household) == summary.households
    assert secretaries == 40
    assert _count(engine, Assignment) == 40


def test_codes_names_and_places_are_plausible(demo: Demo) -> None:
    engine, _ = demo
    with Session(engine) as session:
        regions = session.exec(select(Region)).all()
    county = next(r for r in regions if r.level == "county")
    assert county.parent_code is None
    villages = [r for r in regions if r.level == "village"]
    for region in regions:
        assert codes.level_of(region.code) == region.level
        if region is not county:
            assert codes.parent_of(region.code) == region.parent_code
    for village in villages:
        assert village.name.endswith("社区" if village.kind == "community" else "村")
        assert 800 <= (village.radius_m or 0) <= 3000
        assert _km(county.lat or 0, county.lon or 0, village.lat or 0, village.lon or 0) <= 40
    assert len({v.name for v in villages}) == len(villages)
    assert 1 <= sum(v.kind == "community" for v in villages) <= 15
    points = [(v.lat or 0, v.lon or 0) for v in villages]
    closest = min(_km(*a, *b) for i, a in enumerate(points) for b in points[i + 1 :])
    assert closest >= 2


def test_weak_lax_villages_have_reasons_a_plan_and_a_first_secretary(demo: Demo) -> None:
    engine, _ = demo
    with Session(engine) as session:
        villages = session.exec(select(Region).where(Region.level == "village")).all()
        with_first_secretary = set(
            session.exec(select(Assignment.village_code).where(Assignment.position == "first_secretary")).all()
        )
    weak = [v for v in villages if v.weak_lax]
    for village in weak:
        assert 1 <= len(village.weak_lax_reasons) <= 3
        assert village.rectification_status in ("rectifying", "accepted")
        assert (village.plan or "").count("。") >= 2
        assert village.code in with_first_secretary
    statuses = [v.rectification_status for v in weak]
    assert 0 < statuses.count("accepted") < statuses.count("rectifying")
    for village in villages:
        if not village.weak_lax:
            assert (village.weak_lax_reasons, village.rectification_status, village.plan) == (
                [],
                "none",
                None,
            )


def test_every_secretary_is_posted_inside_their_scope(demo: Demo) -> None:
    engine, _ = demo
    today = dt.date.today()
    with Session(engine) as session:
        rows = session.exec(
            select(User, Assignment, Region)
            .join(Assignment, col(Assignment.user_id) == col(User.id))
            .join(Region, col(Region.code) == col(Assignment.village_code))
            .where(User.role == "secretary")
        ).all()
    assert len(rows) == 40
    for user, assignment, village in rows:
        assert user.scope_code is not None
        assert codes.covers(codes.prefix(user.scope_code), assignment.village_code)
        assert village.level == "village"
        assert 183 <= (today - assignment.start_date).days <= 548
        assert assignment.end_date is None
        assert assignment.dispatch_unit.startswith("县")
    positions = [assignment.position for _, assignment, _ in rows]
    assert positions.count("team_member") in range(1, 7)


def test_supervisors_see_their_own_places(demo: Demo) -> None:
    engine, _ = demo
    with Session(engine) as session:
        users = {u.username: u for u in session.exec(select(User)).all()}
        towns = set(session.exec(select(Region.code).where(Region.level == "town")).all())
        county = session.exec(select(Region.code).where(Region.level == "county")).one()
    assert (users["admin"].role, users["admin"].scope_code) == ("admin", None)
    assert (users["county"].role, users["county"].scope_code) == ("county", county)
    assert (users["inspector"].role, users["inspector"].scope_code) == ("inspector", county)
    assert {users[f"town{n}"].scope_code for n in range(1, 9)} == towns
    assert {users[f"sec{n:02d}"].role for n in range(1, 41)} == {"secretary"}


def test_households_are_in_their_villages(demo: Demo) -> None:
    engine, _ = demo
    mobile = re.compile(r"^1[3-9]\d{9}$")
    with Session(engine) as session:
        villages = {v.code: v for v in session.exec(select(Region)).all() if v.level == "village"}
        households = session.exec(select(Household)).all()
    keys = {(h.village_code, h.household_no) for h in households}
    assert len(keys) == len(households)
    with_phone = [h for h in households if h.phone is not None]
    assert 0.7 <= len(with_phone) / len(households) <= 0.9
    assert all(mobile.match(h.phone or "") for h in with_phone)
    assert sum(not h.tags for h in households) / len(households) > 0.6
    per_village = {code: 0 for code in villages}
    for household in households:
        village = villages[household.village_code]
        per_village[village.code] += 1
        assert 2 <= len(household.head_name) <= 3
        assert (household.group_name or "").endswith("小组")
        assert (household.address or "").startswith(village.name + " ")
        assert household.lat is not None
        assert household.lon is not None
        distance_m = 1000 * _km(village.lat or 0, village.lon or 0, household.lat, household.lon)
        assert distance_m <= (village.radius_m or 0)
        assert household.created_at.tzinfo is not None
    assert all(120 <= n <= 400 for n in per_village.values())


def _rows(engine: Engine, table_name: str, columns: list[str], order: list[str]) -> list[tuple[Any, ...]]:
    table = SQLModel.metadata.tables[table_name]
    query = sa.select(*(table.c[name] for name in columns)).order_by(*(table.c[name] for name in order))
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def _regions(engine: Engine) -> list[tuple[Any, ...]]:
    table = SQLModel.metadata.tables["region"]
    columns = [c.name for c in table.columns if c.name not in ("created_at", "updated_at")]
    return _rows(engine, "region", columns, ["code"])


def _households(engine: Engine) -> list[tuple[Any, ...]]:
    columns = ["village_code", "household_no", "head_name", "phone", "tags"]
    return _rows(engine, "household", columns, ["village_code", "household_no"])


def test_the_same_seed_gives_the_same_county(demo: Demo, same_seed: Demo) -> None:
    assert _regions(demo[0]) == _regions(same_seed[0])
    assert _households(demo[0]) == _households(same_seed[0])
    assert demo[1] == same_seed[1]


def test_another_seed_gives_other_households(demo: Demo, other_seed: Demo) -> None:
    assert _households(demo[0]) != _households(other_seed[0])


def test_a_second_populate_is_refused_and_adds_nothing(demo: Demo) -> None:
    engine, _ = demo
    models: list[type[SQLModel]] = [Region, Household, User, Assignment, Visit, Checkin, Photo, Flag]
    before = [_count(engine, model) for model in models]
    with pytest.raises(DemoNotEmpty, match="已有区划"):
        populate(engine=engine, seed=3)
    assert [_count(engine, model) for model in models] == before


def test_a_database_with_a_demo_username_taken_is_refused(tmp_path: Path) -> None:
    engine = _migrated(tmp_path / "d.db")
    with Session(engine) as session:
        session.add(User(username="admin", display_name="管理员", role="admin", password_hash="x"))
        session.commit()
    with pytest.raises(DemoNotEmpty, match="admin"):
        populate(engine=engine)
    assert _count(engine, Region) == 0
    assert _count(engine, User) == 1
    engine.dispose()


def test_the_printed_logins_open_their_accounts(demo: Demo) -> None:
    engine, summary = demo
    with Session(engine) as session:
        users = {u.username: u for u in session.exec(select(User)).all()}
    assert {login.username for login in summary.logins} == set(users)
    for login in summary.logins:
        assert users[login.username].role == login.role
        assert login.description
    # One argon2 verification per distinct (hash, password) pair keeps this test fast.
    pairs = {(users[login.username].password_hash, login.password) for login in summary.logins}
    assert all(verify_password(stored, password) for stored, password in pairs)


def _local(at: dt.datetime) -> dt.datetime:
    return at.astimezone(ZoneInfo("Asia/Shanghai"))


def _problems(summary: DemoSummary) -> dict[str, str]:
    return {problem.kind: problem.username for problem in summary.problems}


def test_field_records_refer_to_real_rows_and_stored_files(demo: Demo, demo_folder: Path) -> None:
    engine, summary = demo
    today = _local(dt.datetime.now(dt.UTC)).date()
    with Session(engine) as session:
        users = {u.id: u for u in session.exec(select(User)).all()}
        posted = {(a.user_id, a.village_code) for a in session.exec(select(Assignment)).all()}
        households = {h.id: h.village_code for h in session.exec(select(Household)).all()}
        visits = session.exec(select(Visit)).all()
        checkins = session.exec(select(Checkin)).all()
        photos = {p.id: p for p in session.exec(select(Photo)).all()}
        links = session.exec(select(VisitPhoto)).all()
        requests = session.exec(select(VillagerRequest).where(VillagerRequest.source == "visit")).all()
    assert (summary.field_days, summary.visits, summary.checkins) == (DAYS, len(visits), len(checkins))
    assert (summary.photos, summary.requests) == (len(photos), len(requests))
    assert len(visits) > 2000
    assert len(checkins) > 600
    assert len(photos) > 100
    assert len(requests) > 100
    for visit in visits:
        assert (visit.user_id, visit.village_code) in posted
        assert users[visit.user_id].role == "secretary"
        assert 1 <= (today - _local(visit.started_at).date()).days <= DAYS
        assert re.search(r"[\u4e00-\u9fff]", visit.notes or "")
        if visit.kind == "home_visit":
            assert visit.household_id is not None
            assert households[visit.household_id] == visit.village_code
            assert dt.time(9) <= _local(visit.started_at).time() <= dt.time(18)
    assert {v.kind for v in visits} == {"home_visit", "meeting", "group_talk", "service", "log"}
    for checkin in checkins:
        assert (checkin.user_id, checkin.village_code) in posted
        assert dt.time(7) <= _local(checkin.at).time() <= dt.time(9)
    visit_users = {v.id: v.user_id for v in visits}
    for link in links:
        assert photos[link.photo_id].user_id == visit_users[link.visit_id]
    store = _store(demo_folder)
    for photo in photos.values():
        assert photo.taken_at is not None
        assert photo.exif_lat is not None
        assert photo.width == 320
        assert store.get(photo.display_key)[:2] == b"\xff\xd8"
        assert store.get(photo.thumb_key)[:2] == b"\xff\xd8"
    assert {r.category for r in requests} <= {"医疗", "道路", "饮水", "就业", "低保", "住房", "教育", "产业"}
    assert {r.status for r in requests} == {"open", "in_progress", "resolved"}
    assert all(r.resolution for r in requests if r.status == "resolved")


def test_each_planned_misbehaviour_raises_its_flag_and_only_those(demo: Demo) -> None:
    engine, summary = demo
    problems = _problems(summary)
    assert set(problems) == {
        "few_home_visits",
        "implausible_pace",
        "duplicate_photo",
        "off_site",
        "photo_time_mismatch",
    }
    with Session(engine) as session:
        ids = {u.username: u.id for u in session.exec(select(User)).all()}
        flags = session.exec(select(Flag.kind, Flag.user_id)).all()
        home_visits = dict(
            session.exec(
                select(Visit.user_id, func.count()).where(Visit.kind == "home_visit").group_by(col(Visit.user_id))
            ).all()
        )
    raised = {(kind, user_id) for kind, user_id in flags}
    for kind, username in problems.items():
        if kind != "few_home_visits":
            assert (kind, ids[username]) in raised
    # Honest secretaries' records look honest to every check.
    assert {user_id for _, user_id in raised} <= {ids[name] for name in problems.values()}
    assert summary.flags == {kind: sum(k == kind for k, _ in flags) for kind, _ in flags}
    counts = sorted(home_visits.get(ids[f"sec{n:02d}"], 0) for n in range(1, 41))
    median = counts[len(counts) // 2]
    assert home_visits.get(ids[problems["few_home_visits"]], 0) <= median / 10


def test_honest_secretaries_work_at_a_human_pace(demo: Demo) -> None:
    engine, summary = demo
    with Session(engine) as session:
        burst = session.exec(select(User.id).where(User.username == _problems(summary)["implausible_pace"])).one()
        rows = session.exec(
            select(Visit.user_id, Visit.started_at)
            .where(Visit.user_id != burst)
            .order_by(col(Visit.user_id), col(Visit.started_at))
        ).all()
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(rows) if a[0] == b[0]]
    assert min(gaps) >= dt.timedelta(minutes=20)


def test_households_count_exactly_their_home_visits(demo: Demo) -> None:
    engine, _ = demo
    with Session(engine) as session:
        counted = {
            hid: (n, last)
            for hid, n, last in session.exec(
                select(Visit.household_id, func.count(), func.max(Visit.started_at))
                .where(Visit.kind == "home_visit")
                .group_by(col(Visit.household_id))
            ).all()
        }
        households = session.exec(select(Household)).all()
    assert counted
    for household in households:
        n, last = counted.get(household.id, (0, None))
        assert (household.visit_count, household.last_visit_at) == (n, last)


def _records(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "visit": _rows(engine, "visit", ["id", "kind", "household_id", "started_at", "notes"], ["id"]),
        "checkin": _rows(engine, "checkin", ["id", "at", "lat", "lon"], ["id"]),
        "photo": _rows(engine, "photo", ["id", "sha256", "dhash", "taken_at"], ["id"]),
        # A public page's message gets its id and receipt code from the server, at random.
        "request": _rows(
            engine,
            "villager_request",
            ["village_code", "created_at", "category", "text", "status"],
            ["village_code", "created_at", "text"],
        ),
        "flag": _rows(engine, "flag", ["dedupe_key"], ["dedupe_key"]),
    }


def test_the_same_seed_gives_the_same_records(demo: Demo, same_seed: Demo) -> None:
    assert _records(demo[0]) == _records(same_seed[0])


def test_the_summary_names_the_counts_and_the_problem_secretaries(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    _, summary = demo
    _print_demo(summary)
    printed = capsys.readouterr().out
    assert f"走访 {summary.visits} 条" in printed
    assert f"照片 {summary.photos} 张" in printed
    for problem in summary.problems:
        assert f"{problem.username} {problem.description}" in printed


class _FailingStore(LocalStore):
    """A local store whose fifth write fails, as a full disk would."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.puts = 0

    def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        if self.puts == 5:
            raise OSError(28, "No space left on device")
        super().put(key, data)


def test_a_failed_load_leaves_neither_rows_nor_photo_files(tmp_path: Path) -> None:
    engine = _migrated(tmp_path / "d.db")
    store = _FailingStore(tmp_path / "media")
    with pytest.raises(OSError, match="No space"):
        populate(engine=engine, settings=_settings(tmp_path), store=store, days=3)
    assert store.puts >= 5
    assert [_count(engine, model) for model in (Region, User, Visit, Photo)] == [0, 0, 0, 0]
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []
    engine.dispose()


def test_inspections_catch_the_made_up_visits_and_the_secretary_nobody_knows(demo: Demo) -> None:
    engine, summary = demo
    problems = _problems(summary)
    with Session(engine) as session:
        ids = {u.username: u.id for u in session.exec(select(User)).all()}
        inspected = session.exec(select(Inspection.village_code)).all()
        flagged = session.exec(
            select(Flag.kind, Flag.user_id).where(col(Flag.kind).in_(["visit_denied", "low_awareness"]))
        ).all()
        answers = session.exec(select(func.count()).select_from(InspectionAnswer)).one()
    assert summary.inspections == len(inspected) == len(set(inspected)) == 8
    assert answers == 8 * 12
    fakers = {ids[problems["implausible_pace"]], ids[problems["duplicate_photo"]]}
    denied = {user_id for kind, user_id in flagged if kind == "visit_denied"}
    assert denied == fakers  # and no honest secretary is accused
    assert ids[problems["few_home_visits"]] in {user_id for kind, user_id in flagged if kind == "low_awareness"}


def test_requests_and_flags_are_dated_as_their_records_not_as_the_load(demo: Demo) -> None:
    """Every quarter the demo covers has requests and flags; none is stamped with the load's time."""
    engine, _ = demo
    with Session(engine) as session:
        requests = session.exec(
            select(VillagerRequest, Visit.started_at).join(Visit, col(Visit.id) == col(VillagerRequest.visit_id))
        ).all()
        flags = session.exec(
            select(Flag).where(col(Flag.kind).in_(["duplicate_photo", "off_site", "photo_time_mismatch"]))
        ).all()
        record_times = dict(session.exec(select(Visit.id, Visit.started_at)).all())
        record_times.update(session.exec(select(Checkin.id, Checkin.at)).all())
    assert requests
    assert all(request.created_at == raised for request, raised in requests)
    resolved = [r for r, _ in requests if r.status == "resolved"]
    assert resolved
    assert all(r.resolved_at is not None and r.created_at < r.resolved_at for r in resolved)
    assert max(r.created_at for r, _ in requests) - min(r.created_at for r, _ in requests) > dt.timedelta(
        days=DAYS // 2
    )
    assert flags
    assert all(flag.raised_at == record_times[flag.subject_id] for flag in flags if flag.subject_id in record_times)


def test_every_weak_lax_village_keeps_a_ledger_at_some_stage_and_villagers_left_messages(demo: Demo) -> None:
    """The ledgers are written through the services: their history explains every status."""
    engine, summary = demo
    with Session(engine) as session:
        weak = session.exec(select(Region).where(col(Region.weak_lax))).all()
        measures = session.exec(select(RectificationMeasure)).all()
        events = session.exec(select(RectificationEvent)).all()
        messages = session.exec(select(VillagerRequest).where(VillagerRequest.source == "public_page")).all()
        published = session.exec(select(User).where(col(User.public_phone).is_not(None))).all()
    ledgers = {m.village_code for m in measures}
    assert ledgers == {v.code for v in weak}
    assert (summary.ledger_villages, summary.measures) == (len(weak), len(measures))
    assert {v.rectification_status for v in weak} == {"rectifying", "accepted"}
    accepted = {v.code for v in weak if v.rectification_status == "accepted"}
    for village in weak:
        verdicts = [
            e.action
            for e in sorted(events, key=lambda e: e.at)
            if e.village_code == village.code and e.action in ("accepted", "acceptance_returned")
        ]
        assert (verdicts[-1:] == ["accepted"]) == (village.code in accepted)
    assert {"open", "in_progress", "done", "confirmed"} <= {m.status for m in measures}
    assert all(m.status == "confirmed" for m in measures if m.village_code in accepted)
    assert summary.public_messages == len(messages) > 0
    assert all(m.receipt and m.visit_id is None for m in messages)
    assert {m.status for m in messages} >= {"open", "resolved"}
    assert published
    assert all(u.public_phone == u.phone for u in published)
