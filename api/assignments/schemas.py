"""Request and response shapes for assignments."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.validators import Line, RegionCode, RowId

Position = Literal["first_secretary", "team_member"]


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: RowId
    village_code: RegionCode
    position: Position
    dispatch_unit: Line = Field(min_length=1, max_length=100)
    start_date: dt.date
    end_date: dt.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> AssignmentCreate:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("结束日期不能早于开始日期")
        return self


class AssignmentUpdate(BaseModel):
    """Ending a posting (``end_date``), or correcting its unit or position."""

    model_config = ConfigDict(extra="forbid")

    end_date: dt.date | None = None
    dispatch_unit: Line | None = Field(default=None, min_length=1, max_length=100)
    position: Position | None = None


class Rotation(BaseModel):
    """轮换: the successor takes over the posting on ``date``; the predecessor's ends the day before."""

    model_config = ConfigDict(extra="forbid")

    successor_user_id: RowId
    date: dt.date = Field(description="接任者到岗的日期；原派驻在前一天结束")
    dispatch_unit: Line | None = Field(
        default=None, min_length=1, max_length=100, description="接任者的派驻单位；不填则与原来相同"
    )


class AssignmentPublic(BaseModel):
    id: int
    user_id: int
    village_code: str
    position: Position
    dispatch_unit: str
    start_date: dt.date
    end_date: dt.date | None


class Posting(BaseModel):
    """One of the caller's postings with what the phone needs of its village, offline."""

    village_code: str
    village_name: str
    position: Position
    dispatch_unit: str
    start_date: dt.date
    end_date: dt.date | None
    lat: float | None
    lon: float | None
    radius_m: int | None
