"""Request and response shapes for regions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.validators import Line, RegionCode, Text

Level = Literal["county", "town", "village"]
VillageKind = Literal["village", "community"]
RectificationStatus = Literal["none", "rectifying", "accepted"]
Reason = Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class _RegionFacts(BaseModel):
    """What can be set on a region after its code and level are fixed."""

    model_config = ConfigDict(extra="forbid")

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_m: int | None = Field(default=None, ge=10, le=50_000)
    kind: VillageKind | None = None
    weak_lax: bool | None = None
    weak_lax_reasons: list[Reason] | None = Field(default=None, max_length=20)
    rectification_status: RectificationStatus | None = None
    plan: Text | None = Field(default=None, max_length=20_000)


class RegionCreate(_RegionFacts):
    code: RegionCode
    name: Line = Field(min_length=1, max_length=100)
    level: Level
    parent_code: RegionCode | None = None


class RegionUpdate(_RegionFacts):
    name: Line | None = Field(default=None, min_length=1, max_length=100)


class RegionPublic(BaseModel):
    code: str
    name: str
    level: Level
    parent_code: str | None
    lat: float | None
    lon: float | None
    radius_m: int | None
    kind: VillageKind | None
    weak_lax: bool
    weak_lax_reasons: list[str]
    rectification_status: RectificationStatus
    plan: str | None


class CentreSuggestion(BaseModel):
    """The median of a village's recent check-ins with a good GPS fix; nulls when there are none."""

    lat: float | None
    lon: float | None
    checkins: int = Field(description="参与计算的签到次数")
    days: int = Field(description="统计最近多少天的签到")
