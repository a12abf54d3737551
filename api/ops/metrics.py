"""What ``/metrics`` tells a monitoring system, in Prometheus form.

Per process: requests by route template (not raw path) and status, their durations, how many
wait in line for the database (``api.ops.admission``), records received through ``/sync`` by
kind and outcome, photos and their bytes. From the database, so the same whichever instance is
asked: the flags by kind and status.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.flags.models import Flag
from api.ops.admission import Admission


class Metrics:
    """The collectors of one app (a registry each, so several apps can live in one process)."""

    def __init__(self, admission: Admission, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        waiting = Gauge("zoufang_requests_waiting", "Requests waiting in line for the database", registry=self.registry)
        waiting.set_function(lambda: admission.waiting)
        self.sync_items = Counter(
            "zoufang_sync_items",
            "Records received through /sync, by kind and outcome",
            ["kind", "status"],
            registry=self.registry,
        )
        self.photos = Counter(
            "zoufang_photos_received", "Photos uploaded, new or sent again", ["result"], registry=self.registry
        )
        self.photo_bytes = Counter("zoufang_photo_bytes_received", "Bytes of new photos", registry=self.registry)
        self.registry.register(FlagCounts(engine))
        self.requests = Counter(
            "zoufang_http_requests", "HTTP requests handled", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "zoufang_http_request_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
        )


class FlagCounts(Collector):
    """``zoufang_flags{kind, status}``: the flags raised so far, counted in the database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("zoufang_flags", "Flags raised, by kind and status", labels=["kind", "status"])
        try:
            with self.engine.connect() as conn:
                counts = select(col(Flag.kind), col(Flag.status), func.count()).group_by(
                    col(Flag.kind), col(Flag.status)
                )
                rows = conn.execute(counts)
                for kind, status, count in rows:
                    family.add_metric([kind, status], count)
        except SQLAlchemyError:
            return  # the database is out of reach: /readyz says so; the scrape still answers
        yield family


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            route = _route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    # The router records the matched route in the scope; unmatched paths share one label so
    # that scanners cannot blow up the number of series.
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))
