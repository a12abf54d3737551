"""What the public side keeps: counts per village and month, and short-lived rate-limit marks.

No visitor's address is stored: page views and messages are counted per village and month
only, and the rate limit keeps a keyed hash of the sender's address for its window, then
deletes it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from api.db import timestamp_column


class PublicMonth(SQLModel, table=True):
    """Views of a village's public page and messages left there, in one month (``month`` is its 1st)."""

    __tablename__ = "public_month"

    village_code: str = Field(primary_key=True, max_length=12, foreign_key="region.code")
    month: dt.date = Field(primary_key=True)
    views: int = 0
    messages: int = 0


class PublicPost(SQLModel, table=True):
    """One message accepted from the public form, for the rate limits' window only."""

    __tablename__ = "public_post"
    __table_args__ = (
        Index("ix_public_post_village_code_at", "village_code", "at"),
        Index("ix_public_post_sender_at", "sender", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    # A keyed hash of the sender's address (HMAC with the signing key), never the address.
    sender: str = Field(max_length=32)
    at: dt.datetime = Field(sa_column=timestamp_column())
