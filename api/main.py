"""The application factory: routers, error handlers, API docs and the PWA, for one Settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.assignments.router import router as assignments_router
from api.audit.router import router as audit_router
from api.auth.router import router as auth_router
from api.bulletins.router import router as bulletins_router
from api.checkins.router import router as checkins_router
from api.db import make_engine
from api.errors import install_error_handlers
from api.flags.router import router as flags_router
from api.flags.scheduler import flag_rules_running
from api.households.router import imports_router
from api.households.router import router as households_router
from api.inspections.router import router as inspections_router
from api.ops.access_log import AccessLog
from api.ops.admission import Admission
from api.ops.docs import mount_docs
from api.ops.headers import SecurityHeaders
from api.ops.heap import startup_heap_frozen
from api.ops.limits import BodySizeLimit
from api.ops.metrics import Metrics, MetricsMiddleware
from api.ops.openapi import openapi_schema
from api.ops.pwa import PACKAGED_PWA_DIR, mount_pwa
from api.ops.router import router as ops_router
from api.oversight.router import router as oversight_router
from api.photos.router import router as photos_router
from api.photos.storage import open_photo_store
from api.photos.sweep import photo_sweep_running
from api.public.pages import router as public_pages_router
from api.public.router import router as public_router
from api.rectification.router import router as rectification_router
from api.regions.router import router as regions_router
from api.requests.router import router as requests_router
from api.settings import Settings, get_settings
from api.visits.router import router as visits_router
from api.visits.sync import router as sync_router

API_PREFIX = "/api/v1"
DEFAULT_BODY_LIMIT = 8 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # form boundaries and the other fields around an uploaded file


def _api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    parts = (
        auth_router,
        regions_router,
        households_router,
        imports_router,
        assignments_router,
        photos_router,
        visits_router,
        checkins_router,
        sync_router,
        requests_router,
        oversight_router,
        flags_router,
        inspections_router,
        bulletins_router,
        audit_router,
        rectification_router,
        public_router,
    )
    for part in parts:
        router.include_router(part)
    return router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the whole service for ``settings`` (the environment's when not given)."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    photos = open_photo_store(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Every request in line may need a thread for its route and another for its response,
        # besides the static files and the probes: never fewer threads than places in line.
        threads = anyio.to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, 2 * settings.max_active_requests)
        async with flag_rules_running(engine, settings), photo_sweep_running(engine, photos, settings):
            with startup_heap_frozen():
                yield
        engine.dispose()

    app = FastAPI(
        title="走访 Zoufang",
        summary="驻村第一书记入户走访、驻村签到与督查的记录服务",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.admission = Admission(slots=settings.max_active_requests, wait_s=settings.queue_timeout_s)
    app.state.metrics = Metrics(app.state.admission, engine)
    app.state.photos = photos

    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.include_router(ops_router)
    app.include_router(_api_router())
    app.include_router(public_pages_router)
    mount_docs(app, openapi_url=f"{API_PREFIX}/openapi.json", title="走访 Zoufang API")
    mount_pwa(app, settings.pwa_dir or PACKAGED_PWA_DIR)

    def body_limit(path: str) -> int:
        if path.startswith(f"{API_PREFIX}/imports/"):
            return settings.max_import_bytes
        if path == f"{API_PREFIX}/photos":
            return settings.max_photo_bytes + MULTIPART_OVERHEAD
        return DEFAULT_BODY_LIMIT

    app.add_middleware(BodySizeLimit, limit_for=body_limit)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)
    if settings.trusted_proxies.strip():
        # Outermost, so that everything inside sees the client and scheme the proxy reports.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
