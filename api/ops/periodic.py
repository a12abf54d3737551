"""Work that ``zoufang serve`` repeats in the background, such as the rules over time and the
photo sweep.

Each round runs on a worker thread of its own, so requests are never kept waiting for it; a
failed round is logged and the next one comes at its time; on shutdown the loop simply stops.
Work that should happen once per interval however many instances run (the rules) claims its
turn first (``claim_turn``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from api.db import flush_unique, utcnow, writer_engine
from api.ops.models import PeriodicRun

# A turn may be claimed a little early: instances whose timers drift apart still share one
# interval instead of both skipping it.
_EARLY = 0.9


async def repeat(
    work: Callable[[], str], *, first_delay_s: float, interval_s: float, failure: str, log: logging.Logger
) -> None:
    """Run ``work`` after ``first_delay_s``, then every ``interval_s``, until cancelled.

    ``work`` returns the line to log; ``failure`` is logged (with ``interval_s``) when it raises.
    """
    delay = first_delay_s
    while True:
        await asyncio.sleep(delay)
        delay = interval_s
        try:
            line = await asyncio.to_thread(work)
        except Exception:
            log.exception(failure, interval_s)
        else:
            log.info(line)


def claim_turn(engine: Engine, name: str, *, interval_s: float, now: datetime | None = None) -> bool:
    """Whether this instance runs ``name`` now: True for the first claim in each interval.

    The claim is one conditional update of a shared row (inserted on the very first turn), so
    of several instances asking at once exactly one is told yes.
    """
    now = now or utcnow()
    with Session(writer_engine(engine)) as session:
        if flush_unique(session, lambda: session.add(PeriodicRun(name=name, last_started_at=now))):
            session.commit()
            return True
        due = now - timedelta(seconds=interval_s * _EARLY)
        claimed = session.execute(
            update(PeriodicRun)
            .where(col(PeriodicRun.name) == name, col(PeriodicRun.last_started_at) <= due)
            .values(last_started_at=now)
        )
        session.commit()
        return bool(claimed.rowcount)  # type: ignore[attr-defined]


@asynccontextmanager
async def in_background(loop: Coroutine[Any, Any, None] | None, *, name: str) -> AsyncIterator[None]:
    """Keep ``loop`` running while the app serves (nothing at all when it is None)."""
    if loop is None:
        yield
        return
    task = asyncio.create_task(loop, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
