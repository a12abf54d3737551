"""Shapes of the rectification ledger: what supervisors and secretaries send, what they read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from api.rectification.models import MEASURE_STATUSES, PROBLEM_CATEGORIES, RESPONSIBLE
from api.validators import Instant, Line, Text


def _one_of(names: dict[str, str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in names:
            choices = "、".join(f"{key}（{label}）" for key, label in names.items())
            raise ValueError(f"未知的{what}“{value}”；可选：{choices}")
        return value

    return AfterValidator(check)


Category = Annotated[
    str, _one_of(PROBLEM_CATEGORIES, "问题类别"), WithJsonSchema({"type": "string", "enum": list(PROBLEM_CATEGORIES)})
]
Responsible = Annotated[
    str, _one_of(RESPONSIBLE, "责任主体"), WithJsonSchema({"type": "string", "enum": list(RESPONSIBLE)})
]
LedgerText = Annotated[Text, Field(min_length=1, max_length=2000)]
FoundBy = Annotated[Line, Field(min_length=1, max_length=100)]
Reason = Annotated[Text, Field(min_length=1, max_length=500)]
RectificationStatus = Literal["none", "rectifying", "accepted"]


class ProblemIn(BaseModel):
    """A problem found in a village (查摆问题)."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    description: LedgerText
    found_by: FoundBy
    found_on: date


class ProblemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category | None = None
    description: LedgerText | None = None
    found_by: FoundBy | None = None
    found_on: date | None = None


class MeasureIn(BaseModel):
    """A measure against a problem (整改措施): what, to what end, by when, and who answers for it."""

    model_config = ConfigDict(extra="forbid")

    text: LedgerText
    target: LedgerText
    deadline: date
    responsible: Responsible


class MeasureUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: LedgerText | None = None
    target: LedgerText | None = None
    deadline: date | None = None
    responsible: Responsible | None = None


class ProgressIn(BaseModel):
    """A progress report made on a phone; its id is the phone's, so it is stored exactly once."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    measure_id: int = Field(ge=1, le=2**31 - 1)
    at: Instant
    text: LedgerText
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)
    done: bool = False


class MeasureReview(BaseModel):
    """The town's verdict on a measure the secretary reported done."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirm", "return"]
    reason: Reason | None = None

    @model_validator(mode="after")
    def _return_says_why(self) -> MeasureReview:
        if self.decision == "return" and not self.reason:
            raise ValueError("退回时请写明原因。")
        return self


class VillageReview(BaseModel):
    """The county's verdict on a village's whole rectification (验收)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "return"]
    reason: Reason | None = None

    @model_validator(mode="after")
    def _return_says_why(self) -> VillageReview:
        if self.decision == "return" and not self.reason:
            raise ValueError("退回时请写明原因。")
        return self


class ProgressOut(BaseModel):
    id: str
    measure_id: int
    at: datetime
    received_at: datetime
    user_id: int
    user_name: str
    text: str
    photo_ids: list[str]
    marks_done: bool


class MeasureOut(BaseModel):
    id: int
    problem_id: int
    text: str
    target: str
    deadline: date
    responsible: str
    responsible_label: str
    status: str
    status_label: str
    overdue: bool = Field(description="已过完成时限（按本地日期）且尚未完成")
    returned_reason: str | None
    done_at: datetime | None
    confirmed_at: datetime | None
    progress: list[ProgressOut] = Field(description="进展，最新的在前")
    updated_at: datetime


class ProblemOut(BaseModel):
    id: int
    category: str
    category_label: str
    description: str
    found_by: str
    found_on: date
    created_by: int
    created_by_name: str
    created_at: datetime
    measures: list[MeasureOut]


class EventOut(BaseModel):
    id: int
    action: str
    action_label: str
    problem_id: int | None
    measure_id: int | None
    note: str | None
    user_id: int | None
    user_name: str | None
    at: datetime


class LedgerSummary(BaseModel):
    """A village's ledger in figures, for the overview and the bulletin."""

    problems: int = 0
    measures: int = 0
    measures_done: int = Field(default=0, description="已完成的措施（待乡镇确认和已确认）")
    measures_confirmed: int = 0
    measures_overdue: int = 0


class LedgerOut(BaseModel):
    village_code: str
    village_name: str
    rectification_status: RectificationStatus
    summary: LedgerSummary
    problems: list[ProblemOut]
    history: list[EventOut] = Field(description="整改经过，最新的在前")


STATUS_LABELS = MEASURE_STATUSES
RECTIFICATION_LABELS = {"none": "无整改任务", "rectifying": "整改中", "accepted": "已验收通过"}
ACTION_LABELS = {
    "problem_added": "新增问题",
    "problem_changed": "修改问题",
    "measure_added": "新增措施",
    "measure_changed": "修改措施",
    "progress": "报告进展",
    "reported_done": "报告完成",
    "confirmed": "乡镇确认完成",
    "returned": "乡镇退回",
    "accepted": "验收通过",
    "acceptance_returned": "验收退回",
}
