"""A bad mobile link between the phones and the servers: a TCP proxy on 127.0.0.1 that drops things.

Each connection a phone opens is, by chance, one of:

- ``cut_response``: the request reaches the server whole, and the server's answer is dropped
  at its first byte (the server did the work; the phone never hears of it);
- ``cut_upload``: the upload is cut somewhere in its first ~400 KB, and both sides hang up;
- clean.

Given several servers, it takes turns among them as a load balancer does, and passes over one
that refuses; while none answers (killed, restarting), connections are refused as a phone
would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Coroutine, Sequence
from typing import Any

CHUNK = 64 * 1024


class FaultyLink:
    def __init__(self, upstreams: Sequence[int], *, cut_response: float, cut_upload: float, seed: int) -> None:
        self.upstreams = list(upstreams)
        self._turn = 0
        self.cut_response = cut_response
        self.cut_upload = cut_upload
        self.rng = random.Random(seed)
        self.events: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.Task[Any]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._open):
                task.cancel()
            await asyncio.gather(*self._open, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._open.add(task)
        sides = [writer]
        try:
            await self._relay(reader, writer, sides)
        except asyncio.CancelledError:
            pass  # the run is over: the link goes down with whatever was on it
        finally:
            self._open.discard(task)
            for side in sides:
                side.close()

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to the next server in turn, passing over those that refuse."""
        for _ in self.upstreams:
            port = self.upstreams[self._turn % len(self.upstreams)]
            self._turn += 1
            try:
                return await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
        return None

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sides: list[asyncio.StreamWriter]
    ) -> None:
        """Relay one connection, with its fault; ``sides`` collects what to close afterwards."""
        roll = self.rng.random()
        mode = "clean"
        if roll < self.cut_response:
            mode = "cut_response"
        elif roll < self.cut_response + self.cut_upload:
            mode = "cut_upload"
        upstream = await self._open_upstream()
        if upstream is None:
            self.events["refused (server down)"] += 1
            return
        up_reader, up_writer = upstream
        sides.append(up_writer)
        upload_limit = self.rng.randrange(2_000, 400_000) if mode == "cut_upload" else None

        async def phone_to_server() -> None:
            sent = 0
            while data := await reader.read(CHUNK):
                if upload_limit is not None and sent + len(data) > upload_limit:
                    up_writer.write(data[: upload_limit - sent])
                    await up_writer.drain()
                    self.events["upload cut"] += 1
                    return
                up_writer.write(data)
                await up_writer.drain()
                sent += len(data)

        async def server_to_phone() -> None:
            while data := await up_reader.read(CHUNK):
                if mode == "cut_response":
                    self.events["answer dropped"] += 1
                    return
                writer.write(data)
                await writer.drain()

        async def pump(work: Coroutine[Any, Any, None]) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                await work

        # The connection ends when either direction does.
        tasks = [asyncio.create_task(pump(f())) for f in (phone_to_server, server_to_phone)]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
