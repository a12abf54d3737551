"""Throttling of failed logins, per username and per client address.

Failures are rows in the database rather than counters in memory, so that every API instance
behind a load balancer sees the same count, and a restart does not reset a guessing attack.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlmodel import Session

from api.auth.models import LoginFailure
from api.errors import TooManyRequests


def check_not_throttled(
    *, session: Session, username: str, client_addr: str, now: datetime, max_failures: int, window_s: int
) -> None:
    """Refuse the attempt when the username or the address has used up its failures."""
    since = now - timedelta(seconds=window_s)
    for column, value in ((LoginFailure.username, username), (LoginFailure.client_addr, client_addr)):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(column == value, LoginFailure.at > since)
        ).one()
        if count >= max_failures:
            retry_after = max(1, math.ceil((oldest + timedelta(seconds=window_s) - now).total_seconds()))
            raise TooManyRequests(
                f"登录失败次数过多，请 {math.ceil(retry_after / 60)} 分钟后再试。",
                headers={"Retry-After": str(retry_after)},
            )


def record_failure(*, session: Session, username: str, client_addr: str, now: datetime, window_s: int) -> None:
    """Remember one failure, and forget those that have left the window."""
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - timedelta(seconds=window_s)))
    session.add(LoginFailure(username=username, client_addr=client_addr, at=now))


def clear_failures(*, session: Session, username: str) -> None:
    """A successful login wipes the username's slate.

    The address's count is left to expire: one colleague logging in from the same office
    must not reset a guessing attack coming from there.
    """
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
