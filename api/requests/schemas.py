"""Shapes of villagers' requests as supervisors list and update them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.validators import Text

RequestStatus = Literal["open", "in_progress", "resolved"]


class RequestUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: RequestStatus
    resolution: Text | None = Field(default=None, max_length=2000)


class RequestPublic(BaseModel):
    id: str
    visit_id: str
    village_code: str
    household_id: int | None
    category: str
    text: str
    status: RequestStatus
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
