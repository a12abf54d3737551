"""Importing a county ledger into households: per-row verdicts, idempotent by 村代码 + 户编号.

Good rows are kept when others are rejected (a ledger of 3,000 rows with five typos should not
be refused whole), but the import is one transaction: it lands completely or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.auth.principal import Principal
from api.db import utcnow
from api.errors import Conflict
from api.households.models import Household
from api.households.schemas import ImportRejection, ImportResult
from api.households.spreadsheet import Table
from api.regions import codes
from api.regions.models import Region
from api.validators import clean_phone, line_problem, text_problem

_TAG_SEPARATORS = re.compile(r"[、,，;；]")
_LIMITS = {"household_no": 40, "head_name": 50, "group_name": 50, "address": 200}
_MAX_TAGS = 20
_MAX_TAG_LENGTH = 20
_FIELD_NAMES = {
    "village_code": "村代码",
    "household_no": "户编号",
    "head_name": "户主姓名",
    "group_name": "村民小组",
    "address": "住址",
    "phone": "联系电话",
    "tags": "标签",
}


class RowRejected(ValueError):
    """One row cannot be imported; the message is the reason shown to the importer."""


def _rejection(number: int, raw: dict[str, str], reason: str) -> ImportRejection:
    """A refused row with its cells as read, by their headers, to be fixed and imported again."""
    values = {_FIELD_NAMES[name]: _sendable(text) for name, text in raw.items()}
    return ImportRejection(row=number, reason=reason, values=values)


def _sendable(text: str) -> str:
    """The cell as text may hold it (``api.validators.Text``), so that the row can be sent back
    for its spreadsheet: a control character that got it rejected becomes U+FFFD."""
    if text_problem(text) is None:
        return text
    return "".join("\ufffd" if text_problem(char) else char for char in text)


@dataclass
class _Villages:
    """Village codes of the file, resolved once: which exist, and which the importer may touch."""

    known: dict[str, Region]
    by: Principal | None
    households: dict[tuple[str, str], Household] = field(default_factory=dict)

    def check(self, code: str) -> None:
        # Scope first, as everywhere else: whether a code outside one's scope exists is not told.
        if self.by is not None and not self.by.covers(code):
            raise RowRejected(f"村代码 {code} 不在您的管辖范围内")
        region = self.known.get(code)
        if region is None:
            raise RowRejected(f"村代码 {code} 不存在")
        if region.level != "village":
            raise RowRejected(f"{code}（{region.name}）不是村级代码")


def _clean_row(raw: dict[str, str], columns: Iterable[str]) -> dict[str, Any]:
    """Validate one row; the result holds only the columns the file has."""
    for name, text in raw.items():
        if problem := line_problem(text):
            raise RowRejected(f"{_FIELD_NAMES.get(name, name)}{problem}")
    code_text = raw.get("village_code", "")
    if not code_text:
        raise RowRejected("村代码为空")
    try:
        village_code = codes.normalize(code_text)
    except codes.BadCode as exc:
        raise RowRejected(str(exc)) from exc
    if not raw.get("household_no"):
        raise RowRejected("户编号为空")
    if not raw.get("head_name"):
        raise RowRejected("户主姓名为空")
    values: dict[str, Any] = {"village_code": village_code}
    for name in columns:
        if name == "village_code":
            continue
        text = raw.get(name, "")
        if name == "phone":
            try:
                values["phone"] = clean_phone(text) if text else None
            except ValueError as exc:
                raise RowRejected(f"联系电话“{text}”格式不正确") from exc
        elif name == "tags":
            values["tags"] = _clean_tags(text)
        else:
            if len(text) > _LIMITS[name]:
                raise RowRejected(f"{_FIELD_NAMES[name]}太长（最多 {_LIMITS[name]} 个字）")
            values[name] = text or None
    return values


def _clean_tags(text: str) -> list[str]:
    """The same limits as a household entered by hand (``api.validators.Tag``)."""
    tags = list(dict.fromkeys(t.strip() for t in _TAG_SEPARATORS.split(text) if t.strip()))
    if len(tags) > _MAX_TAGS:
        raise RowRejected(f"标签太多（最多 {_MAX_TAGS} 个）")
    for tag in tags:
        if len(tag) > _MAX_TAG_LENGTH:
            raise RowRejected(f"标签“{tag}”太长（最多 {_MAX_TAG_LENGTH} 个字）")
    return tags


def import_households(*, session: Session, table: Table, by: Principal | None) -> ImportResult:
    """Apply a parsed ledger. ``by`` is None for the command line (acting as administrator)."""
    rejected: list[ImportRejection] = []
    cleaned: list[tuple[int, dict[str, str], dict[str, Any]]] = []
    first_row_of: dict[tuple[str, str], int] = {}
    for number, raw in table.rows:
        try:
            values = _clean_row(raw, table.columns)
        except RowRejected as exc:
            rejected.append(_rejection(number, raw, str(exc)))
            continue
        key = (values["village_code"], values["household_no"])
        if key in first_row_of:
            rejected.append(_rejection(number, raw, f"户编号 {key[1]} 与第 {first_row_of[key]} 行重复"))
            continue
        first_row_of[key] = number
        cleaned.append((number, raw, values))

    village_codes = {values["village_code"] for _, _, values in cleaned}
    villages = _Villages(known=_load_regions(session, village_codes), by=by)
    villages.households = _load_households(session, village_codes)

    to_create: list[dict[str, Any]] = []
    updated = unchanged = 0
    now = utcnow()
    for number, raw, values in cleaned:
        try:
            villages.check(values["village_code"])
        except RowRejected as exc:
            rejected.append(_rejection(number, raw, str(exc)))
            continue
        existing = villages.households.get((values["village_code"], values["household_no"]))
        if existing is None:
            to_create.append({"tags": [], **values, "created_at": now, "updated_at": now, "visit_count": 0})
        elif all(getattr(existing, name) == value for name, value in values.items()):
            unchanged += 1
        else:
            for name, value in values.items():
                setattr(existing, name, value)
            existing.updated_at = now
            session.add(existing)
            updated += 1
    try:
        with session.begin_nested():
            if to_create:
                session.execute(insert(Household), to_create)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("另一次导入正在写入同样的农户，本次没有保存任何数据，请稍后重试。") from exc
    rejected.sort(key=lambda r: r.row)
    return ImportResult(
        created=len(to_create),
        updated=updated,
        unchanged=unchanged,
        rejected=rejected,
        ignored_columns=table.ignored_columns,
    )


def _load_regions(session: Session, village_codes: set[str]) -> dict[str, Region]:
    found: dict[str, Region] = {}
    for chunk in _chunks(sorted(village_codes)):
        found.update({r.code: r for r in session.exec(select(Region).where(col(Region.code).in_(chunk)))})
    return found


def _load_households(session: Session, village_codes: set[str]) -> dict[tuple[str, str], Household]:
    found: dict[tuple[str, str], Household] = {}
    for chunk in _chunks(sorted(village_codes)):
        for household in session.exec(select(Household).where(col(Household.village_code).in_(chunk))):
            if household.household_no is not None:
                found[(household.village_code, household.household_no)] = household
    return found


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
