"""A rectification ledger for the field village, entered over the API as the county office would."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

PROBLEM = "村集体经济收入低，合作社长期停办"
MEASURE = "恢复蔬菜合作社，引进一家收购企业"
TARGET = "年底前集体经济收入达到 5 万元"


def a_ledger(server: Any) -> dict[str, Any]:
    """One problem with one measure due in a month; returns the measure as the API shows it."""
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    problem = server.api(
        "POST",
        f"/villages/{server.village_code}/rectification/problems",
        {
            "category": "weak_economy",
            "description": PROBLEM,
            "found_by": "县委组织部排查",
            "found_on": today.isoformat(),
        },
    )
    measure: dict[str, Any] = server.api(
        "POST",
        f"/rectification/problems/{problem['id']}/measures",
        {
            "text": MEASURE,
            "target": TARGET,
            "deadline": (today + dt.timedelta(days=30)).isoformat(),
            "responsible": "first_secretary",
        },
    )
    return measure


def measure_now(server: Any, measure_id: int) -> dict[str, Any]:
    """The measure as the server has it now."""
    ledger = server.api("GET", f"/villages/{server.village_code}/rectification")
    found: dict[str, Any] = next(m for p in ledger["problems"] for m in p["measures"] if m["id"] == measure_id)
    return found
