"""Work that ``zoufang serve`` repeats in the background, such as the rules over time and the
photo sweep.

Each round runs on a worker thread of its own, so requests are never kept waiting for it; a
failed round is logged and the next one comes at its time; on shutdown the loop simply stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any


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
