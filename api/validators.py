"""Field types shared by the request schemas of several domain folders."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, StringConstraints

from api.regions import codes

_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def _code(value: str) -> str:
    try:
        return codes.normalize(value)
    except codes.BadCode as exc:
        raise ValueError(str(exc)) from exc


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = re.sub(r"[\s\-()（）]", "", value)
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    if not _PHONE.match(cleaned):
        raise ValueError(f"“{value}”不是有效的电话号码（手机11位，或带区号的座机）")
    return cleaned


RegionCode = Annotated[str, AfterValidator(_code)]
PhoneNumber = Annotated[str, AfterValidator(_phone)]
RegionCodeQuery = Annotated[str | None, AfterValidator(lambda v: _code(v) if v else v), Query()]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


def clean_phone(value: str) -> str:
    """The canonical form of a phone number, or ValueError with a reason people can read."""
    result = _phone(value)
    assert result is not None
    return result
