"""Dashboards: the village and secretary dashboards over a county (SQLite) or a province (PostgreSQL).

Run: ``uv run python bench/dashboards.py [--scale county|province] [--runs N] [--write-readme]``

Targets (the dashboards issue): a county of 300 villages, 60,000 households and 1,000,000 visits
answers each dashboard call within 50 ms p95 on SQLite; a province of 20,000 villages, 5,000,000
households and 30,000,000 visits on PostgreSQL within 1 s p95 for a county's scope and 3 s for
the whole province.

Method.

1. A fresh database (a temporary SQLite file, or a PostgreSQL database this script creates and
   drops) is migrated with the project's migrations, then bulk-loaded a group of villages at a
   time, so memory stays bounded: counties of 300 villages in 15 towns, one first secretary
   posted to each village, households, two years of visits ending yesterday, daily check-ins,
   villagers' requests and flags. Villages differ as they do in the field: their shares of the
   visits are skewed (lognormal), some were rarely visited, some stopped 45 days ago, some saw a
   rush in the last months, some secretaries seldom enter homes, some are seldom present.
   Households carry ``last_visit_at`` / ``visit_count`` of their home visits, and the rollup
   rows (``visit_day``, ``visit_week``, ``presence_day``, ``village_activity``) are counted from the generated
   records with the definitions the live code uses: the local day of ``started_at`` in the
   deployment's time zone, and ``api.oversight.rollups.presence_of`` for check-ins. SQLite is
   filled with ``executemany`` in large transactions, PostgreSQL with ``COPY``; secondary
   indexes and (on PostgreSQL) keys are dropped for the load and rebuilt after it, as a restore
   does; PostgreSQL then gets VACUUM (ANALYZE), as autovacuum would soon give it (SQLite gets no
   ANALYZE: the service never runs it there).
2. Before any timing, the answers are checked: every village's numbers from the endpoint equal
   a recount over the raw visits and check-ins (the baseline below) for every scope timed, and
   for the busiest and the quietest village the rollup rows in the database equal the rows the
   live code (``add_visits`` / ``add_checkins``) writes for the same records into a scratch
   database.
3. The real endpoints are timed through the ASGI app (``create_app`` and Starlette's
   TestClient, in process): ``GET /api/v1/dashboard/villages?days=90&limit=500`` and
   ``GET /api/v1/dashboard/secretaries?weeks=12&limit=500``, every page of the scope walked with
   its ``next_cursor``, as a county user (the county scope) and, on PostgreSQL, as an admin (the
   whole province). Tokens are issued directly; logging in is not timed.
4. The baseline, in the same run on the same database and connection pool: the same numbers
   computed by plain GROUP BY queries over the raw ``visit`` and ``checkin`` tables (no
   rollups), for the same pages of the same scope. Baseline and endpoint take turns, run by
   run, after a warm-up of each; p50 and p95 are over the runs.
5. The statements of one endpoint call are timed one by one (SQLAlchemy cursor events), and the
   slowest is shown with its query plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on
   PostgreSQL).

The province's sizes can be cut (``--villages``, ``--households-per-village``, ``--visits``);
the full province loads 30 M visits, which takes long on a small machine.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from fastapi.testclient import TestClient

# photo_ingest and readme are sibling modules (run as a script, bench/ is first on sys.path): one
# description of the machine, one way of writing figures into bench/README.md.
from photo_ingest import machine
from readme import README, write_figures
from sqlalchemy import Engine, bindparam, column, create_engine, event, text, true
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col, select
from summary_export import count_every_village, markdown, time_exports, time_summary

import api.models  # noqa: F401 - registers every table on the metadata
from api.assignments.models import Assignment
from api.auth.passwords import issue_access_token
from api.checkins.models import Checkin
from api.clock import monday_of, start_of
from api.db import UTCDateTime, make_engine, metadata
from api.main import create_app
from api.migrations import upgrade
from api.oversight.models import PresenceDay, VillageActivity, VisitDay, VisitWeek
from api.oversight.rollups import StoredCheckin, StoredVisit, add_checkins, add_visits, presence_of
from api.regions import codes as region_codes
from api.regions.models import Region
from api.settings import Settings
from api.visits.models import Visit

SECTION = "## Dashboards"
MARKERS = {
    "county": (
        "<!-- figures: written by bench/dashboards.py --scale county --write-readme -->",
        "<!-- end of county dashboard figures -->",
    ),
    "province": (
        "<!-- figures: written by bench/dashboards.py --scale province --write-readme -->",
        "<!-- end of province dashboard figures -->",
    ),
}
HEADINGS = {"county": "### County: SQLite", "province": "### Province: PostgreSQL"}
SCALES: dict[str, dict[str, int]] = {
    "county": {"villages": 300, "households_per_village": 200, "visits": 1_000_000, "runs": 30},
    "province": {"villages": 20_000, "households_per_village": 250, "visits": 30_000_000, "runs": 10},
}
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "zoufang_bench_dash"
TARGET_SQLITE_MS = 50.0
TARGET_COUNTY_PG_MS = 1000.0
TARGET_PROVINCE_PG_MS = 3000.0

VILLAGES_PER_COUNTY = 300
TOWNS_PER_COUNTY = 15
DAYS = 730  # visits and check-ins over the last two years, ending yesterday
PAGE = 500  # the endpoints' largest page
ADMIN_ID = 1
CHUNK_VISITS = 200_000  # rows generated before they are written: bounds the memory
KINDS_OTHER = ("group_talk", "meeting", "service", "log")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国明华秀英志强桂兰德福春梅玉珍永刚海燕文军丽娟"
CATEGORIES = ("医疗", "住房", "就业", "道路", "饮水", "低保", "教育", "产业")

# The columns this script writes, in order; every column of the table it leaves out must be nullable.
COLUMNS: dict[str, tuple[str, ...]] = {
    "region": (
        "code", "name", "level", "parent_code", "lat", "lon", "radius_m", "kind", "weak_lax",
        "weak_lax_reasons", "rectification_status", "created_at", "updated_at",
    ),
    "app_user": (
        "id", "username", "display_name", "role", "scope_code", "password_hash", "is_active", "created_at",
        "must_change_password", "session_epoch",
    ),
    "assignment": ("id", "user_id", "village_code", "position", "dispatch_unit", "start_date", "created_at"),
    "household": (
        "id", "village_code", "household_no", "head_name", "group_name", "tags", "last_visit_at",
        "visit_count", "created_at", "updated_at",
    ),
    "visit": (
        "id", "user_id", "village_code", "household_id", "kind", "started_at", "received_at", "lat", "lon",
        "accuracy_m", "content_hash", "checks",
    ),
    "checkin": (
        "id", "user_id", "village_code", "at", "received_at", "lat", "lon", "accuracy_m", "content_hash", "checks",
    ),
    "villager_request": (
        "id", "visit_id", "village_code", "household_id", "category", "text", "position", "status",
        "resolution", "created_at", "updated_at", "resolved_at", "source",
    ),
    "flag": (
        "id", "kind", "severity", "village_code", "user_id", "subject_id", "detail", "evidence", "dedupe_key",
        "raised_at", "status", "updated_at",
    ),
    "visit_day": ("village_code", "day", "user_id", "visits", "home_visits"),
    "visit_week": ("village_code", "week", "user_id", "visits"),
    "presence_day": ("village_code", "day", "user_id", "night"),
    "village_activity": ("village_code", "last_visit_at"),
}  # fmt: skip
BULK_TABLES = (
    "household",
    "visit",
    "checkin",
    "villager_request",
    "flag",
    "visit_day",
    "visit_week",
    "presence_day",
    "village_activity",
)
INTEGER_KEYS = ("app_user", "assignment", "household", "flag")


def check_columns() -> None:
    """Fail loudly when the schema gained a required column this script does not fill."""
    for table, columns in COLUMNS.items():
        known = metadata.tables[table].columns
        assert set(columns) <= set(known.keys()), (table, set(columns) - set(known.keys()))
        required = [c.name for c in known if c.name not in columns and not c.nullable and c.server_default is None]
        assert not required, f"bench/dashboards.py does not fill {table}.{required}"


# --- the county or province -------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    villages: int
    households_per_village: int
    visits: int

    @property
    def counties(self) -> int:
        return math.ceil(self.villages / VILLAGES_PER_COUNTY)

    @staticmethod
    def county_code(k: int) -> str:
        return f"52{k // 8 + 1:02d}{k % 8 + 1:02d}000000"

    def town_code(self, i: int) -> str:
        town = i % VILLAGES_PER_COUNTY // (VILLAGES_PER_COUNTY // TOWNS_PER_COUNTY)
        return f"{self.county_code(i // VILLAGES_PER_COUNTY)[:6]}{101 + town:03d}000"

    def village_code(self, i: int) -> str:
        return f"{self.town_code(i)[:9]}{201 + i % (VILLAGES_PER_COUNTY // TOWNS_PER_COUNTY):03d}"

    @staticmethod
    def county_user_id(k: int) -> int:
        return 2 + k

    def secretary_id(self, i: int) -> int:
        return 2 + self.counties + i

    def household_id(self, i: int, n: int) -> int:
        return i * self.households_per_village + n + 1


@dataclass(frozen=True)
class VillagePlan:
    index: int
    visits: int
    kind: str  # steady, rare (steady but few), rush (busier in the last 120 days), stopped (45 days ago)
    home_share: float
    presence: float
    night_share: float
    weak_lax: bool


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to ``weights`` that add up to ``total`` exactly (largest remainders)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts


def plan_villages(layout: Layout, seed: int) -> list[VillagePlan]:
    rng = random.Random(seed)
    weights, kinds = [], []
    for _ in range(layout.villages):
        draw = rng.random()
        kind = "stopped" if draw < 0.06 else "rare" if draw < 0.12 else "rush" if draw < 0.22 else "steady"
        weight = min(rng.lognormvariate(0, 0.6), 4.0) * (0.05 if kind == "rare" else 1.0)
        weights.append(weight)
        kinds.append(kind)
    counts = apportion(layout.visits, weights)
    plans = []
    for i in range(layout.villages):
        lax = rng.random() < 0.1
        plans.append(
            VillagePlan(
                index=i,
                visits=counts[i],
                kind=kinds[i],
                home_share=0.25 if rng.random() < 0.08 else 0.7,
                presence=0.3 if lax else rng.uniform(0.7, 0.95),
                night_share=0.05 if rng.random() < 0.3 else 0.3,
                weak_lax=lax or kinds[i] == "rare",
            )
        )
    return plans


class Generator:
    """Rows for one village at a time, with its households' counters and its rollup rows."""

    def __init__(self, layout: Layout, tz: ZoneInfo, now: dt.datetime, seed: int) -> None:
        self.layout = layout
        self.tz = tz
        self.seed = seed
        self.today = now.astimezone(tz).date()
        self.first_day = self.today - dt.timedelta(days=DAYS)
        days = [self.first_day + dt.timedelta(days=d) for d in range(DAYS)]
        # The instant each local day begins, in UTC.
        self.day_start = [start_of(day, tz).astimezone(dt.UTC) for day in days]
        self.received = [stamp(start + dt.timedelta(hours=21)) for start in self.day_start]
        weekday = [1.0 if day.weekday() < 5 else 0.35 for day in days]
        self.weekend = [day.weekday() >= 5 for day in days]
        shapes = {
            "steady": weekday,
            "rush": [w * (3.0 if d >= DAYS - 120 else 1.0) for d, w in enumerate(weekday)],
            "stopped": [w * (0.0 if d >= DAYS - 45 else 1.0) for d, w in enumerate(weekday)],
        }
        self.cum_weights = {name: list(accumulate(w)) for name, w in shapes.items()}
        self.created = stamp(self.day_start[0])
        self.flag_id = 0

    def village(self, plan: VillagePlan) -> dict[str, list[tuple[Any, ...]]]:
        layout, tz = self.layout, self.tz
        rng = random.Random(self.seed * 1_000_003 + plan.index)
        rand, bits = rng.random, rng.getrandbits
        code = layout.village_code(plan.index)
        user = layout.secretary_id(plan.index)
        households = layout.households_per_village
        first_household = layout.household_id(plan.index, 0)
        out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        visits, requests = out["visit"], out["villager_request"]
        per_day: Counter[dt.date] = Counter()
        homes_per_day: Counter[dt.date] = Counter()
        last_home: dict[int, str] = {}
        home_count: Counter[int] = Counter()
        latest = ""
        day_start, received = self.day_start, self.received
        shape = "steady" if plan.kind == "rare" else plan.kind
        days = rng.choices(range(DAYS), cum_weights=self.cum_weights[shape], k=plan.visits)
        for d in days:
            at = day_start[d] + dt.timedelta(seconds=28_800 + rand() * 39_600)  # 08:00-19:00 local
            started = stamp(at)
            home = rand() < plan.home_share
            household = first_household + int(households * rand() ** 1.6) if home else None
            visit_id = uuid_of(bits(128))
            visits.append(
                (
                    visit_id,
                    user,
                    code,
                    household,
                    "home_visit" if home else KINDS_OTHER[int(rand() * 4)],
                    started,
                    received[d],
                    26.5 + rand() * 0.01,
                    106.7 + rand() * 0.01,
                    8.0 + rand() * 20,
                    f"{bits(256):064x}",
                    "[]",
                )
            )
            # The rollup's bucket, as api.oversight.rollups.add_visits computes it.
            day = at.astimezone(tz).date()
            per_day[day] += 1
            if household is not None:
                homes_per_day[day] += 1
                home_count[household] += 1
                if started > last_home.get(household, ""):
                    last_home[household] = started
                if rand() < 0.02:
                    requests.append(self._request(rng, code, visit_id, household, started))
            latest = max(latest, started)
        out["visit_day"] = [(code, day.isoformat(), user, n, homes_per_day[day]) for day, n in sorted(per_day.items())]
        per_week: Counter[dt.date] = Counter()
        for day, n in per_day.items():
            per_week[monday_of(day)] += n
        out["visit_week"] = [(code, week.isoformat(), user, n) for week, n in sorted(per_week.items())]
        if latest:
            out["village_activity"] = [(code, latest)]
        out["household"] = [
            (
                first_household + n,
                code,
                f"{n + 1:04d}",
                SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)] + GIVEN[(n * 11) % len(GIVEN)],
                f"{n // 40 + 1}组",
                "[]",
                last_home.get(first_household + n),
                home_count[first_household + n],
                self.created,
                self.created,
            )
            for n in range(households)
        ]
        self._checkins(rng, plan, code, user, out)
        return out

    def _request(self, rng: random.Random, code: str, visit_id: str, household: int, at: str) -> tuple[Any, ...]:
        status = rng.choices(("resolved", "open", "in_progress"), (0.6, 0.25, 0.15))[0]
        done = status == "resolved"
        return (
            uuid_of(rng.getrandbits(128)),
            visit_id,
            code,
            household,
            rng.choice(CATEGORIES),
            "希望帮忙协调解决",
            0,
            status,
            "已协调解决" if done else None,
            at,
            at,
            at if done else None,
            "visit",
        )

    def _checkins(
        self, rng: random.Random, plan: VillagePlan, code: str, user: int, out: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        """Daily check-ins; some at night (20:00-06:00), a few off site (which show no presence)."""
        rand, bits, tz = rng.random, rng.getrandbits, self.tz
        checkins, flags = out["checkin"], out["flag"]
        presence: set[tuple[dt.date, bool]] = set()
        recent = DAYS - 30
        for d in range(DAYS):
            if rand() >= plan.presence * (0.5 if self.weekend[d] else 1.0):
                continue
            times = [27_000 + rand() * 9_000]  # 07:30-10:00
            if rand() < plan.night_share:
                times.append(72_000 + rand() * 10_800)  # 20:00-23:00
            if rand() < 0.05:
                times.append(18_000 + rand() * 3_599)  # 05:00-06:00, the night before
            for seconds in times:
                at = self.day_start[d] + dt.timedelta(seconds=seconds)
                off_site = rand() < 0.03
                checkin_id = uuid_of(bits(128))
                checkins.append(
                    (
                        checkin_id,
                        user,
                        code,
                        stamp(at),
                        self.received[d],
                        26.6 if off_site else 26.5 + rand() * 0.01,
                        106.7 + rand() * 0.01,
                        10.0 + rand() * 15,
                        f"{bits(256):064x}",
                        '["off_site"]' if off_site else "[]",
                    )
                )
                if off_site:
                    flags.append(self._flag("off_site", code, user, checkin_id, stamp(at), open_=d >= recent))
                else:
                    presence.update(presence_of(at, tz=tz))
        out["presence_day"] = [(code, day.isoformat(), user, night) for day, night in sorted(presence)]
        if plan.weak_lax:
            at = self.received[-1]
            flags.append(self._flag("low_coverage", code, None, f"{code}:{self.today.isoformat()}", at, open_=True))

    def _flag(self, kind: str, code: str, user: int | None, subject: str, at: str, *, open_: bool) -> tuple[Any, ...]:
        self.flag_id += 1
        return (
            self.flag_id,
            kind,
            "medium",
            code,
            user,
            subject,
            "签到定位超出村范围" if kind == "off_site" else "近 90 天入户走访覆盖率偏低",
            "{}",
            f"{kind}:{subject}",
            at,
            "open" if open_ else "resolved",
            at,
        )


def accumulate(values: Sequence[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def stamp(at: dt.datetime) -> str:
    """A UTC instant as both databases read it here: SQLAlchemy's SQLite format, and PostgreSQL
    ``timestamptz`` text on a connection whose time zone is UTC."""
    return at.astimezone(dt.UTC).isoformat(" ", "microseconds")[:26]


def uuid_of(n: int) -> str:
    """A random version-4 UUID from 128 random bits (the phones' record ids)."""
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def fixed_rows(layout: Layout, plans: Sequence[VillagePlan], created: str, start: dt.date) -> dict[str, list[Any]]:
    """Counties, towns, villages, users and postings."""

    def user(key: int, username: str, name: str, role: str, scope: str | None) -> tuple[Any, ...]:
        return (key, username, name, role, scope, "x", True, created, False, 0)

    regions: list[tuple[Any, ...]] = []
    users: list[tuple[Any, ...]] = [user(ADMIN_ID, "admin", "管理员", "admin", None)]
    assignments: list[tuple[Any, ...]] = []
    for k in range(layout.counties):
        county = layout.county_code(k)
        regions.append(
            (county, f"{k + 1}县", "county", None, None, None, None, None, False, "[]", "none", created, created)
        )
        users.append(user(layout.county_user_id(k), f"county{k + 1}", f"县督查{k + 1}", "county", county))
    towns = sorted({layout.town_code(i) for i in range(layout.villages)})
    for town in towns:
        county = town[:6] + "000000"
        regions.append(
            (town, f"{town[6:9]}镇", "town", county, None, None, None, None, False, "[]", "none", created, created)
        )
    for plan in plans:
        i, code = plan.index, layout.village_code(plan.index)
        reasons = '["书记履职不力"]' if plan.weak_lax else "[]"
        town = layout.town_code(i)
        place = (26.5, 106.7, 1500, "village")
        regions.append(
            (code, f"{code[9:]}村", "village", town, *place, plan.weak_lax, reasons, "none", created, created)
        )
        secretary = layout.secretary_id(i)
        users.append(user(secretary, f"s{i + 1}", f"书记{i + 1}", "secretary", code))
        assignments.append((i + 1, secretary, code, "first_secretary", "省直单位", start.isoformat(), created))
    return {"region": regions, "app_user": users, "assignment": assignments}


# --- loading ----------------------------------------------------------------------------------


class Loader:
    """Writes rows into one database; secondary indexes are rebuilt once everything is in."""

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def detach(self) -> None:
        raise NotImplementedError

    def attach(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteLoader(Loader):
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-262144")
        self.conn.execute("BEGIN")
        self.indexes: list[str] = []

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        columns = COLUMNS[table]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - the script's own names
        self.conn.executemany(sql, rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def detach(self) -> None:
        found = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "  # noqa: S608 - the script's own names
            f"({', '.join('?' * len(BULK_TABLES))})",
            BULK_TABLES,
        ).fetchall()
        for name, _ in found:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.indexes = [sql for _, sql in found]

    def attach(self) -> None:
        for sql in self.indexes:
            self.conn.execute(sql)
        self.conn.execute("COMMIT")
        problems = self.conn.execute("PRAGMA foreign_key_check").fetchmany(5)
        assert not problems, f"rows pointing nowhere: {problems}"
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.conn.close()


class PostgresLoader(Loader):
    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url)
        self.conn.execute("SET TIME ZONE 'UTC'")
        self.conn.execute("SET maintenance_work_mem = '512MB'")
        self.restore: list[str] = []

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.conn.commit()

    def detach(self) -> None:
        """Drop the bulk tables' foreign keys, keys and indexes; remember how to make them again."""
        tables = list(BULK_TABLES)
        foreign = self.conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
            (tables, tables),
        ).fetchall()
        keys = self.conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype IN ('p', 'u') AND conrelid::regclass::text = ANY(%s)",
            (tables,),
        ).fetchall()
        indexes = self.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            (tables,),
        ).fetchall()
        for table, name, _ in [*foreign, *keys]:
            self.conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.restore = [
            *(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for table, name, definition in keys),
            *(definition for _, definition in indexes),
            *(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for table, name, definition in foreign),
        ]
        self.conn.commit()

    def attach(self) -> None:
        for sql in self.restore:
            self.conn.execute(sql)  # type: ignore[arg-type]
        for table in INTEGER_KEYS:
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # type: ignore[arg-type]  # noqa: S608
            )
        self.conn.commit()
        self.conn.autocommit = True
        # VACUUM as well: it sets the visibility map (index-only scans need it), as autovacuum
        # would soon after a load, and keeps autovacuum from starting in the middle of the timing.
        self.conn.execute("VACUUM (ANALYZE)")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Loaded:
    seconds: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    rows: Counter[str] = field(default_factory=Counter)
    visits_per_village: list[int] = field(default_factory=list)
    plans: list[VillagePlan] = field(default_factory=list)


