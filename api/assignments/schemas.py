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
