"""Keyset pagination shared by every list endpoint: ``?limit=&cursor=`` → ``{items, next_cursor}``.

Cursors are opaque to clients (base64 of the last key seen), so ordering can change later
without breaking inspection teams' scripts; paging by key rather than offset keeps each page
cheap however deep a script reads.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Integer, Select
from sqlmodel import Session

from api.errors import InvalidInput
from api.validators import MAX_ROW_ID

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    after: int | str | None


async def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页条数，默认50，最多500")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="上一页返回的 next_cursor，原样传回")] = None,
) -> PageParams:
    """The page a list asks for (``async``: parsing only, no trip to a worker thread)."""
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageParams, Depends(_page_params)]


def encode_cursor(last_key: int | str) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | str:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise _bad_cursor() from exc
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise _bad_cursor()
    return key


def _bad_cursor() -> InvalidInput:
    msg = "cursor 无效：请把上一页返回的 next_cursor 原样传回。"
    return InvalidInput(msg, loc=("query", "cursor"))


def paginate(
    session: Session, stmt: Select[Any], key: Any, page: PageParams, *, descending: bool = False
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` ordered by the unique column ``key`` from the cursor on (highest key first
    when ``descending``, for lists read newest first).

    Returns the page's rows and the cursor of the next page (None on the last page).
    """
    if page.after is not None:
        if isinstance(key.type, Integer) != isinstance(page.after, int) or (
            isinstance(page.after, int) and not 0 <= page.after <= MAX_ROW_ID
        ):
            raise _bad_cursor()  # a cursor from another list, or made up
        stmt = stmt.where(key < page.after if descending else key > page.after)
    order = key.desc() if descending else key
    rows = list(session.execute(stmt.order_by(order).limit(page.limit + 1)).scalars().all())
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, encode_cursor(getattr(rows[-1], key.key))
