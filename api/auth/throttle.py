"""Throttling of failed logins: per account and device, and per client address.

Failures are rows in the database rather than counters in memory, so that every API instance
behind a load balancer sees the same count, and a restart does not reset a guessing attack.

Three budgets, each over the last ``login_failure_window_s`` seconds:

- an account, from devices it has not logged in from (``device`` is null): ``login_max_failures``.
  An attacker who spends it locks out only other unknown devices, never the owner's own phone
  (see ``api.auth.devices``);
- one trusted device of an account: ``login_max_failures`` of its own;
- a client address: ``login_max_failures_per_address``, sized for a county training room of
  300 people behind one NAT. Only settled failures count here: colleagues logging in at the
  same moment never hold each other up.

Each attempt is written down, and committed, *before* its password is checked, as ``pending``;
it counts against its account or device at once, so guesses sent in parallel see one another
and at most the budget's worth of passwords is ever checked. A wrong password settles the row
as a failure; a right one removes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlmodel import Session, col

from api.auth.models import LoginFailure
from api.errors import TooManyRequests

# The width of ``login_failure.username``; what people type in the login form may be longer.
_USERNAME_KEY_LENGTH = 100
# Failures whose username logged in since keep counting for their address under this name,
# which no login can use (the form refuses an empty username).
_CLEARED = ""


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window_s: int


def username_key(username: str) -> str:
    """The form under which a typed username's failures are counted: storable in any database."""
    cleaned = "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in username)
    return cleaned[:_USERNAME_KEY_LENGTH]


def begin_attempt(
    *, session: Session, username: str, client_addr: str, device: str | None, now: datetime, window_s: int
) -> LoginFailure:
    """Count this attempt against its account or device until it succeeds, visibly to concurrent
    attempts at once. Commits, and forgets the failures that have left the window on the way."""
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= now - timedelta(seconds=window_s)))
    attempt = LoginFailure(
        username=username_key(username), client_addr=client_addr, device=device, pending=True, at=now
    )
    session.add(attempt)
    session.commit()
    return attempt


def check_not_throttled(*, session: Session, attempt: LoginFailure, now: datetime, limits: Limits) -> None:
    """Refuse the attempt when its account (for this device) or its address has used up its failures.

    A refused attempt is not a failure of its own: its row is removed, so that the refusal
    does not prolong the wait. Commits either way, so that no transaction stays open while
    the password is checked.
    """
    since = now - timedelta(seconds=limits.window_s)
    others = (col(LoginFailure.at) > since, col(LoginFailure.id) != attempt.id)
    if attempt.device is not None:
        budgets = [(col(LoginFailure.device) == attempt.device, limits.per_account, "这台设备上")]
    else:
        unknown_device = col(LoginFailure.device).is_(None)
        budgets = [
            ((col(LoginFailure.username) == attempt.username) & unknown_device, limits.per_account, "这个账号"),
            (
                (col(LoginFailure.client_addr) == attempt.client_addr) & col(LoginFailure.pending).is_(False),
                limits.per_address,
                "这个网络中",
            ),
        ]
    for condition, limit, where in budgets:
        refusal = _over_budget(session, condition, others, limit=limit, window_s=limits.window_s, now=now, where=where)
        if refusal is not None:
            session.delete(attempt)
            session.commit()
            raise refusal
    session.commit()


def _over_budget(
    session: Session,
    condition: ColumnElement[bool],
    others: tuple[ColumnElement[bool], ...],
    *,
    limit: int,
    window_s: int,
    now: datetime,
    where: str,
) -> TooManyRequests | None:
    count, oldest = session.execute(select(func.count(), func.min(LoginFailure.at)).where(condition, *others)).one()
    if count < limit:
        return None
    retry_after = max(1, math.ceil((oldest + timedelta(seconds=window_s) - now).total_seconds()))
    return TooManyRequests(
        f"{where}登录失败次数过多，请 {math.ceil(retry_after / 60)} 分钟后再试。",
        headers={"Retry-After": str(retry_after)},
    )


def fail(*, session: Session, attempt: LoginFailure) -> None:
    """A wrong password: the attempt stays as a settled failure (committed before the refusal)."""
    session.execute(update(LoginFailure).where(col(LoginFailure.id) == attempt.id).values(pending=False))
    session.commit()


def succeed(*, session: Session, attempt: LoginFailure) -> None:
    """A successful login is no failure, and wipes the slate of the device it came from.

    From a trusted device, that device's failures go. From an unknown one, the account's
    unknown-device failures are detached from the username. The address's count is left to
    expire: one colleague logging in from the same office must not reset a guessing attack
    coming from there, even one that tried the colleague's name.
    """
    session.delete(attempt)
    session.flush()
    if attempt.device is not None:
        session.execute(delete(LoginFailure).where(col(LoginFailure.device) == attempt.device))
        return
    earlier = (col(LoginFailure.username) == attempt.username) & col(LoginFailure.device).is_(None)
    session.execute(update(LoginFailure).where(earlier).values(username=_CLEARED))
