"""The rectification ledger (整顿台账) of a weak-lax village: problems, measures, progress, history.

One village's ledger is a list of problems found (查摆问题), each with its measures (整改措施):
a target, a deadline, who is responsible and a status. Secretaries report progress on a
measure from the phone — records with the phone's UUID, stored exactly once like visits — and
mark it done; the town confirms it or sends it back; the county accepts the village's whole
rectification (验收通过) or returns it. Every one of those steps is a ``RectificationEvent``,
append-only, so the history of a village's rectification is never rewritten.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from api.db import json_list_column, timestamp_column

# The kinds of problem the county's investigation finds (the speech's list, and 其他).
PROBLEM_CATEGORIES = {
    "disunity": "班子不团结",
    "weak_leader": "书记能力弱",
    "weak_economy": "集体经济薄弱",
    "poor_service": "服务群众不到位",
    "petitions": "涉访涉诉",
    "lax_organisation": "组织生活不落实",
    "other": "其他",
}
RESPONSIBLE = {"first_secretary": "第一书记", "town_team": "乡镇包村干部", "dispatch_unit": "派出单位"}
# open → in_progress (first progress) → done (the secretary says so) → confirmed (the town agrees).
# The town may send a done measure back: in_progress again, with its reason.
MEASURE_STATUSES = {"open": "未开始", "in_progress": "推进中", "done": "待乡镇确认", "confirmed": "已完成"}
EVENT_ACTIONS = (
    "problem_added",
    "problem_changed",
    "measure_added",
    "measure_changed",
    "progress",
    "reported_done",
    "confirmed",
    "returned",
    "accepted",
    "acceptance_returned",
)


def _in(column: str, values: object) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"  # type: ignore[attr-defined]


class RectificationProblem(SQLModel, table=True):
    """A problem found in a village, by whom and when (e.g. 县委组织部排查, 2026-03-10)."""

    __tablename__ = "rectification_problem"
    __table_args__ = (CheckConstraint(_in("category", PROBLEM_CATEGORIES), name="category"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, foreign_key="region.code", index=True)
    category: str = Field(max_length=20)
    description: str = Field(sa_column=Column(Text, nullable=False))
    found_by: str = Field(max_length=100)
    found_on: dt.date
    created_by: int = Field(foreign_key="app_user.id")
    created_at: dt.datetime = Field(sa_column=timestamp_column())
    updated_at: dt.datetime = Field(sa_column=timestamp_column())


class RectificationMeasure(SQLModel, table=True):
    """One measure (整改措施) against a problem. ``village_code`` repeats the problem's, so that
    scope checks and the overdue rule read one table."""

    __tablename__ = "rectification_measure"
    __table_args__ = (
        CheckConstraint(_in("responsible", RESPONSIBLE), name="responsible"),
        CheckConstraint(_in("status", MEASURE_STATUSES), name="status"),
        Index("ix_rectification_measure_village_code_status", "village_code", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="rectification_problem.id", index=True)
    village_code: str = Field(max_length=12, foreign_key="region.code")
    text: str = Field(sa_column=Column(Text, nullable=False))
    target: str = Field(sa_column=Column(Text, nullable=False))
    deadline: dt.date
    responsible: str = Field(max_length=20)
    status: str = Field(default="open", max_length=12)
    # Why the town sent it back, while it is back in progress; cleared when it is done again.
    returned_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    done_at: dt.datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    confirmed_at: dt.datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    created_at: dt.datetime = Field(sa_column=timestamp_column())
    updated_at: dt.datetime = Field(sa_column=timestamp_column())


class RectificationProgress(SQLModel, table=True):
    """A progress report from the phone; its id is the phone's UUID, stored exactly once."""

    __tablename__ = "rectification_progress"

    id: str = Field(primary_key=True, max_length=36)
    measure_id: int = Field(foreign_key="rectification_measure.id", index=True)
    village_code: str = Field(max_length=12, foreign_key="region.code", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    at: dt.datetime = Field(sa_column=timestamp_column())
    received_at: dt.datetime = Field(sa_column=timestamp_column())
    text: str = Field(sa_column=Column(Text, nullable=False))
    photo_ids: list[str] = Field(default_factory=list, sa_column=json_list_column())
    marks_done: bool = False
    content_hash: str = Field(max_length=64)


class RectificationEvent(SQLModel, table=True):
    """One step of a village's rectification, append-only: who did what, when, and why."""

    __tablename__ = "rectification_event"
    __table_args__ = (
        CheckConstraint(_in("action", EVENT_ACTIONS), name="action"),
        Index("ix_rectification_event_village_code_id", "village_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, foreign_key="region.code")
    problem_id: int | None = Field(default=None, foreign_key="rectification_problem.id")
    measure_id: int | None = Field(default=None, foreign_key="rectification_measure.id")
    action: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: dt.datetime = Field(sa_column=timestamp_column())
