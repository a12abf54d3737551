"""What a phone sends for a daily check-in, and what it gets back."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.validators import Instant, RegionCode


class CheckinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    village_code: RegionCode
    at: Instant
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    photo_id: uuid.UUID | None = None


class CheckinPublic(BaseModel):
    id: str
    village_code: str
    user_id: int
    at: datetime
    received_at: datetime
    lat: float
    lon: float
    accuracy_m: float | None
    photo_id: str | None
    checks: list[str]
