"""What the dashboards answer (the contract's field names, plus what the screens need)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.rectification.schemas import LedgerSummary


class SecretaryRef(BaseModel):
    user_id: int
    display_name: str


class VillageRow(BaseModel):
    village_code: str
    village_name: str
    town_code: str | None
    town_name: str | None
    weak_lax: bool
    secretaries: list[SecretaryRef]
    households: int
    households_visited: int
    coverage: float | None
    visits: int
    home_visits: int
    last_visit_at: dt.datetime | None
    presence_days_30: int
    nights_30: int
    open_requests: int
    awareness_rate: float | None
    public_views_month: int = Field(description="本月村公开页被查看的次数（只计数，不记录来访者）")
    public_messages_month: int = Field(description="本月村公开页收到的群众留言数")
    open_flags: int
    rectification: LedgerSummary | None = Field(description="整顿台账的进度；没有台账的村为 null")


class SecretaryRow(BaseModel):
    user_id: int
    display_name: str
    village_code: str
    village_name: str
    position: str
    dispatch_unit: str
    visits_per_week: list[int]
    presence_days_30: int
    nights_30: int
    coverage_90: float | None


class VisitPoint(BaseModel):
    visit_id: str
    user_id: int
    kind: str
    started_at: dt.datetime
    lat: float
    lon: float
    accuracy_m: float | None
    off_site: bool


class VillageDetail(BaseModel):
    """A village page: the dashboard row, visits per week and where the visits were recorded."""

    village: VillageRow
    lat: float | None
    lon: float | None
    radius_m: int | None
    visits_per_week: list[int]
    visit_points: list[VisitPoint]


class PresenceMark(BaseModel):
    day: dt.date
    village_code: str
    day_present: bool = False
    night: bool = False


class SecretaryDetail(BaseModel):
    """A secretary page: their postings' rows, weekly visits, presence calendar and punch card."""

    postings: list[SecretaryRow]
    visits_per_week: list[int]
    presence: list[PresenceMark]
    punch_card: list[list[int]]
