"""Load and fault run: a county's phones all sending at once over a bad link, the server killed twice.

Run: ``uv run python bench/field_day.py [--databases sqlite,postgresql] [--phones 300] [--kills 2]``

A fresh county (a village, a first secretary and 50 households per phone) is served by a real
``zoufang serve`` with the hourly rules running every 20 s. Each phone holds a day of records:
``--photos`` photos as the app uploads them, ``--visits`` home visits naming them and
``--checkins`` check-ins. All phones start within the same two seconds and send the way the
app does (photos first, then ``/sync`` in batches of 50, retries with back-off honouring
``Retry-After``), through a proxy that drops some answers after the server did the work and
cuts some uploads half-way. The server is SIGKILLed ``--kills`` times during the run and
started again a second later.

Then: every record is stored exactly once with the content sent, every photo is whole, the
household counters and the dashboard rollups equal a recount, the server is started once
more with a zero grace period and its start-up sweep leaves no photo file without a row, and
no request anywhere was answered with a 5xx other than a deliberate 503 (the phones' own log
and the server's access log both count). ``run`` is what the test suite calls with 30 phones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine

from api.db import make_engine
from api.photos.storage import PhotoStore, open_photo_store
from api.settings import Settings
from bench import recount
from bench.county import SIGNING_KEY, Secretary, build_county, fresh_database, token_for
from bench.phones import Phone, check_ins, day_of_visits, percentile, phone_photo, statuses
from bench.proxy import FaultyLink
from bench.readme import write_figures
from bench.server import ServerProcess

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Plan:
    database: str
    phones: int = 300
    photos: int = 3
    visits: int = 20
    checkins: int = 3
    kills: int = 2
    cut_response: float = 0.05
    cut_upload: float = 0.05
    deadline_s: float = 900
    seed: int = 20261204
    postgres: str | None = None
    # Several instances share the database and the photos, which must then be in S3
    # (``media_url`` s3://…, with the usual AWS_* variables in the environment).
    instances: int = 1
    media_url: str | None = None


@dataclass
class Report:
    plan: Plan
    wall_s: float = 0.0
    all_sent: bool = False
    answers: Counter[str] = field(default_factory=Counter)
    server_statuses: Counter[str] = field(default_factory=Counter)
    link: Counter[str] = field(default_factory=Counter)
    p50: dict[str, float] = field(default_factory=dict)
    p95: dict[str, float] = field(default_factory=dict)
    kills_done: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        """Answers in the 5xx range that were not a deliberate 503, seen by a phone or in the log."""
        seen = [self.answers, self.server_statuses]
        return max(sum(n for status, n in c.items() if status.startswith("5") and status != "503") for c in seen)

    @property
    def ok(self) -> bool:
        killed = self.kills_done == self.plan.kills  # else the run did not test what it says
        return self.all_sent and killed and not self.problems and self.server_errors == 0


def _phones(plan: Plan, secretaries: list[Secretary]) -> list[Phone]:
    phones = []
    for n, secretary in enumerate(secretaries):
        photos = {str(uuid.uuid4()): phone_photo(plan.seed + n * plan.photos + k) for k in range(plan.photos)}
        phones.append(
            Phone(
                secretary=secretary,
                token=token_for(secretary),
                photos=photos,
                visits=day_of_visits(secretary, count=plan.visits, photo_ids=list(photos), seed=plan.seed + n),
                checkins=check_ins(secretary, days=plan.checkins),
            )
        )
    return phones


async def _send_all(plan: Plan, phones: list[Phone], servers: list[ServerProcess], report: Report) -> None:
    ports = [server.port for server in servers]
    link = FaultyLink(ports, cut_response=plan.cut_response, cut_upload=plan.cut_upload, seed=plan.seed)
    await link.start()
    rng = random.Random(plan.seed)
    deadline = time.monotonic() + plan.deadline_s
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
    timeout = httpx.Timeout(120.0, connect=10.0)
    base = f"http://127.0.0.1:{link.port}"

    async def one(phone: Phone) -> None:
        await asyncio.sleep(rng.uniform(0, 2))  # the county meeting ends; everyone has signal again
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
            await phone.run(client, deadline=deadline)

    async def kill_twice() -> None:
        for n in range(plan.kills):
            await asyncio.sleep(rng.uniform(0.5, 1.5))  # while the phones are busy, whatever the size of the run
            if all(phone.done for phone in phones):
                return
            victim = servers[n % len(servers)]
            await asyncio.to_thread(victim.kill)
            report.kills_done += 1
            await asyncio.sleep(1)
            await asyncio.to_thread(victim.start)

    try:
        await asyncio.gather(*(one(phone) for phone in phones), kill_twice())
    finally:
        await link.stop()
        report.link = link.events


def run(plan: Plan, folder: Path) -> Report:
    """One field day in ``folder``; the report says what happened and what, if anything, is wrong."""
    report = Report(plan)
    with fresh_database(plan.database, str(folder), plan.postgres) as url:
        env = {"ZOUFANG_DATABASE_URL": url, "ZOUFANG_SECRET_KEY": SIGNING_KEY, "ZOUFANG_FLAG_RULES_INTERVAL_S": "20"}
        if plan.media_url:
            env["ZOUFANG_MEDIA_URL"] = plan.media_url
        servers = [ServerProcess(data_dir=folder / f"data{n}", env=env) for n in range(plan.instances)]
        # All instances start at once on the empty database: they migrate one after another.
        with ThreadPoolExecutor(max_workers=plan.instances) as starting:
            list(starting.map(ServerProcess.start, servers))
        secretaries = build_county(url, secretaries=plan.phones, households_per_village=50)
        phones = _phones(plan, secretaries)
        started = time.monotonic()
        try:
            asyncio.run(_send_all(plan, phones, servers, report))
            if plan.instances > 1:
                report.problems += recount.same_from_every_instance([s.base for s in servers], phones)
        finally:
            report.wall_s = time.monotonic() - started
            for server in servers:
                server.stop()
        settings = Settings(database_url=url, data_dir=folder / "data0", media_url=plan.media_url or "")
        engine = make_engine(settings)
        store = open_photo_store(settings)
        try:
            _sweep_at_start_up(settings.data_dir, env, engine, store)
            report.problems += recount.records_exactly_once(engine, phones)
            report.problems += recount.photos_whole(engine, phones, store.get)
            report.problems += recount.counters_and_rollups(engine, TZ)
            report.problems += recount.no_orphan_files(engine, store)
        finally:
            engine.dispose()

        report.all_sent = all(phone.done for phone in phones)
        report.answers = statuses(phones)
        report.server_statuses = Counter(str(line["status"]) for server in servers for line in _access_lines(server))
        for kind in ("photo", "sync"):
            seconds = [e.seconds for p in phones for e in p.log if e.what == kind]
            report.p50[kind], report.p95[kind] = percentile(seconds, 0.5), percentile(seconds, 0.95)
        report.problems[:0] = [f"refused: {reason}" for phone in phones for reason in phone.refused][:10]
    return report


def _access_lines(server: ServerProcess) -> list[dict[str, object]]:
    """The server's access log: one JSON object a line, among its other output."""
    lines = [line for line in server.log_text().splitlines() if line.startswith('{"time"')]
    return [json.loads(line) for line in lines]


