"""The quarterly bulletin as JSON; the CSV, XLSX and HTML forms show the same rows."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Standing(BaseModel):
    """One town's or village's quarter, with the change since the previous quarter (in points)."""

    rank: int
    code: str
    name: str
    town_name: str | None = None
    weak_lax: bool | None = None
    villages: int
    households: int
    households_visited: int
    coverage: float | None
    coverage_change: float | None
    visits: int
    presence_days: int
    presence_rate: float | None = Field(description="驻村天数 ÷ 本季度天数（乡镇为各村合计）")
    presence_change: float | None
    households_inspected: int = Field(description="本季度督查抽查见到的农户数")
    awareness_rate: float | None
    awareness_change: float | None
    flags_raised: int
    open_flags: int = Field(description="本季度提出、至今仍待处理的问题提示")
    requests: int
    requests_resolved: int
    requests_resolved_rate: float | None


class Problem(BaseModel):
    """A flag raised in the quarter: what was found, where, and what became of it."""

    flag_id: int
    raised_at: dt.datetime
    town_name: str | None
    village_code: str
    village_name: str
    kind: str
    kind_name: str
    severity: str
    detail: str
    status: str


class RectificationStanding(BaseModel):
    """A town's weak-lax villages' rectification at the period's end (the last row: the total)."""

    code: str
    name: str
    villages_rectifying: int = Field(default=0, description="台账上有问题、尚未验收通过的村")
    villages_accepted: int = Field(default=0, description="县级验收通过的村")
    measures: int = 0
    measures_done: int = Field(default=0, description="已报完成的整改措施（含乡镇已确认）")
    measures_overdue: int = Field(default=0, description="超过完成时限仍未完成的整改措施")


class Bulletin(BaseModel):
    quarter: str
    title: str
    scope_code: str | None
    scope_name: str
    period_start: dt.date
    period_end: dt.date = Field(description="统计截止日（含）；本季度未结束时为今天")
    complete: bool = Field(description="季度是否已结束")
    generated_at: dt.datetime
    overview: Standing
    towns: list[Standing]
    villages: list[Standing] = Field(description="本季度有派驻（第一书记或工作队员）的村；其他村不参加统计和排名")
    unposted_villages: int = Field(description="范围内本季度没有派驻的村数，不计入覆盖率等数字")
    rectification: list[RectificationStanding] = Field(
        description="整顿整改情况：每个乡镇一行，最后一行为合计；没有台账时为空"
    )
    problems: list[Problem]
