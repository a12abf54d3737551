"""What anyone may read about a posted village, and the message a villager leaves there.

Nothing here names a household, a user id or a username: the public page shows the people
posted to the village (by the names they work under), the rectification plan and a count of
home visits, never whom they visited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.validators import PhoneNumber, line_problem, text_problem

# The kinds of request the visit form offers (pwa/js/views/visit.js), in the words it stores.
MESSAGE_CATEGORIES = ("就业增收", "医疗卫生", "教育", "住房", "道路水电", "低保救助", "矛盾纠纷", "其他")
MESSAGE_MAX_LENGTH = 500
SENDER_NAME_MAX_LENGTH = 50

Category = Literal["就业增收", "医疗卫生", "教育", "住房", "道路水电", "低保救助", "矛盾纠纷", "其他"]
ReceiptStatus = Literal["received", "in_progress", "resolved"]


class PublicPerson(BaseModel):
    display_name: str
    dispatch_unit: str


class PublicSecretary(PublicPerson):
    phone: str | None = Field(description="第一书记愿意公开的工作电话；未填写时为空")
    has_portrait: bool


class PublicTeamMember(PublicPerson):
    position: str


class PublicMeasure(BaseModel):
    text: str
    target: str
    deadline: date
    status_label: str
    overdue: bool = Field(description="已过完成时限仍未完成：公开页和公示牌如实标出")


class PublicProblem(BaseModel):
    category_label: str
    description: str
    measures: list[PublicMeasure]


class PublicVillage(BaseModel):
    """A posted village as its public page shows it."""

    village_code: str
    village_name: str
    town_name: str | None
    secretary: PublicSecretary | None
    team: list[PublicTeamMember]
    home_visits_this_month: int = Field(description="本月（当地时间）入户走访次数")
    problems: list[PublicProblem]
    rectification_status: Literal["none", "rectifying", "accepted"]


class MessageIn(BaseModel):
    """A message from the public page; ``website`` is a field people never see (left empty)."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX_LENGTH)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=SENDER_NAME_MAX_LENGTH)] | None = None
    phone: PhoneNumber | None = None
    website: Annotated[str, Field(max_length=200)] | None = None

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if problem := text_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("name")
    @classmethod
    def _line(cls, value: str | None) -> str | None:
        if value and (problem := line_problem(value)):
            raise ValueError(problem)
        return value or None

    @field_validator("name", "phone", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class MessageReceipt(BaseModel):
    receipt: str = Field(description="查询码：凭此码查看办理情况")


class MessageStatus(BaseModel):
    status: ReceiptStatus
    resolution: str | None = None
    category: str
    created_at: datetime
