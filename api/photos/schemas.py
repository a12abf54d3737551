"""Response shape of a stored photo."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PhotoPublic(BaseModel):
    id: str
    sha256: str
    width: int
    height: int
    taken_at: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    near_duplicates: list[str]
