"""``/audit``: the log of reads of personal data, for admins only, as pages or as one file.

Admins are the only role that sees all people and all places, so they alone may see who read
what; a read-only API token never may.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import select

from api.audit import export, reading
from api.audit.models import AuditEntry
from api.audit.schemas import AuditEntryPublic, AuditFiltersDep
from api.auth.principal import CurrentPrincipal, require_roles
from api.clock import TodayDep
from api.db import SessionDep
from api.pagination import Page, PageDep, paginate
from api.routing import api_router


def _admins_only(principal: CurrentPrincipal) -> None:
    # A router dependency runs before the query is validated, so others get 403, not 422.
    require_roles(principal, "admin", action="查看个人信息的读取记录")


router = api_router(prefix="/audit", tags=["audit"], dependencies=[Depends(_admins_only)])


@router.get("", response_model=Page[AuditEntryPublic], summary="个人信息的读取记录，最新的在前（仅管理员）")
def list_audit_entries(session: SessionDep, page: PageDep, filters: AuditFiltersDep) -> Page[AuditEntryPublic]:
    stmt = filters.apply(select(AuditEntry))
    rows, cursor = paginate(session, stmt, AuditEntry.id, page, descending=True)
    return Page(items=reading.with_names(session, rows), next_cursor=cursor)


@router.get(
    "/export",
    response_class=StreamingResponse,
    summary="导出读取记录：符合筛选条件的全部记录，最新的在前（CSV 或 XLSX，仅管理员）",
    description="筛选条件与列表相同。读取人的账号、姓名和 API 令牌的名称都已写明；时间为本地时间。",
    responses={
        200: {
            "description": "CSV（UTF-8，Excel 可直接打开）或 XLSX 文件",
            "content": {media_type: {} for media_type in export.MEDIA_TYPES.values()},
        }
    },
)
def export_audit_entries(
    request: Request,
    filters: AuditFiltersDep,
    today: TodayDep,
    format: Annotated[export.ExportFormat, Query(description="csv 或 xlsx")] = "csv",
) -> StreamingResponse:
    state = request.app.state
    chunks = reading.every_entry(state.admission, state.engine, filters)
    tz = state.settings.tz
    body = export.csv_file(chunks, tz=tz) if format == "csv" else export.xlsx_file(chunks, tz=tz)
    name = f"{export.TITLE}-{today.isoformat()}.{format}"
    return StreamingResponse(
        body,
        media_type=export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
