"""``/public/...``: what anyone may read about a posted village, and the message form."""

from __future__ import annotations

from api.routing import api_router

router = api_router(prefix="/public", tags=["public"])
