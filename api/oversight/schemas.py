"""What the dashboards answer (the contract's field names, plus what the screens need)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from api.oversight.cue import Cue
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
    cue: Cue = Field(
        description="提示颜色：red 需关注（覆盖率低于60%、近30天驻村不足20天或超过14天没有走访），"
        "amber 需留意（覆盖率低于80%、驻村不足25天或有待处理提示），green 正常，none 没有派驻"
    )


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


class AreaRow(BaseModel):
    """A county's (or town's) totals. Everything but ``villages`` and ``weak_lax_villages`` counts
    only the villages someone is posted to, as the overview's towns' totals do."""

    code: str
    name: str | None
    villages: int
    posted_villages: int
    weak_lax_villages: int
    households: int
    households_visited: int
    coverage: float | None
    visits: int
    home_visits: int
    red: int = Field(description="需关注的村数（提示颜色 red）")
    amber: int = Field(description="需留意的村数（amber）")
    green: int = Field(description="正常的村数（green）")
    open_flags: int
    open_requests: int


class AreaSummary(BaseModel):
    by: Literal["county", "town"]
    days: int = Field(description="走访次数和覆盖率统计的天数（90）")
    as_of: dt.datetime | None = Field(
        description="所用数字中最早的统计时间（各村数字每小时重新统计一次）；没有村时为 null"
    )
    items: list[AreaRow]
