"""What a phone sends for a visit, and what it gets back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.validators import Instant, Line, RegionCode, RowId, Text

VisitKind = Literal["home_visit", "group_talk", "meeting", "service", "log"]


class RequestIn(BaseModel):
    """A villager's request noted during the visit (群众诉求)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    category: Line = Field(min_length=1, max_length=30)
    text: Text = Field(min_length=1, max_length=2000)


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    kind: VisitKind
    household_id: RowId | None = None
    village_code: RegionCode | None = None
    started_at: Instant
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    notes: Text | None = Field(default=None, max_length=10_000)
    requests: list[RequestIn] = Field(default_factory=list, max_length=50)
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    signature_photo_id: uuid.UUID | None = None


class RequestOut(BaseModel):
    """A request as its visit shows it, with how far it got, for the secretary's 我的记录."""

    id: str
    category: str
    text: str
    status: Literal["open", "in_progress", "resolved"]
    resolution: str | None


class VisitPublic(BaseModel):
    id: str
    kind: VisitKind
    household_id: int | None
    village_code: str
    user_id: int
    started_at: datetime
    received_at: datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    notes: str | None
    requests: list[RequestOut]
    photo_ids: list[str]
    signature_photo_id: str | None
    checks: list[str]
