"""The province's summary and the whole-scope overview export, on a dashboards bench database.

Called by ``bench/dashboards.py`` after its own timings, on the same data:

1. **The hourly count** (``api.oversight.summary.refresh``) fills ``village_summary`` for every
   village; its time is reported, as it is work the server does every hour.
2. **The summary** (``GET /dashboard/areas``): one row per county for the whole province, one
   row per town for a county, through the ASGI app in process, as the dashboards are timed.
   Before timing, its rows are checked against the same totals added up from every village
   page of the scope. The baseline is what a screen had to do without it: walk every village
   page of the scope (the villages timing of the same run).
3. **The export** (``GET /dashboard/villages?format=csv|xlsx``) from a real ``zoufang serve`` on
   the same database, read over HTTP by a client that keeps nothing: the time to the first
   byte and to the last, and how far the server's resident memory rose above what it held
   before the request (its peak, ``VmHWM``, reset through ``/proc/PID/clear_refs`` first), for a
   county, a city of 8 counties and the whole province. Flat memory means the rise stays about
   the same however many villages the file holds.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from server import ServerProcess
from sqlalchemy import Engine

from api.oversight.summary import refresh
from api.settings import Settings

AREAS_PATH = "/api/v1/dashboard/areas"
EXPORT_PATH = "/api/v1/dashboard/villages?days=90&format="
TARGET_SUMMARY_MS = 500.0
TARGET_FIRST_BYTE_MS = 1000.0


@dataclass
class SummaryTiming:
    what: str
    rows: int
    walk_ms: float  # p50 of walking every village page of the scope, the same run
    calls: list[float] = field(default_factory=list)


@dataclass
class ExportTiming:
    what: str
    rows: int
    first_byte_ms: float
    first_rows_ms: float  # the first village rows, after the header (CSV); the whole file (XLSX)
    total_ms: float
    megabytes: float
    memory_rise_mb: float


def count_every_village(engine: Engine, settings: Settings) -> tuple[int, float]:
    """The hourly count: villages counted and seconds taken."""
    began = time.perf_counter()
    counted = refresh(engine, tz=settings.tz)
    return counted, time.perf_counter() - began


def _added_up(villages: Sequence[dict[str, Any]], end: int) -> list[dict[str, Any]]:
    """The summary's rows, added up from village rows as ``api.oversight.summary`` defines them."""
    areas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in sorted(villages, key=lambda v: v["village_code"]):
        areas[v["village_code"][:end].ljust(12, "0")].append(v)
    rows = []
    for code, rows_of in areas.items():
        posted = [v for v in rows_of if v["secretaries"]]
        households = sum(v["households"] for v in posted)
        visited = sum(v["households_visited"] for v in posted)
        rows.append(
            {
                "code": code,
                "villages": len(rows_of),
                "posted_villages": len(posted),
                "weak_lax_villages": sum(v["weak_lax"] for v in rows_of),
                "households": households,
                "households_visited": visited,
                "coverage": round(visited / households, 4) if households else None,
                "visits": sum(v["visits"] for v in posted),
                "home_visits": sum(v["home_visits"] for v in posted),
                "red": sum(v["cue"] == "red" for v in posted),
                "amber": sum(v["cue"] == "amber" for v in posted),
                "green": sum(v["cue"] == "green" for v in posted),
                "open_flags": sum(v["open_flags"] for v in posted),
                "open_requests": sum(v["open_requests"] for v in posted),
            }
        )
    return rows


def time_summary(
    client: TestClient,
    what: str,
    headers: dict[str, str],
    *,
    by: str,
    villages: Sequence[dict[str, Any]],
    walk_ms: float,
    runs: int,
) -> SummaryTiming:
    """Check the summary against the village rows (one row per county or town, ``by``), then
    time ``runs`` calls."""
    end = 6 if by == "county" else 9
    path = f"{AREAS_PATH}?by={by}"
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    items = [{k: v for k, v in row.items() if k != "name"} for row in answer.json()["items"]]
    expected = _added_up(villages, end)
    assert items == expected, "the summary differs from the village pages added up"
    print(f"  checked the summary by {by}, {what}: {len(items)} rows equal the village pages added up", flush=True)
    timing = SummaryTiming(f"by {by}, {what}", len(items), walk_ms)
    for _ in range(runs):
        began = time.perf_counter()
        assert client.get(path, headers=headers).status_code == 200
        timing.calls.append((time.perf_counter() - began) * 1000)
    return timing


def _memory_kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field_name} not in /proc/{pid}/status")


