"""Field types shared by the request schemas of every domain folder.

Whatever the database cannot hold is refused here, as a 422 with a reason, rather than
surfacing as a database error: PostgreSQL stores no NUL character in text and no id past
2³¹−1, and a timestamp must carry its offset (the contract's RFC 3339).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from api.regions import codes

# Row ids are 32-bit integers in PostgreSQL; a larger number can name no row.
MAX_ROW_ID = 2**31 - 1

_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def no_nul(value: str) -> str:
    """Refuse the NUL character, which PostgreSQL cannot store in text."""
    if "\x00" in value:
        raise ValueError("不能包含 NUL 控制字符")
    return value


def _code(value: str) -> str:
    try:
        return codes.normalize(value)
    except codes.BadCode as exc:
        raise ValueError(str(exc)) from exc


def _optional_code(value: str | None) -> str | None:
    return _code(value) if value else value


def _phone(value: str) -> str:
    cleaned = re.sub(r"[\s\-()（）]", "", value)
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    if not _PHONE.match(cleaned):
        raise ValueError(f"“{value}”不是有效的电话号码（手机11位，或带区号的座机）")
    return cleaned


def _in_utc_range(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("时间超出可表示的范围") from exc


PlainText = Annotated[str, AfterValidator(no_nul)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), AfterValidator(no_nul)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), AfterValidator(no_nul)]
RegionCode = Annotated[str, AfterValidator(_code)]
RegionCodeQuery = Annotated[str | None, AfterValidator(_optional_code), Query()]
RegionCodePath = Annotated[str, AfterValidator(_code), Path()]
PhoneNumber = Annotated[str, AfterValidator(_phone)]
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc_range)]
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
SearchText = Annotated[
    str | None,
    AfterValidator(lambda v: no_nul(v) if v else v),
    Query(max_length=50, description="户主姓名、村民小组、住址、户编号或标签中包含的文字"),
]


def clean_phone(value: str) -> str:
    """The canonical form of a phone number, or ValueError with a reason people can read."""
    return _phone(value)
