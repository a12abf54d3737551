"""Throttling of failed logins, per username and per client address.

Failures are rows in the database rather than counters in memory, so that every API instance
behind a load balancer sees the same count, and a restart does not reset a guessing attack.

Each attempt is written down as a failure, and committed, *before* its password is checked,
and only then is the count read. An attempt that turns out right removes its row again. So
guesses sent in parallel all see one another: of any batch, at most as many passwords are
checked as the limit allows, however many requests arrive at the same moment.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from api.auth.models import LoginFailure
from api.errors import TooManyRequests

# The width of ``login_failure.username``; what people type in the login form may be longer.
_USERNAME_KEY_LENGTH = 100
# Failures whose username logged in since keep counting for their address under this name,
# which no login can use (the form refuses an empty username).
_CLEARED = ""


def username_key(username: str) -> str:
    """The form under which a typed username's failures are counted: storable in any database."""
    return username.replace("\x00", "\ufffd")[:_USERNAME_KEY_LENGTH]


def begin_attempt(*, session: Session, username: str, client_addr: str, now: datetime, window_s: int) -> LoginFailure:
    """Count this attempt as a failure until it succeeds, visibly to concurrent attempts at once.

    Commits, and forgets the failures that have left the window on the way.
    """
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= now - timedelta(seconds=window_s)))
    attempt = LoginFailure(username=username_key(username), client_addr=client_addr, at=now)
    session.add(attempt)
    session.commit()
    return attempt


def check_not_throttled(
    *, session: Session, attempt: LoginFailure, now: datetime, max_failures: int, window_s: int
) -> None:
    """Refuse the attempt when its username or address has used up its failures.

    Every other attempt in the window counts, finished or not. A refused attempt is not a
    failure of its own: its row is removed, so that the refusal does not prolong the wait.
    """
    since = now - timedelta(seconds=window_s)
    pairs = ((col(LoginFailure.username), attempt.username), (col(LoginFailure.client_addr), attempt.client_addr))
    for column, value in pairs:
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                column == value, col(LoginFailure.at) > since, col(LoginFailure.id) != attempt.id
            )
        ).one()
        if count >= max_failures:
            session.delete(attempt)
            session.commit()
            retry_after = max(1, math.ceil((oldest + timedelta(seconds=window_s) - now).total_seconds()))
            raise TooManyRequests(
                f"登录失败次数过多，请 {math.ceil(retry_after / 60)} 分钟后再试。",
                headers={"Retry-After": str(retry_after)},
            )


def succeed(*, session: Session, attempt: LoginFailure) -> None:
    """A successful login is no failure, and wipes its username's slate.

    The address's count is left to expire: one colleague logging in from the same office
    must not reset a guessing attack coming from there, even one that tried the colleague's
    name. So the earlier rows stay, detached from the username, until they leave the window.
    """
    session.delete(attempt)
    session.flush()
    earlier = col(LoginFailure.username) == attempt.username
    session.execute(update(LoginFailure).where(earlier).values(username=_CLEARED))