def _sweep_at_start_up(data: Path, env: dict[str, str], engine: Engine, store: PhotoStore) -> None:
    """Start the server once more with no grace period, and give its start-up sweep time to finish."""
    sweeper = ServerProcess(data_dir=data, env={**env, "ZOUFANG_PHOTO_ORPHAN_GRACE_S": "0"})
    sweeper.start()
    try:
        deadline = time.monotonic() + 30
        while recount.no_orphan_files(engine, store) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        sweeper.stop()


def describe(report: Report) -> str:
    plan = report.plan
    records = plan.phones * (plan.visits + plan.checkins)
    answers = ", ".join(f"{status} × {n:,}" for status, n in sorted(report.answers.items()))
    link = ", ".join(f"{what} × {n}" for what, n in sorted(report.link.items())) or "nothing"
    verdict = "PASS" if report.ok else "FAIL"
    lines = [
        f"**{plan.database}, {plan.phones} phones** — {verdict} in {report.wall_s:.0f} s: "
        f"{records:,} records and {plan.phones * plan.photos:,} photos, all acknowledged: {report.all_sent}; "
        f"server killed {report.kills_done} ×.",
        f"- answers the phones got: {answers}",
        f"- the link: {link}",
        f"- p50 / p95: photo {report.p50['photo']:.2f} / {report.p95['photo']:.2f} s, "
        f"sync {report.p50['sync']:.2f} / {report.p95['sync']:.2f} s",
        f"- 5xx other than 503: {report.server_errors}; problems: {'; '.join(report.problems) or 'none'}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("ZOUFANG_TEST_POSTGRES_URL"))
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    texts = []
    for database in args.databases.split(","):
        plan = Plan(
            database,
            phones=args.phones,
            kills=args.kills,
            photos=args.photos,
            visits=args.visits,
            postgres=args.postgres,
        )
        with tempfile.TemporaryDirectory() as folder:
            report = run(plan, Path(folder))
        texts.append(describe(report))
        print(texts[-1], flush=True)
    if args.write_readme:
        write_figures(
            "\n\n".join(texts),
            section="## A field day: load and faults",
            begin="<!-- figures: bench/field_day.py -->",
            end="<!-- end of field day figures -->",
        )


if __name__ == "__main__":
    main()
