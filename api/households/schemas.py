"""Request and response shapes for households."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.validators import Line, Name, PhoneNumber, RegionCode, Tag


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


class ImportRejection(BaseModel):
    row: int
    reason: str


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[ImportRejection]
    ignored_columns: list[str]
