"""Request and response shapes for households."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.households.spreadsheet import HEADERS
from api.households.xlsx import MAX_CELL_CHARS
from api.validators import Line, Name, PhoneNumber, RegionCode, Tag, Text


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    village_code: RegionCode
    household_no: Line | None = Field(default=None, min_length=1, max_length=40)
    head_name: Name
    group_name: Line | None = Field(default=None, max_length=50)
    address: Line | None = Field(default=None, max_length=200)
    phone: PhoneNumber | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class HouseholdUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_no: Line | None = Field(default=None, min_length=1, max_length=40)
    head_name: Name | None = None
    group_name: Line | None = Field(default=None, max_length=50)
    address: Line | None = Field(default=None, max_length=200)
    phone: PhoneNumber | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class HouseholdPublic(BaseModel):
    id: int
    village_code: str
    household_no: str | None
    head_name: str
    group_name: str | None
    address: str | None
    phone: str | None
    tags: list[str]
    lat: float | None
    lon: float | None
    last_visit_at: datetime | None
    visit_count: int


# A ledger with more refused rows than this is wrong as a whole (the wrong columns, a wrong
# village code throughout): it is fixed as a file, not row by row.
MAX_REJECTED_ROWS = 10_000


def _ledger_headers(values: dict[str, str]) -> dict[str, str]:
    if unknown := [name for name in values if name not in HEADERS]:
        raise ValueError(f"不是台账的列：{'、'.join(unknown[:5])}")
    return values


def _at_most_rejected_rows(rows: list[ImportRejection]) -> list[ImportRejection]:
    if len(rows) > MAX_REJECTED_ROWS:
        raise ValueError(
            f"出错的行太多（{len(rows)} 行），一次最多下载 {MAX_REJECTED_ROWS} 行：请按错误原因修改整个台账后重新导入。"
        )
    return rows


# A cell as the importer reads it: cut one character past MAX_CELL_CHARS, so that every value it
# reports fits here. Line breaks and tabs are kept (a cell may hold them, and is rejected for it).
CellText = Annotated[Text, Field(max_length=MAX_CELL_CHARS + 1)]
LedgerValues = Annotated[
    dict[str, CellText],
    AfterValidator(_ledger_headers),
    Field(json_schema_extra={"propertyNames": {"enum": list(HEADERS)}}),
]


class ImportRejection(BaseModel):
    """A row the import refused. The same shape is sent back to ``/imports/households/rejected``,
    so what an import reports can be downloaded as a spreadsheet unchanged."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=1, description="行号，与表格软件中显示的一致")
    # A reason quotes at most one cell.
    reason: Line = Field(max_length=2 * MAX_CELL_CHARS, description="没有导入的原因")
    values: LedgerValues = Field(
        description=f"这一行读到的原文，按中文表头（{'、'.join(HEADERS)}），只有文件中有的列。"
        "下载出错的行时原样发回，修改后即可重新导入。"
    )


class RejectedRows(BaseModel):
    """The rows an import refused, to be made into a spreadsheet to fix and import again."""

    model_config = ConfigDict(extra="forbid")

    rows: Annotated[
        list[ImportRejection],
        AfterValidator(_at_most_rejected_rows),
        Field(min_length=1, json_schema_extra={"maxItems": MAX_REJECTED_ROWS}),
    ]


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[ImportRejection]
    ignored_columns: list[str]
