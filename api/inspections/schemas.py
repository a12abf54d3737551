"""What the inspection endpoints take and answer (the contract's field names, plus a few)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from api.validators import RegionCode, RowId, Text

InspectionMode = Literal["open", "undercover"]
Satisfaction = Literal["yes", "no", "unsure"]
MAX_SAMPLE = 200
MAX_SEED = 2**31 - 1


class InspectionCreate(BaseModel):
    village_code: RegionCode
    sample_size: int = Field(ge=1, le=MAX_SAMPLE, description="抽查户数")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="随机种子；相同种子对相同农户抽出相同样本")
    mode: InspectionMode = Field(default="open", description="open 明察；undercover 暗访（结果公布前第一书记看不到）")


class HouseholdAnswer(BaseModel):
    """What a sampled household told the inspectors, as it arrived."""

    reached: bool
    knows_secretary: bool | None
    recalls_visit: bool | None
    satisfied: Satisfaction | None
    note: str | None
    logged_visits_90d: int = Field(description="答复时该户近 90 天记有的入户走访次数")
    received_at: datetime


class SampledHouseholdOut(BaseModel):
    household_id: int
    head_name: str
    group_name: str | None
    address: str | None
    answer: HouseholdAnswer | None = Field(default=None, description="该户的答复；还没有答复时为 null")


class AnswerIn(BaseModel):
    """One household's answers. A household that was not reached answers nothing else."""

    id: uuid.UUID
    household_id: RowId
    reached: bool
    knows_secretary: bool | None = None
    recalls_visit: bool | None = None
    satisfied: Satisfaction | None = None
    note: Text | None = Field(default=None, max_length=2_000)

    @model_validator(mode="after")
    def _answers_match_reached(self) -> AnswerIn:
        given = [f for f in ("knows_secretary", "recalls_visit", "satisfied") if getattr(self, f) is not None]
        if self.reached and len(given) < 3:
            raise ValueError("已见到农户时，knows_secretary、recalls_visit、satisfied 三项都要填写。")
        if not self.reached and given:
            raise ValueError("未见到农户（reached 为 false）时不能填写回答。")
        return self


class AnswersIn(BaseModel):
    answers: list[AnswerIn] = Field(min_length=1, max_length=500)


class AnswerResult(BaseModel):
    id: str
    household_id: int
    status: Literal["created", "unchanged", "conflict", "rejected"]
    detail: str | None = None


class Discrepancy(BaseModel):
    """A household with logged visits that says it was never visited."""

    household_id: int
    head_name: str
    logged_visits_90d: int
    recalls_visit: bool


class InspectionSummary(BaseModel):
    """An inspection and its rates; before publication a secretary sees zeros and nulls here."""

    id: int
    village_code: str
    village_name: str
    mode: InspectionMode
    seed: int
    sample_size: int
    created_at: datetime
    published_at: datetime | None
    answered: int
    reached: int
    knows_secretary_count: int = Field(default=0, description="见到的农户中知道第一书记的户数（知晓率的分子）")
    logged_visits_count: int = Field(default=0, description="见到且近 90 天记有入户走访的户数（回访率的分母）")
    recalls_visit_count: int = Field(default=0, description="其中记得被走访的户数（回访率的分子）")
    satisfied_count: int = Field(default=0, description="见到的农户中表示满意的户数（满意率的分子）")
    awareness_rate: float | None = Field(description="见到的农户中知道第一书记的比例")
    recall_rate: float | None = Field(description="见到且近 90 天记有入户走访的农户中，记得被走访的比例")
    satisfaction_rate: float | None = Field(description="见到的农户中表示满意的比例")


class InspectionOut(InspectionSummary):
    households: list[SampledHouseholdOut] | None = Field(
        description="抽中的农户，按走访顺序；结果公布前，第一书记看不到（为 null）"
    )
    discrepancies: list[Discrepancy]


class AnswersOut(BaseModel):
    results: list[AnswerResult]
    inspection: InspectionOut