def time_exports(
    url: str, settings: Settings, data_dir: Path, scopes: Sequence[tuple[str, dict[str, str], str]]
) -> list[ExportTiming]:
    """Each scope's CSV, then the last scope's XLSX, from a real server; each once after a warm-up.

    A scope is (what it is, the reader's headers, its ``scope=`` code or "" for all the reader's).
    """
    server = ServerProcess(
        data_dir=data_dir,
        env={
            "ZOUFANG_DATABASE_URL": url,
            "ZOUFANG_SECRET_KEY": settings.signing_key,
            "ZOUFANG_FLAG_RULES_INTERVAL_S": "0",
        },
    )
    server.start()
    out = []
    try:
        pid = server.pid
        assert pid is not None
        jobs = [(*scope, "csv") for scope in scopes] + [(*scopes[-1], "xlsx")]
        with httpx.Client(base_url=server.base, timeout=600) as http:
            http.get(EXPORT_PATH + "csv", headers=scopes[0][1])  # warm-up: imports, the pool
            for what, headers, code, fmt in jobs:
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts again from here
                before = _memory_kb(pid, "VmRSS")
                began = time.perf_counter()
                first: float | None = None
                first_rows: float | None = None
                size = lines = 0
                path = EXPORT_PATH + fmt + (f"&scope={code}" if code else "")
                with http.stream("GET", path, headers=headers) as answer:
                    assert answer.status_code == 200, answer.read()
                    for piece in answer.iter_raw():
                        if first is None:
                            first = time.perf_counter()
                        size += len(piece)
                        lines += piece.count(b"\n")
                        if first_rows is None and (lines > 1 or fmt == "xlsx"):
                            first_rows = time.perf_counter()
                done = time.perf_counter()
                peak = _memory_kb(pid, "VmHWM")
                rows = lines - 1 if fmt == "csv" else 0
                out.append(
                    ExportTiming(
                        f"{fmt.upper()}, {what}",
                        rows,
                        ((first or done) - began) * 1000,
                        ((first_rows or done) - began) * 1000,
                        (done - began) * 1000,
                        size / 1e6,
                        (peak - before) / 1024,
                    )
                )
                print(f"  exported {fmt}, {what}: {size / 1e6:.1f} MB in {done - began:.1f} s", flush=True)
    finally:
        server.stop()
    return out


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown(
    counted: int, count_s: float, summaries: Sequence[SummaryTiming], exports: Sequence[ExportTiming]
) -> list[str]:
    """The section's lines for bench/README.md."""
    lines = [
        "",
        "The summary above the villages (`GET /dashboard/areas`, one row per county or town from each "
        f"village's figures kept by the hourly count). The hourly count of all {counted:,} villages took "
        f"{count_s:,.1f} s. Baseline: walking every village page of the scope, the only way a screen had "
        "to add them up before (the villages walk above, p50).",
        "",
        "| call | rows | p50 (ms) | p95 (ms) | baseline p50 (ms) | baseline ÷ this (p50) | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for s in summaries:
        p95 = sorted(s.calls)[max(0, -(-95 * len(s.calls) // 100) - 1)]
        median = statistics.median(s.calls)
        judged = "met" if p95 <= TARGET_SUMMARY_MS else "**missed**"
        lines.append(
            f"| summary {s.what} | {s.rows:,} | {ms(median)} | {ms(p95)} | {ms(s.walk_ms)} "
            f"| {s.walk_ms / median:,.0f} | ≤ {TARGET_SUMMARY_MS:,.0f} ms p95 | {judged} |"
        )
    lines += [
        "",
        "The overview export from a real `zoufang serve` (one worker) over HTTP, read by a client that keeps "
        "nothing; memory: how far the server's resident set rose above what it held before the request (its "
        "peak, `VmHWM`, reset first). A CSV's header leaves at once and its first village rows after the "
        "first chunk of 500 is counted. An XLSX is a zip whose index comes last, so its first byte waits for "
        "the whole file; its rows go to a temporary file, not memory.",
        "",
        "| export | rows | first byte (ms) | first village rows (ms) | whole file (ms) | size (MB) "
        "| server memory rise (MB) | first byte ≤ 1 s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for e in exports:
        judged = "met" if e.first_byte_ms <= TARGET_FIRST_BYTE_MS else "**missed**"
        rows = f"{e.rows:,}" if e.rows else "—"
        lines.append(
            f"| {e.what} | {rows} | {ms(e.first_byte_ms)} | {ms(e.first_rows_ms)} | {ms(e.total_ms)} "
            f"| {e.megabytes:.1f} "
            f"| {e.memory_rise_mb:.1f} | {judged if e.what.startswith('CSV') else 'not judged (XLSX)'} |"
        )
    return lines
