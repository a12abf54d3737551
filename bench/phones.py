"""Simulated phones: a day's records each, sent the way the phone app's outbox sends them.

A phone keeps its photos, visits and check-ins until the server has acknowledged each one.
Photos go up first (``POST /photos``), then the records in batches of 50 (``POST /sync``).
Network errors, 5xx, 408, 429 and 503 are retried after a back-off that honours
``Retry-After``; ``missing_photo`` sends the photo again. Everything a phone saw is kept in
its ``log`` so that a run can report statuses and latencies, and find any 5xx.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
from PIL import Image, ImageChops, ImageFilter

from bench.county import CENTRE, Secretary

RETRYABLE = frozenset({408, 429, 502, 503, 504})
BATCH = 50
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0


@cache
def _grain() -> Image.Image:
    """Fine sensor-like grain, made once: it gives each photo the size of a real one."""
    return Image.effect_noise((1600, 1200), 30).convert("RGB").filter(ImageFilter.GaussianBlur(0.8))


def phone_photo(seed: int) -> bytes:
    """A JPEG as the phone app uploads it: 1600 × 1200, quality 0.8, about 300 KB, no EXIF.

    The broad shapes differ with ``seed`` (so photos do not look alike to the duplicate check);
    the grain is shared. About 20 ms each.
    """
    rng = random.Random(seed)
    shapes = Image.new("RGB", (16, 12))
    shapes.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
    picture = ImageChops.add(shapes.resize((1600, 1200), Image.Resampling.BILINEAR), _grain(), scale=1.6, offset=-40)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


def day_of_visits(secretary: Secretary, *, count: int, photo_ids: Sequence[str], seed: int) -> list[dict[str, Any]]:
    """``count`` home visits ending an hour ago, 20 minutes apart, the photos spread over them."""
    rng = random.Random(seed)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    visits = []
    for n in range(count):
        visits.append(
            {
                "id": str(uuid.uuid4()),
                "kind": "home_visit",
                "household_id": rng.choice(secretary.households),
                "started_at": (end - dt.timedelta(minutes=20 * (count - n))).isoformat(),
                "lat": CENTRE[0] + rng.uniform(-0.003, 0.003),
                "lon": CENTRE[1] + rng.uniform(-0.003, 0.003),
                "accuracy_m": 12.0,
                "notes": f"入户了解情况，第 {n + 1} 户",
                "photo_ids": [photo_ids[n]] if n < len(photo_ids) else [],
            }
        )
    return visits


def check_ins(secretary: Secretary, *, days: int) -> list[dict[str, Any]]:
    """One morning check-in on each of the last ``days`` days."""
    today = dt.datetime.now(dt.UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    return [
        {
            "id": str(uuid.uuid4()),
            "village_code": secretary.village_code,
            "at": (today - dt.timedelta(days=d + 1)).isoformat(),
            "lat": CENTRE[0],
            "lon": CENTRE[1],
            "accuracy_m": 15.0,
        }
        for d in range(days)
    ]


@dataclass
class Exchange:
    """One request a phone made: what it was, what came back (or the error), how long it took."""

    what: str
    status: int | None
    seconds: float
    error: str | None = None
    retry_after: str | None = None


@dataclass
class Phone:
    """One secretary's phone with an outbox of photos, visits and check-ins."""

    secretary: Secretary
    token: str
    photos: dict[str, bytes]
    visits: list[dict[str, Any]]
    checkins: list[dict[str, Any]]
    log: list[Exchange] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    photos_sent: set[str] = field(default_factory=set)
    records_sent: set[str] = field(default_factory=set)

    @property
    def done(self) -> bool:
        return len(self.photos_sent) == len(self.photos) and len(self.records_sent) == len(self.visits) + len(
            self.checkins
        )

    async def _request(
        self, client: httpx.AsyncClient, what: str, method: str, url: str, **kw: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await client.request(method, url, headers={"Authorization": f"Bearer {self.token}"}, **kw)
        except httpx.HTTPError as exc:
            self.log.append(Exchange(what, None, time.perf_counter() - started, error=type(exc).__name__))
            return None
        self.log.append(
            Exchange(
                what,
                response.status_code,
                time.perf_counter() - started,
                retry_after=response.headers.get("Retry-After"),
            )
        )
        return response

    async def send_photo(self, client: httpx.AsyncClient, photo_id: str) -> httpx.Response | None:
        response = await self._request(
            client,
            "photo",
            "POST",
            "/api/v1/photos",
            files={"file": ("photo.jpg", self.photos[photo_id], "image/jpeg")},
            data={"id": photo_id},
        )
        if response is not None and response.status_code in (200, 201):
            self.photos_sent.add(photo_id)
        elif response is not None and response.status_code not in RETRYABLE and response.status_code < 500:
            self.refused.append(f"photo {photo_id}: {response.status_code} {response.text[:200]}")
            self.photos_sent.add(photo_id)  # nothing to retry; the run reports it as a defect
        return response

    async def send_records(
        self, client: httpx.AsyncClient, batch: dict[str, list[dict[str, Any]]]
    ) -> httpx.Response | None:
        response = await self._request(client, "sync", "POST", "/api/v1/sync", json=batch)
        if response is None or response.status_code != 200:
            if response is not None and response.status_code not in RETRYABLE and response.status_code < 500:
                self.refused.append(f"sync: {response.status_code} {response.text[:200]}")
            return response
        for result in response.json()["results"]:
            if result["status"] in ("created", "unchanged"):
                self.records_sent.add(result["id"])
            elif result.get("detail") == "missing_photo":
                # The photo's row was lost with its upload's answer: send it again.
                visit = next(v for v in self.visits if v["id"] == result["id"])
                self.photos_sent.difference_update(visit["photo_ids"])
            else:
                self.refused.append(f"{result['kind']} {result['id']}: {result['status']} {result.get('detail')}")
                self.records_sent.add(result["id"])
        return response

    def pending_batch(self) -> dict[str, list[dict[str, Any]]]:
        visits = [v for v in self.visits if v["id"] not in self.records_sent][:BATCH]
        room = BATCH - len(visits)
        checkins = [c for c in self.checkins if c["id"] not in self.records_sent][:room]
        return {"visits": visits, "checkins": checkins}

    async def run(self, client: httpx.AsyncClient, *, deadline: float) -> None:
        """Send everything, retrying like the app, until all is acknowledged or time runs out."""
        backoff = FIRST_BACKOFF_S
        while not self.done and time.monotonic() < deadline:
            pending_photos = [p for p in self.photos if p not in self.photos_sent]
            if pending_photos:
                response = await self.send_photo(client, pending_photos[0])
            else:
                response = await self.send_records(client, self.pending_batch())
            if response is not None and response.status_code < 400:
                backoff = FIRST_BACKOFF_S
                continue
            if response is not None and response.status_code not in RETRYABLE and response.status_code < 500:
                continue
            wait = backoff * random.uniform(0.8, 1.2)
            if response is not None and (retry_after := response.headers.get("Retry-After", "")).isdigit():
                wait = max(wait, float(retry_after))
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            await asyncio.sleep(wait)


def statuses(phones: Sequence[Phone]) -> Counter[str]:
    """How many requests ended in each status (or network error), over all phones."""
    return Counter(str(e.status) if e.status is not None else e.error or "error" for p in phones for e in p.log)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