def build(engine: Engine, loader_of: Callable[[], Loader], layout: Layout, tz: ZoneInfo, seed: int) -> Loaded:
    loaded = Loaded()
    started = time.perf_counter()
    upgrade(engine)
    engine.dispose()
    loaded.parts["migrate"] = time.perf_counter() - started
    now = dt.datetime.now(dt.UTC)
    generator = Generator(layout, tz, now, seed)
    plans = plan_villages(layout, seed)
    loaded.plans = plans
    loaded.visits_per_village = [p.visits for p in plans]
    loader = loader_of()
    try:
        mark = time.perf_counter()
        loader.detach()
        for table, rows in fixed_rows(layout, plans, generator.created, generator.first_day).items():
            loader.write(table, rows)
            loaded.rows[table] += len(rows)
        buffer: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        pending = 0
        writing = 0.0
        for plan in plans:
            for table, rows in generator.village(plan).items():
                buffer[table].extend(rows)
            pending += plan.visits
            if pending >= CHUNK_VISITS or plan is plans[-1]:
                t = time.perf_counter()
                for table in BULK_TABLES:
                    loader.write(table, buffer[table])
                    loaded.rows[table] += len(buffer[table])
                loader.commit()
                writing += time.perf_counter() - t
                buffer.clear()
                pending = 0
                done = loaded.rows["visit"]
                elapsed = time.perf_counter() - mark
                print(f"  {done:>11,} visits  {elapsed:7.0f} s  ({done / elapsed:,.0f}/s)", flush=True)
        loaded.parts["generate"] = time.perf_counter() - mark - writing
        loaded.parts["write"] = writing
        mark = time.perf_counter()
        loader.attach()
        loaded.parts["indexes"] = time.perf_counter() - mark
    finally:
        loader.close()
    loaded.seconds = time.perf_counter() - started
    return loaded


