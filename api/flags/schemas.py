"""Shapes of flags as supervisors list, handle and raise them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from api.flags.models import FLAG_STATUSES
from api.validators import Instant, RegionCode, RowId, RowIdQuery, Text

# Every kind a rule or a person may raise, with the name a county office reads; the list
# filter refuses any other. A new rule's kind is added here (tests/flags checks that every
# ``Finding(kind=...)`` in api/ is listed).
FLAG_KIND_NAMES = {
    "manual": "人工提出",
    "low_coverage": "入户覆盖率低",
    "visit_gap": "长时间无走访",
    "low_presence": "驻村天数不足",
    "request_overdue": "群众诉求超期未办结",
    "rectification_overdue": "整改措施逾期",
    "off_site": "定位不在村内",
    "implausible_pace": "走访间隔过短",
    "duplicate_photo": "照片重复使用",
    "photo_time_mismatch": "照片时间不符",
    "low_awareness": "群众知晓率低",
    "visit_denied": "农户否认被走访",
}
FLAG_KINDS = tuple(FLAG_KIND_NAMES)
# What a supervisor may set; ``open`` is only ever set by raising the flag.
HANDLED_STATUSES = ("acknowledged", "dismissed", "resolved")
# Closing a flag says a judgement was made, so it must say why.
STATUSES_NEEDING_NOTE = ("dismissed", "resolved")
MANUAL_SEVERITY = "medium"
TEXT_MAX_LENGTH = 2000
# How many flags one bulk acknowledgement may name: a page of the inbox at most.
BULK_MAX = 500

FlagStatus = Literal["open", "acknowledged", "dismissed", "resolved"]


def _enum(values: tuple[str, ...]) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(values)})


def _known_kind(value: str) -> str:
    if value not in FLAG_KINDS:
        raise ValueError(f"未知的提示类型“{value}”；可选：{'、'.join(FLAG_KINDS)}")
    return value


def _status_filter(value: str) -> str:
    if value != "all" and value not in FLAG_STATUSES:
        raise ValueError(f"未知的状态“{value}”；可选：{'、'.join(FLAG_STATUSES)}，或 all（全部）")
    return value


def _handled_status(value: str) -> str:
    if value == "open":
        raise ValueError("不能把提示改回待处理（open）；如处理有误，可改为 acknowledged（已知悉）并写明原因")
    if value not in HANDLED_STATUSES:
        raise ValueError("状态应为 acknowledged（确认核实）、dismissed（驳回）或 resolved（已解决）")
    return value


def _manual_only(value: str) -> str:
    if value != "manual":
        raise ValueError("只能手动提出 manual 类的提示；其他类由系统检查生成")
    return value


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("请写明发现的问题，不能为空")
    return value


KnownKind = Annotated[str, AfterValidator(_known_kind), _enum(FLAG_KINDS)]
StatusFilter = Annotated[str, AfterValidator(_status_filter), _enum((*FLAG_STATUSES, "all"))]
Note = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX_LENGTH)]
# A handling note: left blank, it is no note at all.
OptionalNote = Annotated[Note | None, AfterValidator(lambda value: value or None)]


class FlagUpdate(BaseModel):
    """A supervisor's judgement of a flag. ``note`` is required to dismiss or resolve."""

    model_config = ConfigDict(extra="forbid")

    status: Annotated[str, AfterValidator(_handled_status), _enum(HANDLED_STATUSES)]
    note: OptionalNote = None


class ManualFlagCreate(BaseModel):
    """A flag raised by a person, e.g. after phoning villagers.

    ``id`` is optional: a client that sends one (a UUID) may resend the same flag safely.
    """

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = None
    kind: Annotated[str, AfterValidator(_manual_only), _enum(("manual",))] = "manual"
    village_code: RegionCode
    user_id: RowId | None = None
    detail: Annotated[Note, AfterValidator(_not_blank)]


@dataclass
class FlagFilters:
    """Which flags, apart from their kind: where, about whom, in which status, raised when
    (``since`` inclusive, ``until`` exclusive). The list and the counts by kind share them, so
    that each kind's count is what its filter chip would list."""

    scope: Annotated[str | None, Query(description="区划代码：只看该地区之下的提示")] = None
    status: Annotated[
        list[StatusFilter] | None,
        Query(description="状态，默认只看 open；可重复传多个，如 status=open&status=acknowledged；all 表示全部"),
    ] = None
    user_id: RowIdQuery = None
    since: Annotated[Instant | None, Query(description="提出时间不早于（RFC 3339）")] = None
    until: Annotated[Instant | None, Query(description="提出时间早于（RFC 3339）")] = None

    @property
    def statuses(self) -> list[str]:
        return self.status or ["open"]


FlagFiltersDep = Annotated[FlagFilters, Depends()]


class BulkAcknowledge(BaseModel):
    """Flags a supervisor confirms at once, to be looked into; ``note`` goes on each of them."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[RowId], Field(min_length=1, max_length=BULK_MAX)]
    note: OptionalNote = None


class FlagEventPublic(BaseModel):
    """One step of a flag's trail; no ``user_id`` means the system acted."""

    at: datetime
    user_id: int | None
    user_display_name: str | None = Field(description="处理人的姓名（系统自动处理时为空）")
    from_status: FlagStatus | None = Field(description="原状态（提出时为空）")
    to_status: FlagStatus
    note: str | None


class FlagPublic(BaseModel):
    id: int
    kind: str
    severity: str
    village_code: str
    village_name: str | None
    user_id: int | None
    user_display_name: str | None
    subject_id: str | None
    detail: str
    evidence: dict[str, Any]
    raised_at: datetime
    status: FlagStatus
    note: str | None
    updated_at: datetime
    history: list[FlagEventPublic] = Field(description="处理记录，最早的在前")


class BulkAcknowledged(BaseModel):
    """What a bulk acknowledgement did: the flags it acknowledged, and those it left as they were
    (already acknowledged, dismissed or resolved)."""

    acknowledged: list[FlagPublic]
    unchanged: list[FlagPublic]
