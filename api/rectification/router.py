"""``/villages/{code}/rectification`` and ``/rectification/...``: the rectification ledger."""

from __future__ import annotations

from api.routing import api_router

router = api_router(tags=["rectification"])
