"""Shares (coverage, awareness, …) as every dashboard, inspection and bulletin reports them."""

from __future__ import annotations


def share(part: int, whole: int) -> float | None:
    """``part / whole`` to four decimals (a tenth of a percentage point); None when ``whole`` is 0,
    since "no households" or "nobody reached" is not 0 %."""
    return round(part / whole, 4) if whole else None
