"""``/v/{village_code}``: the village's public page, as plain HTML for a cheap phone over 3G."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
