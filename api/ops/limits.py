"""A cap on request bodies, applied before anything parses them.

FastAPI reads a multipart form (and spools its files to disk) before a route runs, so a route
cannot refuse a 50 MB spreadsheet in time. This middleware refuses on ``Content-Length`` at
once and, for bodies sent without one, counts bytes as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLarge, problem_response


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class BodySizeLimit:
    """Refuse request bodies above the limit that ``limit_for(path)`` gives."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        detail = f"上传的内容超过了 {_megabytes(limit)} 的上限。"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            refusal = problem_response(
                413,
                type_=PayloadTooLarge.type_,
                title=PayloadTooLarge.title,
                detail=detail,
                headers={"Connection": "close"},
            )
            await refusal(scope, receive, send)
            return

        # Without a declared length, count what arrives. An HTTPException is the one error that
        # FastAPI lets out of its body parsing unchanged (anything else becomes a 400), so the
        # route never runs and the client gets the same 413 as above.
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, detail=detail, headers={"Connection": "close"})
            return message

        await self.app(scope, counting_receive, send)
