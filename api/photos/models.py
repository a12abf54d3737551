"""Photos taken in the field, stored re-encoded and stripped of metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from api.db import json_list_column, timestamp_column, utcnow


class Photo(SQLModel, table=True):
    """One uploaded photo: where its files are, and what its EXIF said before it was removed.

    ``id`` is the phone's UUID, so an upload retried after a lost answer changes nothing.
    ``dhash`` is stored signed (the database's BIGINT); ``county_code`` bounds the
    near-duplicate search to the county the uploader works in. ``near_duplicates`` is what
    the first upload was told, so a resend is told the same.
    """

    __table_args__ = (
        Index("ix_photo_sha256", "sha256"),
        Index("ix_photo_county_code_dhash", "county_code", "dhash"),
    )

    id: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    county_code: str | None = Field(default=None, max_length=12)
    sha256: str = Field(max_length=64)
    dhash: int = Field(sa_column=Column(BigInteger, nullable=False))
    width: int
    height: int
    size_bytes: int
    taken_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    exif_lat: float | None = None
    exif_lon: float | None = None
    near_duplicates: list[str] = Field(default_factory=list, sa_column=json_list_column())
    display_key: str = Field(max_length=200)
    thumb_key: str = Field(max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


DHASH_BANDS = 8  # the 64-bit dHash cut into bytes


class PhotoHashBand(SQLModel, table=True):
    """One byte of a photo's dHash, indexed, for finding near duplicates without a full scan.

    Two hashes within 7 bits of each other agree exactly on at least one of their 8 bytes (7
    differing bits can touch at most 7 bytes), so the photos sharing any byte value at the same
    position are the only candidates that need a distance computed.
    """

    __tablename__ = "photo_hash_band"
    __table_args__ = (Index("ix_photo_hash_band_county_code_band_value", "county_code", "band", "value"),)

    photo_id: str = Field(primary_key=True, max_length=36, foreign_key="photo.id")
    band: int = Field(primary_key=True)
    value: int
    county_code: str | None = Field(default=None, max_length=12)
