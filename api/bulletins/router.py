"""``/bulletins/{YYYY}-Q{n}``: the quarterly bulletin for a scope, as JSON, CSV, XLSX or an A4 page."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import CurrentPrincipal, require_roles
from api.bulletins import export, report
from api.bulletins.quarters import Quarter
from api.bulletins.schemas import Bulletin
from api.clock import TodayDep
from api.db import SessionDep, utcnow
from api.routing import api_router

router = api_router(prefix="/bulletins", tags=["inspections"])

READERS = (*SUPERVISOR_ROLES, "inspector", "api_token")
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/{quarter}",
    response_model=Bulletin,
    summary="季度通报：乡镇和村的排名、较上季度的变化、发现的问题",
    responses={200: {"content": {CSV: {}, XLSX: {}, "text/html": {}}}},
)
def bulletin(
    quarter: Annotated[str, Path(description="季度，如 2026-Q3")],
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    scope: Annotated[str | None, Query(description="区划代码：只通报该地区（默认为本人管辖范围）")] = None,
    format: Annotated[
        Literal["json", "csv", "xlsx", "html"],
        Query(description="json、csv（村排名）、xlsx（四张表）或 html（A4 打印）"),
    ] = "json",
) -> Bulletin | Response:
    require_roles(principal, *READERS, action="查看季度通报")
    tz = request.app.state.settings.tz
    made = report.build(
        session, quarter=Quarter.parse(quarter), prefix=principal.narrow(scope), today=today, tz=tz, now=utcnow()
    )
    if format == "json":
        return made
    if format == "html":
        return HTMLResponse(export.bulletin_html(made, tz=tz), headers={"Content-Security-Policy": export.PAGE_POLICY})
    name = f"{made.title}.{format}"
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    if format == "csv":
        return Response(export.bulletin_csv(made), media_type=CSV, headers=disposition)
    return Response(export.bulletin_xlsx(made, tz=tz), media_type=XLSX, headers=disposition)
