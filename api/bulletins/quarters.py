"""Quarters as the bulletin names them (``2026-Q3``), in the deployment's calendar."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from api.errors import InvalidInput

PATTERN = re.compile(r"(\d{4})-Q([1-4])")
NUMERALS = "一二三四"


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = PATTERN.fullmatch(text)
        if match is None or not 2000 <= int(match[1]) <= 2100:
            raise InvalidInput(f"季度“{text}”的写法不对：应为“年份-Q季度”，如 2026-Q3。", loc=("path", "quarter"))
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def label(self) -> str:
        return f"{self.year}年第{NUMERALS[self.number - 1]}季度"

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"
