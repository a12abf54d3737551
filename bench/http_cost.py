"""Benchmark: what a request and a record cost a real ``zoufang serve``, measured over HTTP.

Run: ``uv run --group bench python bench/http_cost.py [--postgres URL] [--requests 200]
[--concurrency 8] [--workers 1] [--only healthz,me,...] [--profile me,visits] [--write-readme]``

Why (issue 16): the service functions are fast on their own (bench/sync_visits.py), but a
phone pays for the whole request: the HTTP server, middleware, authentication, the session,
the dependency chain and serialisation. Side by side with ODK Central, Zoufang spent 13–17 ms of
server CPU on one visit and ~6 ms on ``GET /me``, against 0.5 ms for ``GET /healthz``. This
script measures that cost so that each change to the per-request path can be judged by it.

Method. A temporary data folder and a fresh database (SQLite by default; with ``--postgres`` a
database of its own on that server, created and dropped), filled with a small county by
bench/county.py; a real ``zoufang serve`` (bench/server.py) on 127.0.0.1; an httpx async
client keeping ``--concurrency`` requests in flight over keep-alive connections. Each workload
sends a fixed number of requests, after a warm-up of the same kind that is not counted:

- ``healthz``: ``GET /healthz``, a request that does nothing: the floor of the HTTP stack;
- ``me``: ``GET /api/v1/me`` as a secretary: authentication, the session, one small answer;
- ``visits``: ``POST /api/v1/visits``, one home visit a request, every evidence check on;
- ``photos``: ``POST /api/v1/photos`` with a photo as the phone app sends it (1600 × 1200
  JPEG, quality 0.8, no EXIF orientation; bench/phones.py), each one different;
- ``photos12mp``: the same with a 12 MP camera JPEG (4000 × 3000, q90, EXIF orientation 6;
  bench/photo_ingest.py), 12 different ones taking turns;
- ``sync``: ``POST /api/v1/sync`` with 50 home visits a request.

Requests go to 100 secretaries in turn, and each secretary's visits are 20 minutes or a day
apart, so the pace check does not raise a flag on every visit. The server's CPU is read from
/proc (utime + stime of the server process, its live descendants and the children it reaped)
just before and just after the counted requests; the client's own CPU is given beside it, since
both share the machine. Ratios against ``/healthz`` come from the same run.

``--profile NAME`` runs that workload again afterwards against a server started under
bench/profiled_serve.py (one worker; cProfile in every thread, counting thread CPU time, only while the
workload runs) and prints the top functions by cumulative and by own time, in CPU ms per
request; profiling inflates those figures, so read them as shares, not as costs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import pstats
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# Sibling modules (run as a script, bench/ is first on sys.path), as bench/pwa_app.py does.
from photo_ingest import camera_photos, machine
from readme import write_figures
from sqlalchemy import create_engine, text

from bench.county import SIGNING_KEY, Secretary, build_county, fresh_database, token_for
from bench.phones import BATCH, day_of_visits, percentile, phone_photo
from bench.server import ServerProcess

SECRETARIES = 100
HOUSEHOLDS_PER_VILLAGE = 50
CAMERA_PHOTOS = 12
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
WORKLOADS = ("healthz", "me", "visits", "photos", "photos12mp", "sync")
SECTION = "## HTTP cost per record (issue 16)"


# --- what is sent ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request: method, path, bearer token and body, built before the clock starts."""

    method: str
    path: str
    token: str | None = None
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    data: dict[str, str] | None = None


@dataclass(frozen=True)
class Workload:
    name: str
    label: str
    records_per_call: int
    expected: int  # the status every counted answer must have
    calls: Callable[[int, int], list[Call]]  # (first index, count) -> calls


