"""Running an asyncio scenario from a test, beside the browser tests' event loop.

Playwright keeps an event loop running in the main thread for the whole test session, where
``asyncio.run()`` refuses to start; a scenario runs in a thread of its own instead, and what it
raises is raised again in the test's thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any


def run_in_own_loop(scenario: Callable[[], Coroutine[Any, Any, None]], *, timeout_s: float = 30) -> None:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:  # handed back to the test's thread
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=timeout_s)
    assert not worker.is_alive(), f"the scenario did not finish within {timeout_s} s"
    if failures:
        raise failures[0]
