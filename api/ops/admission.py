"""A line for requests that work on the database, so that a crowd means waiting, not failing.

When 300 phones come back into signal at the same hour, each request that needs the database
first takes one of ``max_active_requests`` places. The others wait for a place without
holding anything (no thread, no connection), in arrival order; a request that has waited
``queue_timeout_s`` is answered ``503`` with ``Retry-After``, which the phone honours.

This bound is what keeps the server out of a deadlock. Only requests holding a place hold a
database connection, at most one at a time, and the pool has a connection for every place
(see ``api.db.make_engine``); so no thread ever waits for a connection that a request
waiting for a thread holds.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.errors import ServiceBusy


class Admission:
    """``slots`` places; a request waits at most ``wait_s`` seconds for one."""

    def __init__(self, *, slots: int, wait_s: float) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self.waiting = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._places = asyncio.Semaphore(slots)

    def _semaphore(self) -> asyncio.Semaphore:
        # A semaphore belongs to the event loop that first waits on it; a test client may run
        # the same app on a new loop, so the line starts afresh with each loop.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._places = loop, asyncio.Semaphore(self.slots)
        return self._places

    def retry_after(self) -> int:
        """Seconds a refused phone should wait: spread out, so the crowd does not return at once."""
        return math.ceil(self.wait_s / 2 + random.uniform(0, self.wait_s))  # noqa: S311 - jitter, not a secret

    @asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        places = self._semaphore()
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await places.acquire()
        except TimeoutError:
            raise ServiceBusy(
                "服务器正忙，记录已保存在手机上，稍后会自动重新发送。", retry_after=self.retry_after()
            ) from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            places.release()


Key = TypeVar("Key")
Item = TypeVar("Item")


async def in_chunks(
    admission: Admission, read: Callable[[Key | None], tuple[list[Item], Key | None]]
) -> AsyncIterator[list[Item]]:
    """Everything ``read`` gives, a chunk at a time, for a download of any length.

    ``read(after)`` returns a chunk from the key ``after`` on (from the start when None) and the
    key the next chunk starts after (None after the last). Each chunk is read on a worker thread
    with a place in line of its own, like any request: between chunks the download holds no
    connection, and phones coming back into signal never wait for it longer than for any other
    request. A chunk that finds no place in time ends the download unfinished, which the browser
    reports as failed.
    """
    after: Key | None = None
    while True:
        async with admission.place():
            chunk, after = await run_in_threadpool(read, after)
        yield chunk
        if after is None:
            return


async def request_place(request: Request) -> AsyncIterator[None]:
    """Dependency: hold a place in line until the route has returned (see ``Admission``)."""
    admission: Admission = request.app.state.admission
    async with admission.place():
        yield


# Function-scoped: the place is given back once the answer is made, not after it has been sent
# (a slow phone receiving a photo must not keep a place from the others).
InLine = Annotated[None, Depends(request_place, scope="function")]
