"""The 12-digit statistical division codes (统计用区划代码) that key every place.

A code is always stored in its full 12-digit form: ``130123000000`` is a county,
``130123100000`` a town in it, ``130123100201`` a village in that town. What a code covers is
its significant prefix, so "under a code" is a simple range over the full codes, which every
database answers from an ordinary index.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement

CODE_LENGTH = 12
# Province, city, county, town, village: where each level's significant digits end.
_LEVEL_ENDS = (2, 4, 6, 9, 12)
_DIGITS = re.compile(r"^\d+$")

LEVEL_OF_PREFIX = {6: "county", 9: "town", 12: "village"}


class BadCode(ValueError):
    """A string that is not a division code."""


def normalize(code: str) -> str:
    """The full 12-digit form of a code given in full or as a 2/4/6/9-digit prefix."""
    code = code.strip()
    if not _DIGITS.match(code) or len(code) not in _LEVEL_ENDS:
        raise BadCode(f"“{code}”不是有效的区划代码（应为12位数字）")
    return code.ljust(CODE_LENGTH, "0")


def prefix(code: str) -> str:
    """The significant digits of a full code: what everything under it starts with."""
    full = normalize(code)
    for end in _LEVEL_ENDS:
        if set(full[end:]) <= {"0"}:
            return full[:end]
    return full


def level_of(code: str) -> str | None:
    """``county``, ``town`` or ``village`` for a full code of that level, else None."""
    return LEVEL_OF_PREFIX.get(len(prefix(code)))


def parent_of(code: str) -> str | None:
    """The full code of the level above (a village's town, a town's county)."""
    significant = prefix(code)
    ends = [end for end in _LEVEL_ENDS if end < len(significant)]
    if not ends:
        return None
    return significant[: ends[-1]].ljust(CODE_LENGTH, "0")


def covers(scope_prefix: str, code: str) -> bool:
    """Whether ``code`` lies under the scope given by its prefix ('' covers everything)."""
    return code.startswith(scope_prefix)


def under(column: Any, scope_prefix: str) -> ColumnElement[bool]:
    """SQL condition: ``column`` holds a code under the scope prefix (index-friendly range)."""
    low = scope_prefix.ljust(CODE_LENGTH, "0")
    high = scope_prefix.ljust(CODE_LENGTH, "9")
    condition: ColumnElement[bool] = column.between(low, high)
    return condition
