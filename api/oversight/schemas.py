"""What the dashboards answer (the contract's field names, plus what the screens need)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


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
    open_flags: int


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
