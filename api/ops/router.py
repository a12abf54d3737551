"""Health, readiness and metrics: what a load balancer and a monitoring system ask."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.errors import problem_response
from api.routing import api_router

router = api_router(tags=["operations"])


@router.get("/healthz", summary="进程存活")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="数据库与照片存储可用", responses={503: {"description": "数据库或照片存储不可用"}})
def readyz(request: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    checks["photo_store"] = request.app.state.photos.health()
    if all(value == "ok" for value in checks.values()):
        return JSONResponse({"status": "ok", "checks": checks})
    failing = "、".join(name for name, value in checks.items() if value != "ok")
    return problem_response(503, type_="not-ready", title="服务尚未就绪", detail=f"不可用：{failing}")


@router.get("/metrics", summary="Prometheus 指标", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
