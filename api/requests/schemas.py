"""Shapes of villagers' requests as supervisors list and handle them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.pagination import Page
from api.validators import Text

RequestStatus = Literal["open", "in_progress", "resolved"]
RequestSource = Literal["visit", "public_page"]
# ``open`` is only ever set by the visit that raised the request.
HandledStatus = Literal["in_progress", "resolved"]
RESOLUTION_MAX_LENGTH = 2000
HIDE_REASON_MAX_LENGTH = 500
Resolution = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=RESOLUTION_MAX_LENGTH)]


class RequestUpdate(BaseModel):
    """Starting on a request or resolving it (办结); resolving needs ``resolution``."""

    model_config = ConfigDict(extra="forbid")

    status: HandledStatus
    resolution: Resolution | None = None

    @field_validator("resolution")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class RequestHide(BaseModel):
    """Hiding an abusive or meaningless public message: kept, with the reason, out of the lists."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=HIDE_REASON_MAX_LENGTH)]


class RequestPublic(BaseModel):
    id: str
    visit_id: str | None
    source: RequestSource = Field(description="visit：入户走访时记录；public_page：群众在村公开页留言")
    receipt: str | None = Field(description="公开页留言的查询码（仅乡镇、县和管理员可见）")
    sender_name: str | None = Field(description="公开页留言人自己填写的姓名")
    sender_phone: str | None = Field(description="公开页留言人自己填写的电话（按个人信息规则显示）")
    village_code: str
    village_name: str | None
    town_name: str | None
    household_id: int | None
    head_name: str | None
    category: str
    text: str
    status: RequestStatus
    resolution: str | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    updated_by: int | None
    updated_by_name: str | None
    resolved_at: datetime | None
    hidden: bool
    hidden_reason: str | None
    hidden_by_name: str | None


class RequestPage(Page[RequestPublic]):
    """A page of requests, with the deployment's overdue threshold, so screens need not know it."""

    overdue_days: int
