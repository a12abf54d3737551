"""Request counts and latencies in Prometheus form, labelled by route template, not raw path,
and how many requests wait in line for the database (``api.ops.admission``)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.ops.admission import Admission


class Metrics:
    """The collectors of one app (a registry each, so several apps can live in one process)."""

    def __init__(self, admission: Admission) -> None:
        self.registry = CollectorRegistry()
        waiting = Gauge("zoufang_requests_waiting", "Requests waiting in line for the database", registry=self.registry)
        waiting.set_function(lambda: admission.waiting)
        self.requests = Counter(
            "zoufang_http_requests", "HTTP requests handled", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "zoufang_http_request_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
        )


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
