"""Creating and changing regions, with the code, level and parent kept consistent."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.auth.principal import Principal
from api.checkins.models import Checkin
from api.db import utcnow
from api.errors import Conflict, InvalidInput, NotFound
from api.regions import codes
from api.regions.models import DEFAULT_RADIUS_M, Region
from api.regions.schemas import CentreSuggestion, RegionCreate, RegionUpdate


def _invalid(field: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, loc=("body", field))


_LEVEL_NAMES = {"county": "县", "town": "乡镇（街道）", "village": "村（社区）"}


def create_region(*, session: Session, data: RegionCreate, by: Principal | None) -> Region:
    """Add a place under the creator's scope; a town or village needs its parent to exist."""
    if by is not None:
        by.require_covers(data.code, what="要新建的地区所在的上级地区")
    actual_level = codes.level_of(data.code)
    if actual_level != data.level:
        raise _invalid("level", f"区划代码 {data.code} 不是{_LEVEL_NAMES[data.level]}级代码。")
    implied_parent = codes.parent_of(data.code)
    if data.parent_code is not None and data.parent_code != implied_parent:
        raise _invalid("parent_code", f"上级代码应为 {implied_parent}（由区划代码的前几位决定）。")
    # A county's parent (the city) is usually not kept here; a town's or village's must be.
    parent_code = data.parent_code if data.level == "county" else implied_parent
    if parent_code is not None and session.get(Region, parent_code) is None:
        raise _invalid("parent_code", f"上级地区 {parent_code} 不存在，请先创建它。")
    if session.get(Region, data.code) is not None:
        raise Conflict(f"区划代码 {data.code} 已存在。")
    if data.level != "village" and (data.weak_lax or data.kind or data.weak_lax_reasons):
        raise _invalid("weak_lax", "软弱涣散、村/社区类型只适用于村（社区）。")
    region = Region(
        code=data.code,
        name=data.name,
        level=data.level,
        parent_code=parent_code,
        lat=data.lat,
        lon=data.lon,
        radius_m=data.radius_m
        if data.radius_m is not None
        else (DEFAULT_RADIUS_M if data.level == "village" else None),
        kind=data.kind or ("village" if data.level == "village" else None),
        weak_lax=bool(data.weak_lax),
        weak_lax_reasons=data.weak_lax_reasons or [],
        rectification_status=data.rectification_status or "none",
        plan=data.plan,
    )
    session.add(region)
    session.flush()
    return region


def get_region(*, session: Session, code: str, by: Principal) -> Region:
    region = session.get(Region, code)
    if region is None or not by.covers(code):
        raise NotFound(f"地区 {code} 不存在，或不在您的管辖范围内。")
    return region


def update_region(*, session: Session, code: str, data: RegionUpdate, by: Principal) -> Region:
    region = get_region(session=session, code=code, by=by)
    changes = data.model_dump(exclude_unset=True)
    if region.level != "village" and ({"weak_lax", "kind", "weak_lax_reasons"} & changes.keys()):
        raise _invalid("weak_lax", "软弱涣散、村/社区类型只适用于村（社区）。")
    for field, value in changes.items():
        if value is None and field in ("name", "weak_lax", "rectification_status", "weak_lax_reasons", "kind"):
            raise _invalid(field, "此项不能清空。")
        setattr(region, field, value)
    region.updated_at = utcnow()
    session.add(region)
    session.flush()
    return region


# Check-ins whose fix is vaguer than this say little about where the village centre is.
_USEFUL_ACCURACY_M = 100.0
SUGGESTION_DAYS = 90


def suggested_centre(*, session: Session, code: str, by: Principal) -> CentreSuggestion:
    """Where the village's secretaries actually check in: the median of the last 90 days'
    check-ins with a good fix. A median, not a mean, so a few check-ins from the county town
    (the off-site ones the flags catch) do not drag the centre away."""
    village = get_region(session=session, code=code, by=by)
    if village.level != "village":
        raise _invalid("code", f"{village.name}不是村（社区），没有中心点。")
    since = utcnow() - timedelta(days=SUGGESTION_DAYS)
    points = session.exec(
        select(Checkin.lat, Checkin.lon).where(
            Checkin.village_code == code,
            col(Checkin.at) >= since,
            or_(col(Checkin.accuracy_m).is_(None), col(Checkin.accuracy_m) <= _USEFUL_ACCURACY_M),
        )
    ).all()
    if not points:
        return CentreSuggestion(lat=None, lon=None, checkins=0, days=SUGGESTION_DAYS)
    return CentreSuggestion(
        lat=round(median(p[0] for p in points), 6),
        lon=round(median(p[1] for p in points), 6),
        checkins=len(points),
        days=SUGGESTION_DAYS,
    )


def require_village(*, session: Session, code: str, by: Principal | None) -> Region:
    """The village with this code, if it exists and lies in scope; else a 4xx."""
    if by is not None:
        by.require_covers(code, what="村")
    region = session.get(Region, code)
    if region is None:
        raise InvalidInput(f"村代码 {code} 不存在。", loc=("body", "village_code"))
    if region.level != "village":
        raise InvalidInput(
            f"{code}（{region.name}）不是村（社区）级代码。",
            loc=("body", "village_code"),
        )
    return region
