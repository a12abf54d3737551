"""Benchmark: storing visits through the sync path on SQLite with a million visits stored.

Run: ``uv run python bench/sync_visits.py [--stored 1000000] [--requests 200]``

Builds a county in a temporary SQLite database, bulk-loads ``--stored`` visits spread over
two years and many secretaries, then sends requests of 50 new visits for one secretary
through ``record_visits`` — the code behind ``POST /api/v1/sync`` — with every evidence check
on, each request in its own transaction as the API commits it. The baseline, measured in the
same run on the same database, stores the same kind of batches the naive way: one
``session.add`` per visit and a flush and query per visit for the household counters.
Reports visits per second for both and their ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from api.auth.models import User
from api.auth.principal import Principal
from api.db import make_engine, writer_engine
from api.households.models import Household
from api.settings import Settings
from api.visits.models import Visit
from api.visits.schemas import VisitIn
from api.visits.service import record_visits
from bench.county import Secretary, build_county

BATCH = 50
HOUSEHOLDS_PER_VILLAGE = 200
SECRETARIES = 300
START = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)


def build(settings: Settings, stored: int) -> list[Secretary]:
    """The county, then ``stored`` visits spread over two years and all its secretaries."""
    secretaries = build_county(
        settings.effective_database_url, secretaries=SECRETARIES, households_per_village=HOUSEHOLDS_PER_VILLAGE
    )
    engine = make_engine(settings)
    rng = random.Random(1)
    with Session(engine) as session:
        rows = []
        for _ in range(stored):
            secretary = rng.choice(secretaries)
            rows.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "user_id": secretary.user_id,
                    "village_code": secretary.village_code,
                    "household_id": rng.choice(secretary.households),
                    "kind": "home_visit",
                    "started_at": START + dt.timedelta(seconds=rng.randrange(700 * 86400)),
                    "received_at": START,
                    "lat": 26.5,
                    "lon": 106.7,
                    "accuracy_m": 10.0,
                    "content_hash": "0" * 64,
                    "checks": [],
                }
            )
            if len(rows) == 50_000:
                session.execute(insert(Visit), rows)
                session.commit()
                rows = []
        if rows:
            session.execute(insert(Visit), rows)
            session.commit()
    engine.dispose()
    return secretaries


def batches(rng: random.Random, count: int, secretary: Secretary, day0: dt.datetime) -> list[list[VisitIn]]:
    """Batches of 50 plausible visits for one secretary: a home every ~20 minutes."""
    out = []
    at = day0
    for _ in range(count):
        batch = []
        for _ in range(BATCH):
            at += dt.timedelta(minutes=20)
            batch.append(
                VisitIn(
                    id=uuid.uuid4(),
                    kind="home_visit",
                    household_id=rng.choice(secretary.households),
                    started_at=at,
                    lat=26.5 + rng.uniform(-0.005, 0.005),
                    lon=106.7,
                    accuracy_m=12.0,
                    notes="入户了解情况",
                )
            )
        out.append(batch)
    return out


def run_service(settings: Settings, work: list[list[VisitIn]], principal: Principal) -> float:
    engine = make_engine(settings)
    writer = writer_engine(engine)
    started = time.perf_counter()
    for batch in work:
        with Session(writer) as session:
            outcomes = record_visits(
                session=session, by=principal, items=batch, settings=settings, now=dt.datetime.now(dt.UTC)
            )
            session.commit()
        assert all(o.status == "created" for o in outcomes), [o.error for o in outcomes if o.error][:1]
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(work) * BATCH / elapsed


def run_naive(settings: Settings, work: list[list[VisitIn]], user_id: int) -> float:
    """One ORM object per visit, a lookup per visit for its household, counters updated one by one."""
    engine = make_engine(settings)
    started = time.perf_counter()
    for batch in work:
        with Session(writer_engine(engine)) as session:
            for item in batch:
                household = session.get(Household, item.household_id)
                assert household is not None
                session.add(
                    Visit(
                        id=str(item.id),
                        user_id=user_id,
                        village_code=household.village_code,
                        household_id=item.household_id,
                        kind=item.kind,
                        started_at=item.started_at,
                        received_at=dt.datetime.now(dt.UTC),
                        lat=item.lat,
                        lon=item.lon,
                        accuracy_m=item.accuracy_m,
                        notes=item.notes,
                        content_hash="0" * 64,
                        checks=[],
                    )
                )
                household.visit_count += 1
                household.last_visit_at = max(filter(None, [household.last_visit_at, item.started_at]))
                session.flush()
            session.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(work) * BATCH / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        t0 = time.perf_counter()
        secretary = build(settings, args.stored)[0]
        print(f"loaded {args.stored:,} visits in {time.perf_counter() - t0:.0f} s")
        rng = random.Random(2)
        user = User(
            id=secretary.user_id,
            username=secretary.username,
            display_name="书记",
            role="secretary",
            scope_code=secretary.village_code,
            password_hash="x",
        )
        principal = Principal.for_user(user)
        span = dt.timedelta(minutes=20 * BATCH * args.requests)  # both runs end before now
        start = dt.datetime.now(dt.UTC) - 2 * span - dt.timedelta(days=1)
        naive = run_naive(settings, batches(rng, args.requests, secretary, start), user_id=secretary.user_id)
        fast = run_service(settings, batches(rng, args.requests, secretary, start + span), principal)
        print(f"naive (one session.add per visit):   {naive:8.0f} visits/s")
        print(f"record_visits (checks on, batched): {fast:8.0f} visits/s   ratio {fast / naive:.2f}x")


if __name__ == "__main__":
    main()