def _days_back(visits: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    for visit in visits:
        visit["started_at"] = (dt.datetime.fromisoformat(visit["started_at"]) - dt.timedelta(days=days)).isoformat()
    return visits


def workloads(secretaries: Sequence[Secretary]) -> dict[str, Workload]:
    """The six workloads; call ``index`` goes to secretary ``index % len(secretaries)``."""
    tokens = [token_for(s) for s in secretaries]
    n = len(secretaries)
    cameras: list[bytes] = []

    def secretary(i: int) -> tuple[Secretary, str]:
        return secretaries[i % n], tokens[i % n]

    def healthz(first: int, count: int) -> list[Call]:
        return [Call("GET", "/healthz") for _ in range(count)]

    def me(first: int, count: int) -> list[Call]:
        return [Call("GET", "/api/v1/me", secretary(i)[1]) for i in range(first, first + count)]

    def visits(first: int, count: int) -> list[Call]:
        # One visit a secretary per round, each round a day further back (days 1, 2, ...).
        calls = []
        for i in range(first, first + count):
            who, token = secretary(i)
            [visit] = _days_back(day_of_visits(who, count=1, photo_ids=[], seed=i), 1 + i // n)
            calls.append(Call("POST", "/api/v1/visits", token, json=visit))
        return calls

    def photo(content: Callable[[int], bytes]) -> Callable[[int, int], list[Call]]:
        def calls(first: int, count: int) -> list[Call]:
            return [
                Call(
                    "POST",
                    "/api/v1/photos",
                    secretary(i)[1],
                    files={"file": ("photo.jpg", content(i), "image/jpeg")},
                    data={"id": str(uuid.uuid4())},
                )
                for i in range(first, first + count)
            ]

        return calls

    def camera(i: int) -> bytes:
        if not cameras:
            cameras.extend(camera_photos(CAMERA_PHOTOS))
        return cameras[i % CAMERA_PHOTOS]

    def sync(first: int, count: int) -> list[Call]:
        # A day of 50 visits (16 h 40 min) per secretary per round, rounds a day apart from day 100 back.
        calls = []
        for i in range(first, first + count):
            who, token = secretary(i)
            batch = _days_back(day_of_visits(who, count=BATCH, photo_ids=[], seed=i), 100 + i // n)
            calls.append(Call("POST", "/api/v1/sync", token, json={"visits": batch, "checkins": []}))
        return calls

    return {
        w.name: w
        for w in (
            Workload("healthz", "`GET /healthz`", 1, 200, healthz),
            Workload("me", "`GET /api/v1/me`", 1, 200, me),
            Workload("visits", "`POST /api/v1/visits`, 1 visit", 1, 201, visits),
            Workload("photos", "`POST /api/v1/photos`, phone-shrunk 1600 px", 1, 201, photo(phone_photo)),
            Workload("photos12mp", "`POST /api/v1/photos`, 12 MP camera JPEG", 1, 201, photo(camera)),
            Workload("sync", "`POST /api/v1/sync`, 50 visits", BATCH, 200, sync),
        )
    }


# --- measuring ------------------------------------------------------------------------------


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live descendants, plus the children they reaped (/proc)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    family, todo = set(), [pid]
    while todo:
        current = todo.pop()
        family.add(current)
        todo.extend(child for child, parent in parents.items() if parent == current and child not in family)
    return sum(ticks.get(p, 0) for p in family) / CLOCK_TICK


def settle(pid: int, *, quiet_s: float = 1.0, within_s: float = 60.0) -> None:
    """Wait until the server tree is idle: with ``--workers`` > 1, /readyz answers as soon as
    one worker is up, while the others may still be importing and starting."""
    deadline = time.monotonic() + within_s
    before = tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = tree_cpu_seconds(pid)
        if now - before < 0.05 * quiet_s:
            return
        before = now


@dataclass
class Result:
    workload: Workload
    requests: int
    wall_s: float
    latencies: list[float]
    server_cpu_s: float
    client_cpu_s: float
    failures: int = 0
    first_failure: str = ""

    @property
    def records(self) -> int:
        return self.requests * self.workload.records_per_call

    @property
    def per_second(self) -> float:
        return self.records / self.wall_s

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / self.requests

    @property
    def cpu_ms_per_record(self) -> float:
        return 1000 * self.server_cpu_s / self.records


async def _send(client: httpx.AsyncClient, call: Call) -> httpx.Response:
    headers = {"Authorization": f"Bearer {call.token}"} if call.token else None
    return await client.request(
        call.method, call.path, headers=headers, json=call.json, files=call.files, data=call.data
    )


def judge(workload: Workload, response: httpx.Response) -> str:
    """What is wrong with an answer ("" if nothing): its status, or a /sync record not created."""
    if response.status_code != workload.expected:
        return response.text[:300]
    if workload.name == "sync":
        refused = [r for r in response.json()["results"] if r["status"] != "created"]
        if refused:
            return f"{len(refused)} of {BATCH} not created, e.g. {refused[0]}"
    return ""


async def _drive(
    base: str,
    workload: Workload,
    warmup: list[Call],
    calls: list[Call],
    concurrency: int,
    *,
    around: Callable[[str], None],
) -> tuple[float, list[tuple[str, float, str]]]:
    """Send ``warmup`` then ``calls``, ``concurrency`` at a time; ``around`` is told "start"/"stop".

    Each answer is kept as (status, seconds, what is wrong with it or "").
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=httpx.Timeout(120.0)) as client:

        async def run(batch: list[Call]) -> list[tuple[str, float, str]]:
            results: list[tuple[str, float, str]] = [("", 0.0, "")] * len(batch)
            queue = iter(enumerate(batch))

            async def worker() -> None:
                for index, call in queue:
                    began = time.perf_counter()
                    try:
                        response = await _send(client, call)
                    except httpx.HTTPError as exc:
                        results[index] = (type(exc).__name__, time.perf_counter() - began, str(exc))
                        continue
                    seconds = time.perf_counter() - began
                    results[index] = (str(response.status_code), seconds, judge(workload, response))

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return results

        await run(warmup)
        around("start")
        began = time.perf_counter()
        results = await run(calls)
        wall = time.perf_counter() - began
        around("stop")
        return wall, results


def measure(
    server: ServerProcess, workload: Workload, *, first: int, requests: int, concurrency: int, workers: int
) -> tuple[Result, int]:
    """Warm up, then time ``requests`` calls; returns the result and the next unused index."""
    warm = max(concurrency, 8) * workers  # every worker gets some
    warmup = workload.calls(first, warm)
    calls = workload.calls(first + warm, requests)
    assert server.pid is not None
    marks: dict[str, tuple[float, float]] = {}

    def around(moment: str) -> None:
        marks[moment] = (tree_cpu_seconds(server.pid or 0), time.process_time())

    wall, answers = asyncio.run(_drive(server.base, workload, warmup, calls, concurrency, around=around))
    problems = [f"{status}: {problem}" for status, _, problem in answers if problem]
    result = Result(
        workload=workload,
        requests=requests,
        wall_s=wall,
        latencies=[seconds for _, seconds, _ in answers],
        server_cpu_s=marks["stop"][0] - marks["start"][0],
        client_cpu_s=marks["stop"][1] - marks["start"][1],
        failures=len(problems),
        first_failure=problems[0] if problems else "",
    )
    return result, first + warm + requests


# --- profiling ------------------------------------------------------------------------------


def profile(
    server: ServerProcess, workload: Workload, out: Path, *, first: int, requests: int, concurrency: int
) -> tuple[str, int]:
    """Run ``workload`` against a server started by bench/profiled_serve.py; return its top lines."""
    assert server.pid is not None

    def around(moment: str) -> None:
        assert server.pid is not None
        if moment == "start":
            os.kill(server.pid, signal.SIGUSR1)
            time.sleep(0.5)  # uvicorn's loop runs Python code every 0.1 s, where the handler runs
        else:
            os.kill(server.pid, signal.SIGUSR2)
            deadline = time.monotonic() + 60
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.1)

    warm = max(concurrency, 8)
    warmup = workload.calls(first, warm)
    calls = workload.calls(first + warm, requests)
    asyncio.run(_drive(server.base, workload, warmup, calls, concurrency, around=around))
    return top_lines(out, requests), first + warm + requests


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    for marker in ("site-packages/", "/lib/python3.11/", str(Path(__file__).resolve().parent.parent) + "/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{filename}:{line} {name}"


def top_lines(path: Path, requests: int, *, cumulative: int = 30, own: int = 15) -> str:
    """The profile's top functions by cumulative and by own CPU time, in ms per request."""
    rows = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in rows.values())
    per = 1000 / requests

    def table(key: int, count: int) -> list[str]:
        ordered = sorted(rows.items(), key=lambda item: item[1][key], reverse=True)[:count]
        return [
            f"{row[3] * per:8.2f} {row[2] * per:8.2f} {row[1] / requests:9.1f}  {_where(func)}" for func, row in ordered
        ]

    head = f"{'cum ms':>8} {'own ms':>8} {'calls':>9}  function   (per request)"
    return "\n".join(
        [
            f"profiled CPU: {total * per:.2f} ms a request over {requests} requests (cProfile inflates it)",
            "",
            f"top {cumulative} by cumulative time:",
            head,
            *table(3, cumulative),
            "",
            f"top {own} by own time:",
            head,
            *table(2, own),
        ]
    )


# --- report ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def table(results: Sequence[Result]) -> str:
    base = next((r for r in results if r.workload.name == "healthz"), None)
    lines = [
        "| workload | requests | records/s | p50 ms | p95 ms | server CPU ms a request | a record "
        "| CPU × /healthz | rate ÷ /healthz | client CPU ms a request | not as expected |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cpu_ratio = f"{r.cpu_ms_per_request / base.cpu_ms_per_request:.1f}" if base and base.server_cpu_s else "–"
        rate_ratio = f"{(r.requests / r.wall_s) / (base.requests / base.wall_s):.2f}" if base else "–"
        lines.append(
            f"| {r.workload.label} | {r.requests} | {_rate(r.per_second)} | {_ms(percentile(r.latencies, 0.5))} "
            f"| {_ms(percentile(r.latencies, 0.95))} | {r.cpu_ms_per_request:.2f} | {r.cpu_ms_per_record:.2f} "
            f"| {cpu_ratio} | {rate_ratio} | {1000 * r.client_cpu_s / r.requests:.2f} | {r.failures} |"
        )
    return "\n".join(lines)


def combined(parts: Sequence[Result]) -> Result:
    """Several measured stretches of one workload on one server, as one result."""
    problems = [p.first_failure for p in parts if p.first_failure]
    return Result(
        workload=parts[0].workload,
        requests=sum(p.requests for p in parts),
        wall_s=sum(p.wall_s for p in parts),
        latencies=[seconds for p in parts for seconds in p.latencies],
        server_cpu_s=sum(p.server_cpu_s for p in parts),
        client_cpu_s=sum(p.client_cpu_s for p in parts),
        failures=sum(p.failures for p in parts),
        first_failure=problems[0] if problems else "",
    )


def comparison(before: Sequence[Result], after: Sequence[Result], *, revision: str) -> str:
    """The same workloads on the earlier revision and on this one, measured in turns."""
    lines = [
        f"| workload | server CPU ms a request, {revision} | now | now ÷ then "
        f"| records/s, {revision} | now | now ÷ then | p95 ms, {revision} | now |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for then, now in zip(before, after, strict=True):
        lines.append(
            f"| {now.workload.label} | {then.cpu_ms_per_request:.2f} | {now.cpu_ms_per_request:.2f} "
            f"| {now.cpu_ms_per_request / then.cpu_ms_per_request:.2f} | {_rate(then.per_second)} "
            f"| {_rate(now.per_second)} | {now.per_second / then.per_second:.2f} "
            f"| {_ms(percentile(then.latencies, 0.95))} | {_ms(percentile(now.latencies, 0.95))} |"
        )
    return "\n".join(lines)


def _at_most(value: float, target: float, unit: str) -> str:
    if value <= target:
        return f"{value:.2f} {unit} — met"
    return f"{value:.2f} {unit} — **missed** by {value - target:.2f} {unit} ({value / target:.1f}× the target)"


def _at_least(value: float, target: float, unit: str) -> str:
    if value >= target:
        return f"{value:,.0f} {unit} — met"
    return (
        f"{value:,.0f} {unit} — **missed** by {target - value:,.0f} {unit} ({100 * (1 - value / target):.0f} % short)"
    )


def targets(results: Sequence[Result], database: str, workers: int) -> list[str]:
    by = {r.workload.name: r for r in results}
    lines = []
    if "me" in by:
        lines.append(f"- `GET /me` ≤ 1 ms server CPU: {_at_most(by['me'].cpu_ms_per_request, 1.0, 'ms')}")
    if "visits" in by:
        lines.append(f"- `POST /visits` ≤ 3 ms server CPU: {_at_most(by['visits'].cpu_ms_per_request, 3.0, 'ms')}")
    if "photos" in by:
        lines.append(f"- phone-shrunk photos ≥ 60 /s: {_at_least(by['photos'].per_second, 60, '/s')}")
    if "sync" in by:
        goal = 5000 if database == "postgresql" else 3000
        note = "" if database == "sqlite" or workers == 2 else f" (the target is for 2 workers; this run had {workers})"
        lines.append(f"- `/sync` ≥ {goal:,} visits/s: {_at_least(by['sync'].per_second, goal, 'visits/s')}{note}")
    return lines


def git_revision(checkout: Path) -> str:
    git = shutil.which("git")
    if git is None:
        return checkout.name
    found = subprocess.run([git, "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() or checkout.name


def database_version(database: str, url: str) -> str:
    if database == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} (WAL)"
    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return f"PostgreSQL {version} on the same machine"


def report(
    results: Sequence[Result],
    profiles: dict[str, str],
    *,
    database: str,
    host: str,
    loads: tuple[float, float],
    args: Any,
    before: Sequence[Result] = (),
    revision: str = "",
) -> str:
    command = "uv run --group bench python bench/http_cost.py"
    if database == "postgresql":
        command += " --postgres URL"
    command += f" --requests {args.requests} --workers {args.workers}"
    if args.baseline:
        command += f" --baseline CHECKOUT-OF-{revision}"
    if args.profile:
        command += f" --profile {args.profile}"
    parts = [
        f"Measured {dt.date.today().isoformat()} on {host}; `zoufang serve --workers {args.workers}`, "
        f"client concurrency {args.concurrency}; load average {loads[0]:.1f} at the start "
        f"and {loads[1]:.1f} at the end.",
        f"Produced by `{command} --write-readme`; its docstring explains the method.",
        "",
        table(results),
        *(
            [
                "",
                f"Before and after: `{revision}` and this revision, measured in turns in this run.",
                "",
                comparison(before, results, revision=revision),
            ]
            if before
            else []
        ),
        "",
        "Targets (issue 16):",
        "",
        *targets(results, database, args.workers),
    ]
    for result in results:
        if result.failures:
            parts.append(
                f"- {result.workload.name}: {result.failures} answers not as expected, e.g. {result.first_failure}"
            )
    for name, lines in profiles.items():
        parts += [
            "",
            f"<details><summary>Profile of {name} ({database})</summary>",
            "",
            "```text",
            lines,
            "```",
            "",
            "</details>",
        ]
    return "\n".join(parts)


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL; the run uses a fresh database on it")
    parser.add_argument("--requests", type=int, default=200, help="counted requests per workload")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="passed to zoufang serve")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"some of {','.join(WORKLOADS)}")
    parser.add_argument("--profile", default="", help="workloads to run again under cProfile (comma-separated)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of an earlier revision (git worktree add DIR REV): run each workload on both, in turns",
    )
    parser.add_argument("--write-readme", action="store_true", help="update this database's figures in bench/README.md")
    args = parser.parse_args()
    database = "postgresql" if args.postgres else "sqlite"
    chosen = [name for name in args.only.split(",") if name]
    profiled = [name for name in args.profile.split(",") if name]
    unknown = set(chosen + profiled) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")

    loads_start = os.getloadavg()[0]
    results: list[Result] = []
    before: list[Result] = []
    revision = git_revision(args.baseline) if args.baseline else ""
    profiles: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder, fresh_database(database, folder, args.postgres) as url:
        host = f"{machine()}; {database_version(database, url)}"
        print(f"machine: {host}; load average {loads_start:.1f}", flush=True)
        secretaries = build_county(url, secretaries=SECRETARIES, households_per_village=HOUSEHOLDS_PER_VILLAGE)
        loads = workloads(secretaries)
        env = {"ZOUFANG_DATABASE_URL": url, "ZOUFANG_SECRET_KEY": SIGNING_KEY, "ZOUFANG_FLAG_RULES_INTERVAL_S": "0"}
        next_index = dict.fromkeys(WORKLOADS, 0)
        server = ServerProcess(data_dir=Path(folder) / "data", env=env, args=["--workers", str(args.workers)])
        servers = [server]
        if args.baseline:
            servers.append(
                ServerProcess(
                    data_dir=Path(folder) / "baseline-data",
                    env=env,
                    args=["--workers", str(args.workers)],
                    code=args.baseline.resolve(),
                )
            )
        try:
            for each in servers:
                each.start()
                settle(each.pid or 0)
            for name in chosen:
                print(f"{name}: {args.requests} requests ...", flush=True)
                # With a baseline, the two servers take turns (earlier, this, this, earlier, ...)
                # so that both meet the same conditions on a shared machine.
                turns = servers if len(servers) == 1 else [servers[1], server, server, servers[1]] * 2
                share = args.requests * len(servers) // len(turns)
                parts: dict[int, list[Result]] = {id(s): [] for s in servers}
                for turn in turns:
                    part, next_index[name] = measure(
                        turn,
                        loads[name],
                        first=next_index[name],
                        requests=share,
                        concurrency=args.concurrency,
                        workers=args.workers,
                    )
                    parts[id(turn)].append(part)
                result = combined(parts[id(server)])
                results.append(result)
                line = f"  {result.per_second:,.1f} records/s, {result.cpu_ms_per_request:.2f} ms server CPU a request"
                if len(servers) > 1:
                    then = combined(parts[id(servers[1])])
                    before.append(then)
                    line += f" (before: {then.per_second:,.1f} /s, {then.cpu_ms_per_request:.2f} ms)"
                print(line)
        finally:
            for each in servers:
                each.stop()
        for name in profiled:
            out = Path(folder) / f"profile-{name}.pstats"
            server = ServerProcess(
                data_dir=Path(folder) / "data", env=env, launcher=["-m", "bench.profiled_serve", str(out)]
            )
            server.start()
            try:
                print(f"profiling {name} ...", flush=True)
                profiles[name], next_index[name] = profile(
                    server,
                    loads[name],
                    out,
                    first=next_index[name],
                    requests=args.requests,
                    concurrency=args.concurrency,
                )
            finally:
                server.stop()
    loads_end = os.getloadavg()[0]
    figures = report(
        results,
        profiles,
        database=database,
        host=host,
        loads=(loads_start, loads_end),
        args=args,
        before=before,
        revision=revision,
    )
    print(figures)
    if args.write_readme:
        title = "SQLite" if database == "sqlite" else "PostgreSQL"
        write_figures(
            figures,
            section=f"### {title}",
            begin=f"<!-- figures: written by bench/http_cost.py ({database}) --write-readme -->",
            end=f"<!-- end of http figures ({database}) -->",
        )


if __name__ == "__main__":
    main()
