"""Running asyncio code from a test, beside the browser tests' event loop.

Playwright keeps an event loop running in the main thread for the whole test session, where
``asyncio.run()`` refuses to start; such work runs in a thread of its own instead, and what it
returns or raises comes back to the test's thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def in_a_thread(work: Callable[[], T], *, timeout_s: float = 600) -> T:
    """``work()`` run on a thread of its own (it may start an event loop there)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=timeout_s)


def run_in_own_loop(scenario: Callable[[], Coroutine[Any, Any, None]], *, timeout_s: float = 30) -> None:
    in_a_thread(lambda: asyncio.run(scenario()), timeout_s=timeout_s)
