"""``POST /sync``: a phone's whole outbox in one request, one result per record, in order.

Records are validated one by one (a malformed record is rejected on its own instead of
failing the request), then stored in batches.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from api.auth.principal import CurrentPrincipal
from api.checkins.schemas import CheckinIn
from api.checkins.service import record_checkins
from api.db import SessionDep, utcnow
from api.errors import PayloadTooLarge, sendable, validation_items
from api.records import Outcome
from api.rectification.progress import record_progress
from api.rectification.schemas import ProgressIn
from api.routing import api_router
from api.visits.schemas import VisitIn
from api.visits.service import record_visits

router = api_router(tags=["field records"])


class SyncIn(BaseModel):
    visits: list[dict[str, Any]] = Field(default_factory=list)
    checkins: list[dict[str, Any]] = Field(default_factory=list)
    progress: list[dict[str, Any]] = Field(default_factory=list, description="整改措施的进展报告")


class SyncResult(BaseModel):
    id: str
    kind: Literal["visit", "checkin", "progress"]
    status: Literal["created", "unchanged", "conflict", "rejected"]
    detail: str | None = None
    code: str | None = None
    checks: list[str] = Field(default_factory=list)


class SyncOut(BaseModel):
    results: list[SyncResult]


def _parse(raw: list[dict[str, Any]], adapter: TypeAdapter[Any]) -> tuple[list[Any], dict[int, SyncResult]]:
    """Items that validate, and a rejection for each position that does not."""
    parsed, refused = [], {}
    for position, item in enumerate(raw):
        try:
            parsed.append(adapter.validate_python(item))
        except ValidationError as exc:
            reasons = "；".join(
                f"{'.'.join(str(p) for p in error['loc']) or '记录'}：{error['msg']}"
                for error in validation_items(exc.errors())[:5]
            )
            refused[position] = SyncResult(
                id=_echo(item.get("id", "")), kind="visit", status="rejected", detail=sendable(reasons), code="invalid"
            )
    return parsed, refused


def _echo(value: Any) -> str:
    """The id of a refused item as the phone sent it, in a form that can always be sent back."""
    return sendable(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))[:100]


def _merge(
    kind: Literal["visit", "checkin", "progress"], count: int, refused: dict[int, SyncResult], outcomes: list[Outcome]
) -> list[SyncResult]:
    results, kept = [], iter(outcomes)
    for position in range(count):
        if position in refused:
            results.append(refused[position].model_copy(update={"kind": kind}))
            continue
        o = next(kept)
        detail = "missing_photo" if o.code == "missing_photo" else (o.error.detail if o.error else None)
        results.append(SyncResult(id=o.id, kind=kind, status=o.status, detail=detail, code=o.code, checks=o.checks))
    return results


@router.post("/sync", response_model=SyncOut, summary="一次提交手机上待发送的全部记录（最多 500 条）")
def sync(data: SyncIn, request: Request, session: SessionDep, principal: CurrentPrincipal) -> SyncOut:
    settings = request.app.state.settings
    total = len(data.visits) + len(data.checkins) + len(data.progress)
    if total > settings.max_sync_items:
        raise PayloadTooLarge(f"一次最多同步 {settings.max_sync_items} 条记录，这次有 {total} 条，请分批发送。")
    now = utcnow()
    visits, bad_visits = _parse(data.visits, TypeAdapter(VisitIn))
    checkins, bad_checkins = _parse(data.checkins, TypeAdapter(CheckinIn))
    visit_outcomes = record_visits(session=session, by=principal, items=visits, settings=settings, now=now)
    checkin_outcomes = record_checkins(session=session, by=principal, items=checkins, settings=settings, now=now)
    progress, bad_progress = _parse(data.progress, TypeAdapter(ProgressIn))
    progress_outcomes = record_progress(session=session, by=principal, items=progress, settings=settings, now=now)
    results = (
        _merge("visit", len(data.visits), bad_visits, visit_outcomes)
        + _merge("checkin", len(data.checkins), bad_checkins, checkin_outcomes)
        + _merge("progress", len(data.progress), bad_progress, progress_outcomes)
    )
    counted = request.app.state.metrics.sync_items
    for result in results:
        counted.labels(result.kind, result.status).inc()
    return SyncOut(results=results)
