"""Evidence checks: signs that a record was not made where and when it claims.

Each check is a plain function over plain data, returning a ``Finding`` or None, so the rules
can be read and tested without a database. The callers (visits, check-ins) load what the
rules need in bulk and raise the findings as flags.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.evidence.geo import distance_m
from api.flags.service import Finding


@dataclass(frozen=True)
class Fix:
    """Where and when a record says it was made, and by whom."""

    record_id: str
    user_id: int
    village_code: str
    at: datetime
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    household_id: int | None = None


@dataclass(frozen=True)
class VillagePoint:
    code: str
    name: str
    lat: float | None
    lon: float | None
    radius_m: int | None


@dataclass(frozen=True)
class PhotoMatch:
    """One of this record's photos looks like a photo already on another visit."""

    photo_id: str
    other_photo_id: str
    other_visit_id: str
    distance: int


def off_site(fix: Fix, village: VillagePoint, *, what: str) -> Finding | None:
    """GPS farther from the village point than its radius plus the fix's reported accuracy."""
    if fix.lat is None or fix.lon is None or village.lat is None or village.lon is None:
        return None
    distance = distance_m(fix.lat, fix.lon, village.lat, village.lon)
    allowed = (village.radius_m or 0) + (fix.accuracy_m or 0)
    if distance <= allowed:
        return None
    return Finding(
        kind="off_site",
        severity="medium",
        village_code=fix.village_code,
        user_id=fix.user_id,
        subject_id=fix.record_id,
        detail=f"{what}的定位距{village.name}中心 {distance / 1000:.1f} 公里，超出村范围 {allowed:.0f} 米。",
        evidence={
            "distance_m": round(distance),
            "radius_m": village.radius_m,
            "accuracy_m": fix.accuracy_m,
            "lat": fix.lat,
            "lon": fix.lon,
            "village_lat": village.lat,
            "village_lon": village.lon,
        },
    )


class Timeline:
    """One user's records in time order, for finding a record's neighbours by bisection."""

    def __init__(self, fixes: Iterable[Fix]) -> None:
        self.fixes = sorted(fixes, key=lambda f: f.at)
        self.times = [f.at for f in self.fixes]

    def around(self, fix: Fix, seconds: float) -> tuple[list[Fix], Fix | None, Fix | None]:
        """Others within ``seconds`` of ``fix``, and the nearest other before and after it."""
        window = timedelta(seconds=seconds)
        low, high = bisect_left(self.times, fix.at - window), bisect_right(self.times, fix.at + window)
        close = [o for o in self.fixes[low:high] if o.record_id != fix.record_id]
        here = bisect_left(self.times, fix.at)
        before = next((o for o in reversed(self.fixes[:here]) if o.record_id != fix.record_id), None)
        after = next((o for o in self.fixes[here:] if o.record_id != fix.record_id and o.at > fix.at), None)
        if before is None:
            before = next((o for o in self.fixes[here:] if o.record_id != fix.record_id and o.at == fix.at), None)
        return close, before, after


def implausible_pace(fix: Fix, timeline: Timeline, *, min_interval_s: float, max_speed_kmh: float) -> Finding | None:
    """Visits to different homes minutes apart, or a move between two fixes faster than a car
    on a mountain road: one person cannot have made both records as claimed."""
    nearby, before, after = timeline.around(fix, min_interval_s)
    close = [
        o
        for o in nearby
        if fix.household_id is not None
        and o.household_id is not None
        and o.household_id != fix.household_id
        and abs((o.at - fix.at).total_seconds()) < min_interval_s
    ]
    neighbours = [o for o in (before, after) if o is not None]
    too_fast = [(o, speed) for o in neighbours if (speed := _speed_kmh(fix, o)) is not None and speed > max_speed_kmh]
    if not close and not too_fast:
        return None
    parts = []
    if close:
        gap = min(abs((o.at - fix.at).total_seconds()) for o in close)
        parts.append(f"与另一户的走访只相隔 {gap / 60:.0f} 分钟")
    if too_fast:
        parts.append(f"与相邻记录之间的移动速度约 {max(s for _, s in too_fast):.0f} 公里/小时")
    return Finding(
        kind="implausible_pace",
        severity="medium",
        village_code=fix.village_code,
        user_id=fix.user_id,
        subject_id=fix.record_id,
        detail="走访节奏不合常理：" + "；".join(parts) + "。",
        evidence={
            "close_visits": [{"visit_id": o.record_id, "at": o.at.isoformat()} for o in close],
            "fast_moves": [{"visit_id": o.record_id, "speed_kmh": round(s, 1)} for o, s in too_fast],
        },
    )


def _speed_kmh(a: Fix, b: Fix) -> float | None:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    metres = distance_m(a.lat, a.lon, b.lat, b.lon)
    seconds = abs((a.at - b.at).total_seconds())
    if metres < 100:  # within GPS noise of each other: no movement to judge
        return None
    return float("inf") if seconds == 0 else metres / seconds * 3.6


def duplicate_photo(fix: Fix, matches: Sequence[PhotoMatch], *, max_distance: int) -> Finding | None:
    """A photo equal or nearly equal (dHash) to one already on another visit."""
    if not matches:
        return None
    exact = any(m.distance == 0 for m in matches)
    return Finding(
        kind="duplicate_photo",
        severity="high",
        village_code=fix.village_code,
        user_id=fix.user_id,
        subject_id=fix.record_id,
        detail=("照片与另一条走访记录中的照片相同。" if exact else "照片与另一条走访记录中的照片几乎相同。"),
        evidence={
            "max_distance": max_distance,
            "matches": [
                {
                    "photo_id": m.photo_id,
                    "other_photo_id": m.other_photo_id,
                    "other_visit_id": m.other_visit_id,
                    "distance": m.distance,
                }
                for m in matches
            ],
        },
    )


def photo_time_mismatch(fix: Fix, taken: Sequence[tuple[str, datetime]], *, max_skew_h: float) -> Finding | None:
    """A photo whose EXIF capture time is far from the time the visit claims."""
    far = [(pid, t, abs((t - fix.at).total_seconds()) / 3600) for pid, t in taken]
    far = [item for item in far if item[2] > max_skew_h]
    if not far:
        return None
    worst = max(h for _, _, h in far)
    return Finding(
        kind="photo_time_mismatch",
        severity="medium",
        village_code=fix.village_code,
        user_id=fix.user_id,
        subject_id=fix.record_id,
        detail=f"照片拍摄时间与记录的走访时间相差约 {worst:.0f} 小时。",
        evidence={
            "started_at": fix.at.isoformat(),
            "photos": [{"photo_id": pid, "taken_at": t.isoformat(), "hours_apart": round(h, 1)} for pid, t, h in far],
        },
    )
