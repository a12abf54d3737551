"""The colour a supervisor sees beside each village: where to look first.

One rule for every screen and summary, so a county's count of red villages is the count of red
rows on its overview.

- ``none``: nobody is posted there, so there is nobody to judge;
- ``red``: villagers probably don't know their secretary: coverage under 60 %, fewer than 20
  days present in 30, or no visit for more than 14 days;
- ``amber``: slipping: coverage under 80 %, fewer than 25 days present, or an open flag;
- ``green``: none of those.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

Cue = Literal["none", "red", "amber", "green"]

RED_COVERAGE, AMBER_COVERAGE = 0.6, 0.8
RED_PRESENCE_DAYS, AMBER_PRESENCE_DAYS = 20, 25
RED_SILENCE = dt.timedelta(days=14)


def cue(
    *,
    posted: bool,
    coverage: float | None,
    presence_days_30: int,
    last_visit_at: dt.datetime | None,
    open_flags: int,
    now: dt.datetime,
) -> Cue:
    """The village's colour at ``now``; a village without households counts as 0 % covered."""
    if not posted:
        return "none"
    covered = coverage or 0.0
    silent = last_visit_at is None or now - last_visit_at > RED_SILENCE
    if covered < RED_COVERAGE or presence_days_30 < RED_PRESENCE_DAYS or silent:
        return "red"
    if covered < AMBER_COVERAGE or presence_days_30 < AMBER_PRESENCE_DAYS or open_flags > 0:
        return "amber"
    return "green"
