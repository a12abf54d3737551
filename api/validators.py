"""Field types shared by the request schemas of every domain folder.

Whatever the database cannot hold is refused here, as a 422 with a reason, rather than
surfacing as a database error: PostgreSQL stores no NUL character in text and no id past
2³¹−1, and a timestamp must carry its offset (the contract's RFC 3339).

Text comes in two kinds. ``Line`` (names, codes, addresses, units) is one line: no control
character at all, since a name with a form feed in it breaks the county's spreadsheets and
printouts. ``Text`` (notes, plans, resolutions) keeps its line breaks and tabs. Neither may hold
NUL, nor half of a character: JSON may carry a lone UTF-16 surrogate such as ``"\ud800"`` (half
an emoji, left by a phone keyboard), which no database or UTF-8 file can store.
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
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 control characters and DEL; a line also refuses the Unicode line separators.
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_HALF_A_CHARACTER = "含有残缺的字符（半个表情符号或特殊字符），请删除后重新输入"


def _problem(value: str, control: re.Pattern[str], reason: str) -> str | None:
    if _SURROGATE.search(value):
        return _HALF_A_CHARACTER
    return reason if control.search(value) else None


def line_problem(value: str) -> str | None:
    """Why ``value`` cannot be kept as a single line of text, or None when it can."""
    return _problem(value, _CONTROL_IN_LINE, "不能包含换行符或控制字符")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be kept as text of several lines, or None when it can."""
    return _problem(value, _CONTROL_IN_TEXT, "不能包含控制字符（换行和制表符可以）")


def storable_text(value: str) -> bool:
    """Whether a database can store ``value`` at all (no NUL, no half characters)."""
    return "\x00" not in value and not _SURROGATE.search(value)


def _line(value: str) -> str:
    if problem := line_problem(value):
        raise ValueError(problem)
    return value


def _text(value: str) -> str:
    if problem := text_problem(value):
        raise ValueError(problem)
    return value


def _password(value: str) -> str:
    if not storable_text(value):
        raise ValueError("密码不能包含 NUL 或残缺的字符")
    return value


def _code(value: str) -> str:
    try:
        return codes.normalize(value)
    except codes.BadCode as exc:
        raise ValueError(str(exc)) from exc


def _optional_code(value: str | None) -> str | None:
    return _code(value) if value else value


def _phone(value: str) -> str:
    if problem := line_problem(value):
        raise ValueError(problem)
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


Line = Annotated[str, AfterValidator(_line)]
Text = Annotated[str, AfterValidator(_text)]
Password = Annotated[str, Field(min_length=8, max_length=200), AfterValidator(_password)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), AfterValidator(_line)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), AfterValidator(_line)]
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
    AfterValidator(lambda v: _line(v) if v else v),
    Query(max_length=50, description="户主姓名、村民小组、住址、户编号或标签中包含的文字"),
]


def clean_phone(value: str) -> str:
    """The canonical form of a phone number, or ValueError with a reason people can read."""
    return _phone(value)