# --- the baseline: the same numbers from the raw records ---------------------------------------


@dataclass(frozen=True)
class Local:
    """SQL for local dates and times of a UTC timestamp column, per database."""

    dialect: str
    tz: ZoneInfo

    def _offset_hours(self) -> int:
        # SQLite has no time zones: a fixed offset, valid for zones without daylight saving
        # (Asia/Shanghai has had none since 1991), which is checked here.
        now = dt.datetime.now(self.tz)
        offsets = {(now - dt.timedelta(days=d)).utcoffset() for d in range(0, DAYS + 400, 30)}
        assert len(offsets) == 1, "the SQLite baseline needs a zone without daylight saving"
        [offset] = offsets
        assert offset is not None
        return int(offset.total_seconds() // 3600)

    def date(self, column: str, shift_hours: int = 0) -> str:
        if self.dialect == "sqlite":
            return f"date({column}, '{self._offset_hours() + shift_hours:+d} hours')"
        return f"(({column} AT TIME ZONE '{self.tz.key}') + interval '{shift_hours} hours')::date"

    def time(self, column: str) -> str:
        if self.dialect == "sqlite":
            return f"time({column}, '{self._offset_hours():+d} hours')"
        return f"({column} AT TIME ZONE '{self.tz.key}')::time"

    def week(self, column: str) -> str:
        """Whole weeks between :first_monday and the local date of ``column``."""
        if self.dialect == "sqlite":
            return f"CAST(julianday({self.date(column)}) - julianday(:first_monday) AS INTEGER) / 7"
        return f"({self.date(column)} - CAST(:first_monday AS date)) / 7"

    def on_site(self) -> str:
        checks = "checks" if self.dialect == "sqlite" else "checks::text"
        return f"{checks} NOT LIKE '%off_site%'"


def _in(sql: str, **types: Any) -> Any:
    stmt = text(sql)
    params = [bindparam(name, expanding=True) for name in ("codes", "users") if f":{name}" in sql]
    params += [bindparam(name, type_=kind) for name, kind in types.items()]
    return stmt.bindparams(*params)


VILLAGE_FIELDS = (
    "households",
    "households_visited",
    "visits",
    "home_visits",
    "last_visit_at",
    "presence_days_30",
    "nights_30",
    "open_requests",
    "open_flags",
)


def baseline_villages(session: Session, local: Local, villages: Sequence[str], days: int) -> dict[str, dict[str, Any]]:
    """A village page's numbers by GROUP BY over household, visit, checkin, request and flag rows."""
    tz = local.tz
    today = dt.datetime.now(tz).date()
    since = start_of(today - dt.timedelta(days=days - 1), tz)
    presence_since = start_of(today - dt.timedelta(days=29), tz)
    out: dict[str, dict[str, Any]] = {
        code: dict.fromkeys(VILLAGE_FIELDS, 0) | {"last_visit_at": None} for code in villages
    }

    def fill(sql: str, names: Sequence[str], **params: Any) -> None:
        types = {k: UTCDateTime() for k, v in params.items() if isinstance(v, dt.datetime)}
        stmt = _in(sql, **types)
        for code, *values in session.execute(stmt, {"codes": list(villages), **params}).all():
            for name, value in zip(names, values, strict=True):
                out[code][name] = int(value or 0)

    fill(
        "SELECT village_code, count(*) FROM household WHERE village_code IN :codes GROUP BY village_code",
        ["households"],
    )
    fill(
        "SELECT village_code, count(*), sum(CASE WHEN kind = 'home_visit' THEN 1 ELSE 0 END), "
        "count(DISTINCT CASE WHEN kind = 'home_visit' THEN household_id END) "
        "FROM visit WHERE village_code IN :codes AND started_at >= :since GROUP BY village_code",
        ["visits", "home_visits", "households_visited"],
        since=since,
    )
    stmt = _in(
        "SELECT village_code, max(started_at) AS last FROM visit WHERE village_code IN :codes GROUP BY village_code"
    )
    for code, last in session.execute(
        stmt.columns(column("village_code"), column("last", UTCDateTime())), {"codes": list(villages)}
    ).all():
        out[code]["last_visit_at"] = last
    fill(
        f"SELECT village_code, count(DISTINCT {local.date('at')}) FROM checkin "  # noqa: S608 - the script's own names
        f"WHERE village_code IN :codes AND at >= :since AND {local.on_site()} GROUP BY village_code",
        ["presence_days_30"],
        since=presence_since,
    )
    # A night (20:00-06:00) belongs to the evening's date: the local date six hours earlier.
    fill(
        f"SELECT village_code, count(DISTINCT {local.date('at', -6)}) FROM checkin "  # noqa: S608 - the script's own names
        f"WHERE village_code IN :codes AND at >= :since AND {local.on_site()} "
        f"AND ({local.time('at')} >= '20:00:00' OR {local.time('at')} < '06:00:00') GROUP BY village_code",
        ["nights_30"],
        since=presence_since + dt.timedelta(hours=6),
    )
    fill(
        "SELECT village_code, count(*) FROM villager_request WHERE village_code IN :codes "
        "AND status <> 'resolved' GROUP BY village_code",
        ["open_requests"],
    )
    fill(
        "SELECT village_code, count(*) FROM flag WHERE village_code IN :codes AND status = 'open' "
        "GROUP BY village_code",
        ["open_flags"],
    )
    return out


def baseline_secretaries(
    session: Session, local: Local, postings: Sequence[tuple[int, str]], weeks: int
) -> dict[tuple[int, str], dict[str, Any]]:
    """A secretary page's numbers: weekly visits, presence and coverage from the raw records."""
    tz = local.tz
    today = dt.datetime.now(tz).date()
    first_monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    presence_since = start_of(today - dt.timedelta(days=29), tz)
    users = sorted({u for u, _ in postings})
    villages = sorted({v for _, v in postings})
    out = {p: {"visits_per_week": [0] * weeks, "presence_days_30": 0, "nights_30": 0} for p in postings}
    params = {"users": users, "codes": villages}
    stmt = _in(
        f"SELECT user_id, village_code, {local.week('started_at')} AS week, count(*) FROM visit "  # noqa: S608 - the script's own names
        "WHERE user_id IN :users AND village_code IN :codes AND started_at >= :since GROUP BY 1, 2, 3",
        since=UTCDateTime(),
    )
    for user, code, week, n in session.execute(
        stmt, {**params, "since": start_of(first_monday, tz), "first_monday": first_monday.isoformat()}
    ).all():
        if (user, code) in out:
            out[(user, code)]["visits_per_week"][int(week)] += n
    for name, extra, shift, since in (
        ("presence_days_30", "", 0, presence_since),
        (
            "nights_30",
            f" AND ({local.time('at')} >= '20:00:00' OR {local.time('at')} < '06:00:00')",
            -6,
            presence_since + dt.timedelta(hours=6),
        ),
    ):
        stmt = _in(
            f"SELECT user_id, village_code, count(DISTINCT {local.date('at', shift)}) FROM checkin "  # noqa: S608 - the script's own names
            f"WHERE user_id IN :users AND at >= :since AND {local.on_site()}{extra} GROUP BY user_id, village_code",
            since=UTCDateTime(),
        )
        for user, code, n in session.execute(stmt, {"users": users, "since": since}).all():
            if (user, code) in out:
                out[(user, code)][name] = n
    coverage = baseline_villages(session, local, villages, 90)
    for (_, code), row in out.items():
        c = coverage[code]
        row["coverage_90"] = round(c["households_visited"] / c["households"], 4) if c["households"] else None
    return out


def baseline_walk_villages(engine: Engine, local: Local, prefix: str, days: int) -> tuple[dict[str, Any], list[float]]:
    """Every page of the scope, as the endpoint pages it; the answer and each page's time in ms."""
    answer: dict[str, Any] = {}
    pages: list[float] = []
    after = ""
    with Session(engine) as session:
        while True:
            t = time.perf_counter()
            stmt = select(Region.code).where(
                Region.level == "village",
                region_codes.under(Region.code, prefix) if prefix else true(),
                col(Region.code) > after,
            )
            page = list(session.exec(stmt.order_by(col(Region.code)).limit(PAGE + 1)).all())[:PAGE]
            if page:
                answer.update(baseline_villages(session, local, page, days))
            pages.append((time.perf_counter() - t) * 1000)
            if len(page) < PAGE:
                break
            after = page[-1]
    return answer, pages


def baseline_walk_secretaries(
    engine: Engine, local: Local, prefix: str, weeks: int
) -> tuple[dict[Any, Any], list[float]]:
    answer: dict[Any, Any] = {}
    pages: list[float] = []
    after = 0
    today = dt.datetime.now(local.tz).date()
    with Session(engine) as session:
        while True:
            t = time.perf_counter()
            stmt = select(Assignment.id, Assignment.user_id, Assignment.village_code).where(
                region_codes.under(Assignment.village_code, prefix) if prefix else true(),
                col(Assignment.start_date) <= today,
                col(Assignment.end_date).is_(None) | (col(Assignment.end_date) >= today),
                col(Assignment.id) > after,
            )
            page = list(session.exec(stmt.order_by(col(Assignment.id)).limit(PAGE + 1)).all())[:PAGE]
            if page:
                answer.update(baseline_secretaries(session, local, [(u, v) for _, u, v in page], weeks))
            pages.append((time.perf_counter() - t) * 1000)
            if len(page) < PAGE:
                break
            after = page[-1][0]
    return answer, pages


# --- checks before timing ---------------------------------------------------------------------


def walk(client: TestClient, path: str, headers: dict[str, str]) -> tuple[list[dict[str, Any]], list[float]]:
    """Every page of an endpoint, following ``next_cursor``; the items and each call's time in ms."""
    items: list[dict[str, Any]] = []
    pages: list[float] = []
    cursor = None
    while True:
        url = path if cursor is None else f"{path}&cursor={cursor}"
        t = time.perf_counter()
        response = client.get(url, headers=headers)
        pages.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def compare_villages(items: Sequence[dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    got = {row["village_code"]: row for row in items}
    assert len(got) == len(items), "the endpoint lists a village twice"
    assert set(got) == set(expected), "the endpoint and the recount list other villages"
    for code, row in got.items():
        want = expected[code]
        for name in VILLAGE_FIELDS:
            value = row[name]
            if name == "last_visit_at" and value is not None:
                value = dt.datetime.fromisoformat(value)
            assert value == want[name], f"{code} {name}: endpoint {value!r}, recount {want[name]!r}"
        share = round(want["households_visited"] / want["households"], 4) if want["households"] else None
        assert row["coverage"] == share, (code, row["coverage"], share)


def compare_secretaries(items: Sequence[dict[str, Any]], expected: dict[Any, dict[str, Any]]) -> None:
    got = {(row["user_id"], row["village_code"]): row for row in items}
    assert len(got) == len(items), "the endpoint lists a posting twice"
    assert set(got) == set(expected), "the endpoint and the recount list other postings"
    for key, row in got.items():
        for name, want in expected[key].items():
            assert row[name] == want, f"{key} {name}: endpoint {row[name]!r}, recount {want!r}"


def check_rollups(engine: Engine, villages: Sequence[str], tz: ZoneInfo) -> None:
    """The loaded rollup rows of ``villages`` equal what the live code writes for their records."""
    scratch = create_engine("sqlite://")
    SQLModel.metadata.create_all(
        scratch,
        tables=[VisitDay.__table__, VisitWeek.__table__, PresenceDay.__table__, VillageActivity.__table__],  # type: ignore[list-item]
    )
    with Session(engine) as session, Session(scratch) as live:
        for code in villages:
            visits = session.exec(
                select(Visit.user_id, Visit.started_at, Visit.kind).where(Visit.village_code == code)
            ).all()
            add_visits(live, (StoredVisit(code, u, at, kind == "home_visit") for u, at, kind in visits), tz=tz)
            checkins = session.exec(
                select(Checkin.user_id, Checkin.at, Checkin.checks).where(Checkin.village_code == code)
            ).all()
            add_checkins(
                live,
                (StoredCheckin(code, u, at, on_site="off_site" not in checks) for u, at, checks in checkins),
                tz=tz,
            )
        for model, fields in (
            (VisitDay, ("village_code", "day", "user_id", "visits", "home_visits")),
            (VisitWeek, ("village_code", "week", "user_id", "visits")),
            (PresenceDay, ("village_code", "day", "user_id", "night")),
            (VillageActivity, ("village_code", "last_visit_at")),
        ):
            where = col(model.village_code).in_(villages)  # type: ignore[attr-defined]
            loaded = {tuple(getattr(r, f) for f in fields) for r in session.exec(select(model).where(where)).all()}
            written = {tuple(getattr(r, f) for f in fields) for r in live.exec(select(model).where(where)).all()}
            assert loaded == written, f"{model.__tablename__}: loaded rows differ from the live code's"
            assert written, f"{model.__tablename__}: nothing to compare"
    scratch.dispose()


# --- timing -----------------------------------------------------------------------------------


@dataclass
class Scope:
    name: str
    prefix: str
    headers: dict[str, str]


@dataclass
class Timing:
    label: str
    scope: Scope
    rows: int = 0
    pages: list[float] = field(default_factory=list)  # every endpoint call, ms
    walks: list[float] = field(default_factory=list)  # every walk of the scope, ms
    baseline_pages: list[float] = field(default_factory=list)
    baseline_walks: list[float] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return len(self.pages) // max(1, len(self.walks))


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """Nearest rank: the value 95 % of the runs stay at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


VILLAGES_PATH = "/api/v1/dashboard/villages?days=90&limit=500"
SECRETARIES_PATH = "/api/v1/dashboard/secretaries?weeks=12&limit=500"


def measure(
    client: TestClient, engine: Engine, local: Local, scopes: Sequence[Scope], runs: int, baseline_runs: int
) -> list[Timing]:
    jobs: list[tuple[Timing, str, Callable[[], tuple[Any, list[float]]]]] = []
    for scope in scopes:
        for label, path, base in (
            ("villages", VILLAGES_PATH, lambda s=scope: baseline_walk_villages(engine, local, s.prefix, 90)),
            ("secretaries", SECRETARIES_PATH, lambda s=scope: baseline_walk_secretaries(engine, local, s.prefix, 12)),
        ):
            jobs.append((Timing(label, scope), path, base))
    for timing, path, base in jobs:  # checked first, then warmed up
        items, _ = walk(client, path, timing.scope.headers)
        expected, _ = base()
        if timing.label == "villages":
            compare_villages(items, expected)
        else:
            compare_secretaries(items, expected)
        timing.rows = len(items)
        print(f"  checked {timing.label}, {timing.scope.name}: {len(items):,} rows equal the recount", flush=True)
        walk(client, path, timing.scope.headers)
        base()
    for run in range(runs):
        for timing, path, base in jobs:
            _, pages = walk(client, path, timing.scope.headers)
            timing.pages += pages
            timing.walks.append(sum(pages))
            if run < baseline_runs:
                _, pages = base()
                timing.baseline_pages += pages
                timing.baseline_walks.append(sum(pages))
        if runs >= 10 and (run + 1) % (runs // 5) == 0:
            print(f"  run {run + 1}/{runs}", flush=True)
    return [timing for timing, _, _ in jobs]


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float = 0.0

    @property
    def label(self) -> str:
        flat = " ".join(self.sql.split())
        head = flat[len("SELECT ") : flat.find(" FROM ")] if flat.startswith("SELECT ") else flat
        table = flat[flat.find(" FROM ") + 6 :].split(" ")[0] if " FROM " in flat else "?"
        return f"{table}: {head[:90]}{'…' if len(head) > 90 else ''}"


def statements_of(engine: Engine, call: Callable[[], object]) -> list[Statement]:
    """The SQL statements one call runs, each then timed on its own (execute and fetch, best of 5)."""
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, _many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT"):  # not the BEGIN of SQLite's transactions
            seen.append(Statement(sql, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    raw = engine.raw_connection()
    try:
        for statement in seen:
            best = math.inf
            for _ in range(5):
                cursor = raw.cursor()
                t = time.perf_counter()
                cursor.execute(statement.sql, statement.params)
                cursor.fetchall()
                best = min(best, (time.perf_counter() - t) * 1000)
                cursor.close()
            statement.ms = best
        raw.rollback()
    finally:
        raw.close()
    return seen


LONG_ARRAY = re.compile(r"'\{[^}]{60,}\}'")


def plan_of(engine: Engine, statement: Statement) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
            depth = {0: -1}
            lines = []
            for node, parent, _, detail in cursor.fetchall():
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
        else:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.params)
            lines = [
                LONG_ARRAY.sub(lambda m: f"'{{…{m[0].count(',') + 1} values}}'", row[0]) for row in cursor.fetchall()
            ]
        raw.rollback()
    finally:
        raw.close()
    return "\n".join(lines)


@dataclass
class Profile:
    what: str
    call_ms: float
    statements: list[Statement]

    @property
    def sql_ms(self) -> float:
        return sum(s.ms for s in self.statements)

    @property
    def slowest(self) -> Statement:
        return max(self.statements, key=lambda s: s.ms)


def profile(client: TestClient, engine: Engine, local: Local, scope: Scope) -> list[Profile]:
    """Where one first-page call's time goes, for both dashboards and the village baseline."""
    out = []
    for what, path in (("villages", VILLAGES_PATH), ("secretaries", SECRETARIES_PATH)):
        calls = []
        for _ in range(5):
            t = time.perf_counter()
            assert client.get(path, headers=scope.headers).status_code == 200
            calls.append((time.perf_counter() - t) * 1000)
        statements = statements_of(engine, lambda p=path: client.get(p, headers=scope.headers))
        out.append(Profile(f"{what}, {scope.name}", p50(calls), statements))
    with Session(engine) as session:
        stmt = select(Region.code).where(
            Region.level == "village", region_codes.under(Region.code, scope.prefix) if scope.prefix else true()
        )
        page = list(session.exec(stmt.order_by(col(Region.code)).limit(PAGE)).all())
    calls = []
    for _ in range(3):
        with Session(engine) as session:
            t = time.perf_counter()
            baseline_villages(session, local, page, 90)
            calls.append((time.perf_counter() - t) * 1000)

    def once() -> None:
        with Session(engine) as session:
            baseline_villages(session, local, page, 90)

    out.append(Profile(f"baseline villages, {scope.name}", p50(calls), statements_of(engine, once)))
    return out


# --- report -----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


@dataclass
class Run:
    scale: str
    layout: Layout
    loaded: Loaded
    timings: list[Timing]
    profiles: list[Profile]
    runs: int
    baseline_runs: int
    load_before: float
    load_start: float
    load_end: float
    database: str
    plans: dict[str, str] = field(default_factory=dict)
    summary_lines: list[str] = field(default_factory=list)


def figures(run: Run) -> str:
    layout, loaded = run.layout, run.loaded
    rows = loaded.rows
    per_village = sorted(loaded.visits_per_village)
    kinds = Counter(p.kind for p in loaded.plans)
    host = machine().split(";")[0]
    province = run.scale == "province"
    lines = [
        f"Measured {dt.date.today().isoformat()} on {host}; Python {platform.python_version()}, {run.database}; "
        f"load average {run.load_before:.1f} before loading, {run.load_start:.1f} when the timing began and "
        f"{run.load_end:.1f} when it ended.",
        "",
        f"Data: {layout.villages:,} villages in {layout.counties} {'county' if layout.counties == 1 else 'counties'} "
        f"({TOWNS_PER_COUNTY} towns and up to {VILLAGES_PER_COUNTY} villages a county), one first secretary posted "
        f"to each village; {rows['household']:,} households; "
        f"{rows['visit']:,} visits over the last {DAYS} days ({per_village[0]:,}–{per_village[-1]:,} a village, "
        f"median {statistics.median(per_village):,.0f}; {kinds['stopped']} villages stopped visiting 45 days ago, "
        f"{kinds['rare']} were rarely visited, {kinds['rush']} saw a rush in the last 120 days); "
        f"{rows['checkin']:,} check-ins, {rows['villager_request']:,} villagers' requests, {rows['flag']:,} flags; "
        "rollups of "
        f"{rows['visit_day']:,} `visit_day`, {rows['visit_week']:,} `visit_week` and "
        f"{rows['presence_day']:,} `presence_day` rows. "
        f"Loading took {loaded.seconds:,.0f} s: migrations {loaded.parts['migrate']:.0f} s, generating the rows "
        f"{loaded.parts['generate']:,.0f} s, {'COPY' if province else 'inserting them'} "
        f"{loaded.parts['write']:,.0f} s, "
        + ("rebuilding indexes and keys, then VACUUM ANALYZE, " if province else "rebuilding indexes ")
        + f"{loaded.parts['indexes']:,.0f} s.",
        "",
        "Checked before timing: for every scope timed, each village's numbers and each secretary's weekly "
        "visits, presence and coverage from the endpoints equal the recount over the raw records (the "
        "baseline), and the rollup rows of the busiest and the quietest village equal the rows "
        "`add_visits` / `add_checkins` write for their records.",
        "",
        f"Each call walks every page of its scope (`limit=500`) with `next_cursor`, through the ASGI app in "
        f"process; {run.runs} runs after a warm-up, baseline and endpoint taking turns "
        f"(baseline: {run.baseline_runs} runs); p95 by nearest rank. Baseline: the same numbers by plain "
        "GROUP BY over the raw `visit` and `checkin` rows (no rollups), for the same pages; it runs the SQL "
        "only, without the endpoint's HTTP, ORM and JSON work, which favours it. Produced by "
        f"`uv run python bench/dashboards.py --scale {run.scale}"
        + (
            f" --villages {layout.villages} --households-per-village {layout.households_per_village} "
            f"--visits {layout.visits}"
            if province and layout.villages != SCALES["province"]["villages"]
            else ""
        )
        + " --write-readme`; its docstring explains the method.",
        "",
        "| call | rows | pages | p50 (ms) | p95 (ms) | baseline p50 (ms) | baseline p95 (ms) "
        "| baseline ÷ this (p50) | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    full = SCALES["province"]
    fraction = province and layout.villages < full["villages"]
    pages_full = math.ceil(full["villages"] / PAGE)
    for t in run.timings:
        pages = t.page_count
        limit = TARGET_SQLITE_MS if not province else TARGET_COUNTY_PG_MS if t.scope.prefix else TARGET_PROVINCE_PG_MS
        name = f"{t.label}, {t.scope.name}"
        at_size = " at this size" if fraction else ""
        lines.append(
            f"| {name}{', one page' if pages > 1 else ''} | {min(t.rows, PAGE):,} | 1 | {ms(p50(t.pages))} "
            f"| {ms(p95(t.pages))} | {ms(p50(t.baseline_pages))} | {ms(p95(t.baseline_pages))} "
            f"| {p50(t.baseline_pages) / p50(t.pages):.1f} | ≤ {limit:,.0f} ms a call "
            f"| {verdict(p95(t.pages) <= limit)}{at_size} |"
        )
        if pages > 1:
            judged = f"not judged: {pages} of {pages_full} pages" if fraction else verdict(p95(t.walks) <= limit)
            lines.append(
                f"| {name}, every page | {t.rows:,} | {pages} | {ms(p50(t.walks))} | {ms(p95(t.walks))} "
                f"| {ms(p50(t.baseline_walks))} | {ms(p95(t.baseline_walks))} "
                f"| {p50(t.baseline_walks) / p50(t.walks):.1f} | ≤ {limit:,.0f} ms the walk | {judged} |"
            )
    lines += ["", "Where one first-page call's time goes (its SQL statements re-run on their own, best of 5):", ""]
    for prof in run.profiles:
        slow = sorted(prof.statements, key=lambda s: -s.ms)[:2]
        lines.append(
            f"- {prof.what}: {len(prof.statements)} statements, {ms(prof.sql_ms)} ms of the call's "
            f"{ms(prof.call_ms)} ms; slowest " + "; ".join(f"{ms(s.ms)} ms `{s.label}`" for s in slow) + "."
        )
    lines += run.summary_lines
    if fraction:
        share = layout.villages / full["villages"]
        whole = next(t for t in run.timings if t.label == "villages" and not t.scope.prefix)
        lines += [
            "",
            f"**The full province was not measured**: this run holds {layout.villages:,} villages, "
            f"{rows['household']:,} households and {rows['visit']:,} visits, {share:.0%} of the target's "
            f"{full['villages']:,} / {full['villages'] * full['households_per_village']:,} / {full['visits']:,}. "
            f"At this run's page time the province's {pages_full} village pages would take about "
            f"{p50(whole.pages) * pages_full / 1000:.0f} s (p50) to {p95(whole.pages) * pages_full / 1000:.0f} s "
            f"(p95) to walk if a page cost no more in tables {1 / share:.0f} times larger: an estimate, not a "
            "measurement.",
        ]
    return "\n".join(lines) + "\n"


def write_readme(scale: str, text_: str) -> None:
    begin, end = MARKERS[scale]
    current = README.read_text(encoding="utf-8") if README.exists() else ""
    section = HEADINGS[scale] if SECTION in current else f"{SECTION}\n\n{HEADINGS[scale]}"
    write_figures(text_, section=section, begin=begin, end=end)


# --- main -------------------------------------------------------------------------------------


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


@contextlib.contextmanager
def postgres_database(url: str, *, reuse: bool, keep: bool) -> Iterator[str]:
    """A fresh database next to ``url``'s, dropped afterwards (unless kept); its SQLAlchemy URL."""
    server = make_url(url)
    bench = server.set(database=BENCH_DATABASE)
    plain = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,)).fetchone()
        if not (reuse and exists):
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")  # type: ignore[arg-type]
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")  # type: ignore[arg-type]
    try:
        yield bench.render_as_string(hide_password=False)
    finally:
        if not keep:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")  # type: ignore[arg-type]
        else:
            print(f"kept {bench.render_as_string(hide_password=False)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="county")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="a server to create the bench database on")
    parser.add_argument("--villages", type=int)
    parser.add_argument("--households-per-village", type=int)
    parser.add_argument("--visits", type=int)
    parser.add_argument("--runs", type=int, help="timed runs of each call (30 for a county, 10 for a province)")
    parser.add_argument("--baseline-runs", type=int, help="timed runs of the baseline (default: --runs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (printed)")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: time a kept database, do not load")
    parser.add_argument("--write-readme", action="store_true", help="write the figures into bench/README.md")
    args = parser.parse_args(argv)
    defaults = SCALES[args.scale]
    layout = Layout(
        villages=args.villages or defaults["villages"],
        households_per_village=args.households_per_village or defaults["households_per_village"],
        visits=args.visits or defaults["visits"],
    )
    runs = args.runs or defaults["runs"]
    baseline_runs = min(runs, args.baseline_runs or runs)
    if args.reuse and (args.write_readme or args.scale == "county"):
        parser.error("--reuse is for timing a kept PostgreSQL database again, without --write-readme")
    check_columns()
    load_before = load_average()

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zoufang-dash-")))
        if args.scale == "county":
            path = folder / "zoufang.db"
            url = f"sqlite:///{path.as_posix()}"
            if args.keep:
                stack.pop_all()
                print(f"keeping {path}")

            def loader_of() -> Loader:
                return SqliteLoader(path)

            database = f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
        else:
            url = stack.enter_context(postgres_database(args.postgres_url, reuse=args.reuse, keep=args.keep))
            plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

            def loader_of() -> Loader:
                return PostgresLoader(plain)

            with psycopg.connect(plain) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                shared = conn.execute("SHOW shared_buffers").fetchone()
            database = f"PostgreSQL {row[0] if row else '?'} (shared_buffers {shared[0] if shared else '?'})"
        settings = Settings(
            database_url=url, data_dir=folder / "data", secret_key="bench-" + "k" * 40, flag_rules_interval_s=0
        )
        tz = settings.tz
        engine = make_engine(settings)
        print(f"{args.scale}: {layout.villages:,} villages, {layout.visits:,} visits into {database}", flush=True)
        if args.reuse:
            loaded = Loaded()
            with Session(engine) as session:
                found = session.exec(select(Region.code).where(Region.level == "village")).all()
            assert len(found) == layout.villages, f"the kept database has {len(found)} villages"
        else:
            loaded = build(engine, loader_of, layout, tz, args.seed)
            print(
                f"loaded in {loaded.seconds:,.0f} s: " + ", ".join(f"{k} {v:,.0f} s" for k, v in loaded.parts.items())
            )
            print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in loaded.rows.items()), flush=True)
        engine.dispose()

        if loaded.plans:
            busiest = max(loaded.plans, key=lambda p: p.visits)
            quiet = min(loaded.plans, key=lambda p: p.visits)
            check_rollups(engine, [layout.village_code(busiest.index), layout.village_code(quiet.index)], tz)
            print("  rollup rows of the busiest and the quietest village equal the live code's", flush=True)

        def bearer(user_id: int) -> dict[str, str]:
            token, _ = issue_access_token(user_id=user_id, key=settings.signing_key, minutes=24 * 60)
            return {"Authorization": f"Bearer {token}"}

        first = min(layout.villages, VILLAGES_PER_COUNTY)
        county = Layout.county_code(0)[:6]
        scopes = [Scope(f"county scope ({first} villages)", county, bearer(Layout.county_user_id(0)))]
        if args.scale == "province":
            scopes.append(Scope(f"whole province ({layout.villages:,} villages)", "", bearer(ADMIN_ID)))
        app = create_app(settings)
        local = Local(engine.dialect.name, tz)
        with TestClient(app) as client:
            app_engine = app.state.engine
            load_start = load_average()
            timings = measure(client, app_engine, local, scopes, runs, baseline_runs)
            load_end = load_average()
            profiles = [p for scope in scopes for p in profile(client, app_engine, local, scope)]
            plans = {p.what: plan_of(app_engine, p.slowest) for p in profiles}
            counted, count_s = count_every_village(app_engine, settings)
            print(f"  the hourly count of {counted:,} villages took {count_s:.1f} s", flush=True)
            walks = {t.scope.name: p50(t.walks) for t in timings if t.label == "villages"}
            summaries = [
                time_summary(
                    client,
                    scope.name,
                    scope.headers,
                    by="town" if scope.prefix else "county",
                    villages=walk(client, VILLAGES_PATH, scope.headers)[0],
                    walk_ms=walks[scope.name],
                    runs=30,
                )
                for scope in scopes
            ]
        exported = [(s.name, s.headers, "") for s in scopes]
        if args.scale == "province":  # the first city: its counties share their first four digits
            city = Layout.county_code(0)[:4]
            villages = sum(Layout.county_code(k).startswith(city) for k in range(layout.counties)) * VILLAGES_PER_COUNTY
            exported.insert(1, (f"a city ({villages:,} villages)", bearer(ADMIN_ID), city.ljust(12, "0")))
        exports = time_exports(url, settings, folder / "serve", exported)
        run = Run(
            args.scale,
            layout,
            loaded,
            timings,
            profiles,
            runs,
            baseline_runs,
            load_before,
            load_start,
            load_end,
            database,
        )
        run.plans = plans
        run.summary_lines = markdown(counted, count_s, summaries, exports)
        for t in timings:
            print(
                f"{t.label:12} {t.scope.name:32} {t.page_count:3} pages  walk p50 {p50(t.walks):8.1f} ms "
                f"p95 {p95(t.walks):8.1f} ms | baseline p50 {p50(t.baseline_walks):8.1f} ms "
                f"p95 {p95(t.baseline_walks):8.1f} ms | ratio {p50(t.baseline_walks) / p50(t.walks):5.1f}x"
            )
        for p in profiles:
            print(f"\n{p.what}: call {p.call_ms:.1f} ms, SQL {p.sql_ms:.1f} ms in {len(p.statements)} statements")
            for s in sorted(p.statements, key=lambda s: -s.ms)[:6]:
                print(f"  {s.ms:8.2f} ms  {s.label}")
            print("  slowest, its plan:\n    " + plans[p.what].replace("\n", "\n    "))
        if args.write_readme and not args.reuse:
            write_readme(args.scale, figures(run))
            print(f"\nwrote the figures into {README}")
        else:
            print("\n" + figures(run) if loaded.plans else "")


if __name__ == "__main__":
    sys.exit(main())
