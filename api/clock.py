"""The deployment's calendar: which day it is where the villages are.

Assignments run by calendar date in the deployment's time zone (default Asia/Shanghai), not
UTC: a posting that starts "on 1 March" starts at midnight in the county, eight hours before
midnight UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request


async def _today(request: Request) -> dt.date:
    """Today in the deployment's zone (``async``: pure work, no trip to a worker thread)."""
    return dt.datetime.now(request.app.state.settings.tz).date()


TodayDep = Annotated[dt.date, Depends(_today)]


def start_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The instant a local day begins."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def monday_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s calendar week (weeks run Monday to Sunday in China)."""
    return day - dt.timedelta(days=day.weekday())
