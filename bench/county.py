"""A county for load runs: one town, a village per secretary, households in each, postings.

Built with bulk inserts straight into a migrated database (SQLite file or a PostgreSQL
database of its own), so that a run of 300 phones starts in seconds. Every secretary's
password is ``PASSWORD``; runs that do not measure logins mint tokens with ``token_for``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api.assignments.models import Assignment
from api.auth.models import User
from api.auth.passwords import hash_password, issue_access_token
from api.db import make_engine
from api.households.models import Household
from api.migrations import upgrade
from api.regions.models import Region
from api.settings import Settings

COUNTY = "520199000000"
TOWN = "520199100000"
PASSWORD = "field-day-2026"
SIGNING_KEY = "bench-signing-key-" + "k" * 32
CENTRE = (26.5, 106.7)
POSTED_ON = dt.date(2026, 1, 1)


@dataclass(frozen=True)
class Secretary:
    user_id: int
    username: str
    village_code: str
    households: tuple[int, ...]


def village_code(index: int) -> str:
    return f"520199100{index + 1:03d}"


@contextmanager
def fresh_database(kind: str, folder: str, postgres_server: str | None) -> Iterator[str]:
    """The URL of an empty database of ``kind`` (``sqlite`` or ``postgresql``), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/zoufang.db"
        return
    if not postgres_server:
        raise SystemExit("PostgreSQL runs need --postgres (or ZOUFANG_TEST_POSTGRES_URL)")
    name = f"zoufang_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_county(database_url: str, *, secretaries: int, households_per_village: int) -> list[Secretary]:
    """Migrate the database and fill it; returns the secretaries with their households' ids."""
    engine = make_engine(Settings(database_url=database_url))
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    password_hash = hash_password(PASSWORD)
    codes = [village_code(i) for i in range(secretaries)]
    with Session(engine) as session:
        session.add(Region(code=COUNTY, name="青山县", level="county"))
        session.add(Region(code=TOWN, name="石门镇", level="town", parent_code=COUNTY))
        session.flush()
        session.execute(
            insert(Region),
            [
                {
                    "code": code,
                    "name": f"{i + 1}村",
                    "level": "village",
                    "parent_code": TOWN,
                    "lat": CENTRE[0],
                    "lon": CENTRE[1],
                    "radius_m": 1500,
                    "kind": "village",
                    "weak_lax": i % 3 == 0,
                    "weak_lax_reasons": [],
                    "rectification_status": "none",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, code in enumerate(codes)
            ],
        )
        session.execute(
            insert(User),
            [
                {
                    "username": f"sec{i + 1:03d}",
                    "display_name": f"第一书记{i + 1}",
                    "role": "secretary",
                    "scope_code": code,
                    "password_hash": password_hash,
                    "is_active": True,
                    "created_at": now,
                }
                for i, code in enumerate(codes)
            ],
        )
        session.execute(
            insert(Household),
            [
                {
                    "village_code": code,
                    "household_no": f"{n + 1:04d}",
                    "head_name": f"户主{n + 1}",
                    "tags": [],
                    "visit_count": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for code in codes
                for n in range(households_per_village)
            ],
        )
        users = {name: user_id for name, user_id in session.execute(text("SELECT username, id FROM app_user"))}
        session.execute(
            insert(Assignment),
            [
                {
                    "user_id": users[f"sec{i + 1:03d}"],
                    "village_code": code,
                    "position": "first_secretary",
                    "dispatch_unit": "县农业农村局",
                    "start_date": POSTED_ON,
                    "created_at": now,
                }
                for i, code in enumerate(codes)
            ],
        )
        homes: dict[str, list[int]] = {code: [] for code in codes}
        for household_id, code in session.execute(text("SELECT id, village_code FROM household ORDER BY id")):
            homes[code].append(household_id)
        session.commit()
    engine.dispose()
    return [
        Secretary(users[f"sec{i + 1:03d}"], f"sec{i + 1:03d}", code, tuple(homes[code])) for i, code in enumerate(codes)
    ]


def token_for(secretary: Secretary, *, minutes: int = 24 * 60) -> str:
    """An access token as the server signed with ``SIGNING_KEY`` would issue at login."""
    return issue_access_token(user_id=secretary.user_id, key=SIGNING_KEY, minutes=minutes)[0]
