"""The demo county: its shape, its determinism, and that it never lands in a used database."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, create_engine, event, func
from sqlmodel import Session, SQLModel, col, select

from api.assignments.models import Assignment
from api.auth.models import User
from api.auth.passwords import verify_password
from api.demo import DemoNotEmpty, DemoSummary, populate
from api.households.models import Household
from api.migrations import upgrade
from api.regions import codes
from api.regions.models import Region

Demo = tuple[Engine, DemoSummary]


def _migrated(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _foreign_keys(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    upgrade(engine)
    return engine


def _populated(path: Path, seed: int) -> Iterator[Demo]:
    engine = _migrated(path)
    yield engine, populate(engine=engine, seed=seed)
    engine.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from _populated(tmp_path_factory.mktemp("demo") / "d.db", seed=1)


@pytest.fixture(scope="module")
def same_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from _populated(tmp_path_factory.mktemp("demo") / "d.db", seed=1)


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from _populated(tmp_path_factory.mktemp("demo") / "d.db", seed=2)


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
        assert (household.visit_count, household.last_visit_at) == (0, None)
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
    models: list[type[SQLModel]] = [Region, Household, User, Assignment]
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
