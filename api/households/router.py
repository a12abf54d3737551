"""``/households`` and ``/imports/households``."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import File, Query, Request, Response, UploadFile, status

from api.audit.service import log_read
from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import CurrentPrincipal, require_roles
from api.clock import TodayDep
from api.db import SessionDep
from api.errors import InvalidInput, PayloadTooLarge, UnsupportedFile
from api.households import export, importer, service
from api.households.models import Household
from api.households.schemas import HouseholdCreate, HouseholdPublic, HouseholdUpdate, ImportResult, RejectedRows
from api.households.spreadsheet import NotASpreadsheet, SpreadsheetError, TooManyRows, read_table
from api.pagination import Page, PageDep, paginate
from api.routing import api_router
from api.validators import RegionCodeQuery, RowIdPath, SearchText

router = api_router(prefix="/households", tags=["households"])
imports_router = api_router(prefix="/imports", tags=["households"])

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_A_FILE = {"schema": {"type": "string", "format": "binary"}}


def _attachment(name: str) -> dict[str, str]:
    """Save as ``name``: the RFC 5987 form keeps a Chinese file name intact."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


@router.post("", response_model=HouseholdPublic, status_code=status.HTTP_201_CREATED, summary="新增农户")
def create_household(
    data: HouseholdCreate, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> HouseholdPublic:
    household = service.create_household(session=session, data=data, by=principal, today=today)
    return service.to_public(household, principal)


@router.get("", response_model=Page[HouseholdPublic], summary="管辖范围内的农户（可按村、关键词、未走访天数筛选）")
def list_households(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    village_code: RegionCodeQuery = None,
    q: SearchText = None,
    not_visited_days: Annotated[
        int | None, Query(ge=0, le=3650, description="超过这么多天未入户走访（含从未走访）")
    ] = None,
) -> Page[HouseholdPublic]:
    stmt = service.household_query(by=principal, village_code=village_code, q=q, not_visited_days=not_visited_days)
    rows, cursor = paginate(session, stmt, Household.id, page)
    items = [service.to_public(h, principal) for h in rows]
    filters = {"village_code": village_code, "q": q, "not_visited_days": not_visited_days}
    log_read(session, request, principal, "households", filters=filters, row_count=len(items))
    return Page(items=items, next_cursor=cursor)


@router.get("/{household_id}", response_model=HouseholdPublic, summary="一户")
def get_household(
    household_id: RowIdPath, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> HouseholdPublic:
    household = service.get_household(session=session, household_id=household_id, by=principal)
    shown = service.to_public(household, principal)
    log_read(session, request, principal, "households", record_id=household_id)
    return shown


@router.patch("/{household_id}", response_model=HouseholdPublic, summary="修改农户信息")
def update_household(
    household_id: RowIdPath, data: HouseholdUpdate, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> HouseholdPublic:
    household = service.update_household(
        session=session, household_id=household_id, data=data, by=principal, today=today
    )
    return service.to_public(household, principal)


@imports_router.post("/households", response_model=ImportResult, summary="从台账导入农户（CSV 或 XLSX）")
def import_households(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="表头：村代码、户编号、户主姓名、村民小组、住址、联系电话、标签")],
) -> ImportResult:
    require_roles(principal, *SUPERVISOR_ROLES, action="导入农户台账")
    limit = request.app.state.settings.max_import_bytes
    data = file.file.read(limit + 1)  # a sync route: parsing and the database work run off the event loop
    if len(data) > limit:
        raise PayloadTooLarge(f"文件超过了 {limit // (1024 * 1024)} MB 的上限，请拆分后分批导入。")
    try:
        table = read_table(data)
    except NotASpreadsheet as exc:
        raise UnsupportedFile(str(exc)) from exc
    except TooManyRows as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except SpreadsheetError as exc:
        raise InvalidInput(str(exc)) from exc
    return importer.import_households(session=session, table=table, by=principal)


@imports_router.get(
    "/households/template",
    response_class=Response,
    summary="下载农户台账模板：表头和一行示例（XLSX 或 CSV）",
    responses={200: {"description": "农户台账模板.xlsx 或 .csv", "content": {XLSX: _A_FILE, CSV: _A_FILE}}},
)
def household_template(
    session: SessionDep,
    principal: CurrentPrincipal,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx（默认）或 csv（UTF-8，带 BOM）")] = "xlsx",
) -> Response:
    require_roles(principal, *SUPERVISOR_ROLES, action="下载农户台账模板")
    village = service.example_village(session=session, by=principal)
    disposition = _attachment(f"{export.TEMPLATE_NAME}.{format}")
    if format == "csv":
        return Response(export.template_csv(village), media_type=CSV, headers=disposition)
    return Response(export.template_xlsx(village), media_type=XLSX, headers=disposition)


@imports_router.post(
    "/households/rejected",
    response_class=Response,
    summary="把导入时出错的行做成 Excel：原表头加“错误原因”列，修改后可直接重新导入",
    responses={200: {"description": "农户台账出错的行.xlsx", "content": {XLSX: _A_FILE}}},
)
def rejected_rows(data: RejectedRows, principal: CurrentPrincipal) -> Response:
    require_roles(principal, *SUPERVISOR_ROLES, action="下载出错的行")
    return Response(
        export.rejected_xlsx(data.rows), media_type=XLSX, headers=_attachment(f"{export.REJECTED_NAME}.xlsx")
    )
