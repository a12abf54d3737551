"""Benchmark: many phones sending at the same moment, as after a county meeting or a signal returns.

Run: ``uv run python bench/burst.py [--databases sqlite,postgresql] [--phones 100,200,300]``

For each database and each number of phones N, a fresh county (300 villages, each with its
first secretary and 50 households) is served by a real ``zoufang serve``, and N secretaries'
phones send at once, each with its own connection:

- ``photos``: one photo each, as the app uploads them (1600 × 1200, about 330 KB);
- ``sync``: one ``POST /sync`` of 50 home visits each.

Each request is sent once, with no retry, and waited for up to 120 s. The report counts the
answers (2xx, a deliberate 503, other 4xx, 5xx) and the requests that got no answer, gives
the latency percentiles of all requests and, for syncs, how many records were acknowledged.
The server is restarted between bursts, so one burst's trouble cannot spill into the next.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.county import SIGNING_KEY, build_county, fresh_database, token_for
from bench.phones import day_of_visits, percentile, phone_photo
from bench.server import ServerProcess

WAIT_S = 120.0
SECRETARIES = 300


@dataclass
class Burst:
    database: str
    kind: str
    phones: int
    counts: Counter[str]
    p50: float
    p95: float
    slowest: float
    wall: float
    acknowledged: int = 0

    def row(self) -> str:
        c = self.counts
        ok = sum(n for k, n in c.items() if k.startswith("2"))
        fivexx = sum(n for k, n in c.items() if k.startswith("5") and k != "503")
        other = sum(n for k, n in c.items() if k.startswith("4"))
        unanswered = sum(n for k, n in c.items() if not k[0].isdigit())
        acked = f"{self.acknowledged:,}" if self.kind == "sync" else "–"
        return (
            f"| {self.database} | {self.kind} | {self.phones} | {ok} | {c['503']} | {other} | {fivexx} | {unanswered} "
            f"| {self.p50:.1f} | {self.p95:.1f} | {self.slowest:.1f} | {acked} |"
        )


HEADER = (
    "| database | burst | phones | 2xx | 503 | other 4xx | 5xx | no answer "
    "| p50 s | p95 s | slowest s | records acknowledged |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


async def _burst(base: str, kind: str, tokens: list[str], payloads: list[object]) -> tuple[list[object], float]:
    limits = httpx.Limits(max_connections=len(tokens) + 10, max_keepalive_connections=len(tokens) + 10)
    timeout = httpx.Timeout(WAIT_S, connect=30.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        start = asyncio.Event()

        async def one(token: str, payload: object) -> object:
            await start.wait()
            headers = {"Authorization": f"Bearer {token}"}
            began = time.perf_counter()
            try:
                if kind == "photos":
                    photo_id, data = payload  # type: ignore[misc]
                    response = await client.post(
                        "/api/v1/photos",
                        headers=headers,
                        files={"file": ("p.jpg", data, "image/jpeg")},
                        data={"id": photo_id},
                    )
                else:
                    response = await client.post("/api/v1/sync", headers=headers, json=payload)
            except httpx.HTTPError as exc:
                return (type(exc).__name__, time.perf_counter() - began, 0)
            acked = 0
            if kind == "sync" and response.status_code == 200:
                acked = sum(r["status"] in ("created", "unchanged") for r in response.json()["results"])
            return (str(response.status_code), time.perf_counter() - began, acked)

        tasks = [asyncio.create_task(one(t, p)) for t, p in zip(tokens, payloads, strict=True)]
        await asyncio.sleep(0.2)
        began = time.perf_counter()
        start.set()
        results = await asyncio.gather(*tasks)
        return list(results), time.perf_counter() - began


def run_burst(database: str, kind: str, phones: int, postgres: str | None, photos: list[bytes]) -> Burst:
    with tempfile.TemporaryDirectory() as folder, fresh_database(database, folder, postgres) as url:
        secretaries = build_county(url, secretaries=SECRETARIES, households_per_village=50)[:phones]
        server = ServerProcess(
            data_dir=Path(folder) / "data",
            env={"ZOUFANG_DATABASE_URL": url, "ZOUFANG_SECRET_KEY": SIGNING_KEY, "ZOUFANG_FLAG_RULES_INTERVAL_S": "0"},
        )
        server.start()
        try:
            tokens = [token_for(s) for s in secretaries]
            payloads: list[object]
            if kind == "photos":
                payloads = [(str(uuid.uuid4()), photos[i % len(photos)]) for i in range(phones)]
            else:
                payloads = [
                    {"visits": day_of_visits(s, count=50, photo_ids=[], seed=i), "checkins": []}
                    for i, s in enumerate(secretaries)
                ]
            results, wall = asyncio.run(_burst(server.base, kind, tokens, payloads))
        finally:
            server.stop()
    latencies = [seconds for _, seconds, _ in results]  # type: ignore[misc]
    return Burst(
        database=database,
        kind=kind,
        phones=phones,
        counts=Counter(status for status, _, _ in results),  # type: ignore[misc]
        p50=percentile(latencies, 0.5),
        p95=percentile(latencies, 0.95),
        slowest=max(latencies),
        wall=wall,
        acknowledged=sum(acked for _, _, acked in results),  # type: ignore[misc]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--phones", default="100,200,300")
    parser.add_argument("--kinds", default="photos,sync")
    parser.add_argument("--postgres", default=os.environ.get("ZOUFANG_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    counts = [int(n) for n in args.phones.split(",")]
    photos = [phone_photo(seed) for seed in range(max(counts))]
    print(HEADER, flush=True)
    for database in args.databases.split(","):
        for kind in args.kinds.split(","):
            for n in counts:
                print(run_burst(database, kind, n, args.postgres, photos).row(), flush=True)


if __name__ == "__main__":
    main()
