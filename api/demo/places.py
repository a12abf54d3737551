"""The demo county's places and households, planned in memory before anything is written.

Planning is pure (a seeded ``random.Random`` in, plain data out), so the same seed always gives
the same county and the writer in ``county.py`` only has to copy it into the tables.

The layout imitates a real county of the south-west: a subdistrict (街道) at the county seat
with its urban communities, towns (镇) each with a community at the town seat, and remote
townships (乡) of villages only; codes numbered the way the statistics bureau numbers them
(subdistricts 001…, towns 100…, townships 200…; communities 001…, villages 201…). Villages lie
a few kilometres apart in hills around 26.5° N 106.7° E, and a village's households cluster
in the hamlets of its villager groups, inside the village's radius.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from api.demo import names

COUNTY_CODE = "520199000000"
CENTRE_LAT = 26.5
CENTRE_LON = 106.7
TOWN_COUNT = 8
VILLAGE_COUNT = 120
HOUSEHOLD_TARGET = 30_000
MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 120, 400

_KM_PER_DEG_LAT = 111.32
_KM_PER_DEG_LON = _KM_PER_DEG_LAT * math.cos(math.radians(CENTRE_LAT))
_MIN_VILLAGE_SPACING_KM = 2.5
# How many villages a subdistrict, a town and a township have, relative to each other.
_SHARE = {"街道": 0.6, "镇": 1.15, "乡": 0.9}
# Town numbers of the statistics bureau: subdistricts 001…, towns 100…, townships 200….
_FIRST_TOWN_NUMBER = {"街道": 1, "镇": 100, "乡": 200}


@dataclass
class Household:
    household_no: str
    head_name: str
    group_name: str
    address: str
    phone: str | None
    tags: list[str]
    lat: float
    lon: float


@dataclass
class Village:
    code: str
    name: str
    kind: str  # "village" or "community"
    town_code: str
    lat: float
    lon: float
    radius_m: int
    weak_lax: bool = False
    weak_lax_reasons: list[str] = field(default_factory=list)
    rectification_status: str = "none"
    plan: str | None = None
    households: list[Household] = field(default_factory=list)


@dataclass
class Town:
    code: str
    name: str
    lat: float
    lon: float
    villages: list[Village] = field(default_factory=list)


@dataclass
class County:
    code: str
    name: str
    lat: float
    lon: float
    towns: list[Town]

    @property
    def villages(self) -> list[Village]:
        return [v for t in self.towns for v in t.villages]

    def town_of(self, village: Village) -> Town:
        return next(t for t in self.towns if t.code == village.town_code)


def plan_county(rng: random.Random, phones: names.MobileNumbers) -> County:
    """The whole county: towns, villages (some weak and lax) and their households."""
    kinds = ["街道"] + ["镇"] * 5 + ["乡"] * 2
    counts = _share_out(VILLAGE_COUNT, [_SHARE[k] * rng.uniform(0.85, 1.15) for k in kinds])
    pools = _NamePools(
        villages=iter(names.village_names(rng, VILLAGE_COUNT)),
        communities=iter(rng.sample(names.COMMUNITY_NAMES, len(names.COMMUNITY_NAMES))),
        towns=rng.sample(names.TOWN_STEMS, kinds.count("镇")),
        townships=rng.sample(names.TOWNSHIP_STEMS, kinds.count("乡")),
    )
    next_number = dict(_FIRST_TOWN_NUMBER)
    placed: list[tuple[float, float]] = []
    towns = []
    for index, (kind, count) in enumerate(zip(kinds, counts, strict=True)):
        if kind == "街道":
            centre = (0.0, 0.0)
        else:
            angle = 2 * math.pi * (index - 1) / (TOWN_COUNT - 1) + rng.uniform(-0.25, 0.25)
            distance = rng.uniform(18.0, 27.0)
            centre = (distance * math.cos(angle), distance * math.sin(angle))
        towns.append(_plan_town(rng, kind, next_number[kind], count, centre, pools, placed))
        next_number[kind] += 1
    county = County(code=COUNTY_CODE, name=names.COUNTY_NAME, lat=CENTRE_LAT, lon=CENTRE_LON, towns=towns)
    _mark_weak_lax(rng, county.villages)
    _fill_households(rng, county.villages, phones)
    return county


@dataclass
class _NamePools:
    """Names not yet given out, so that no two places of the county share one."""

    villages: Iterator[str]
    communities: Iterator[str]
    towns: list[str]
    townships: list[str]


def _plan_town(
    rng: random.Random,
    kind: str,
    number: int,
    count: int,
    centre: tuple[float, float],
    pools: _NamePools,
    placed: list[tuple[float, float]],
) -> Town:
    """A subdistrict, town or township and its ``count`` villages and communities."""
    if kind == "街道":
        name, spread = rng.choice(names.SUBDISTRICT_NAMES), 6.0
        communities = [next(pools.communities) for _ in range(max(3, count // 2))]
    elif kind == "镇":
        stem = pools.towns.pop()
        name, spread, communities = stem + kind, 8.0, [stem + "社区"]  # the town seat
    else:
        name, spread, communities = pools.townships.pop() + kind, 8.0, []
    code = COUNTY_CODE[:6] + f"{number:03d}000"
    lat, lon = _shift(CENTRE_LAT, CENTRE_LON, *centre)
    town = Town(code=code, name=name, lat=lat, lon=lon)
    for position in range(count):
        is_community = position < len(communities)
        # The first place is the seat of the town's offices, near the town's centre.
        x, y = _free_spot(rng, centre, 1.0 if position == 0 else spread, placed)
        placed.append((x, y))
        vlat, vlon = _shift(CENTRE_LAT, CENTRE_LON, x, y)
        if is_community:
            village_code, village_name = f"{position + 1:03d}", communities[position]
            radius_m = rng.randrange(800, 1501, 50)
        else:
            village_code = f"{201 + position - len(communities)}"
            village_name = next(pools.villages) + "村"
            radius_m = rng.randrange(1000, 3001, 50)
        town.villages.append(
            Village(
                code=code[:9] + village_code,
                name=village_name,
                kind="community" if is_community else "village",
                town_code=code,
                lat=vlat,
                lon=vlon,
                radius_m=radius_m,
            )
        )
    return town


def _share_out(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders get the leftovers)."""
    exact = [total * w / sum(weights) for w in weights]
    counts = [math.floor(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _shift(lat: float, lon: float, x_km: float, y_km: float) -> tuple[float, float]:
    """Latitude and longitude of the point ``x_km`` east and ``y_km`` north of (lat, lon)."""
    return round(lat + y_km / _KM_PER_DEG_LAT, 6), round(lon + x_km / _KM_PER_DEG_LON, 6)


def _free_spot(
    rng: random.Random,
    centre: tuple[float, float],
    spread: float,
    placed: list[tuple[float, float]],
) -> tuple[float, float]:
    """A point within ``spread`` km of ``centre``, the minimum spacing away from every village.

    Tries at random; if the area is crowded, the best of the tries (farthest from its
    nearest neighbour) is taken, so planning always ends.
    """
    best, best_gap = centre, -1.0
    for _ in range(200):
        x, y = _random_point(rng, spread)
        spot = (centre[0] + x, centre[1] + y)
        gap = min((math.dist(spot, other) for other in placed), default=math.inf)
        if gap >= _MIN_VILLAGE_SPACING_KM:
            return spot
        if gap > best_gap:
            best, best_gap = spot, gap
    return best


def _mark_weak_lax(rng: random.Random, villages: list[Village]) -> None:
    """Classify about 20 rural villages as weak and lax, with reasons and a plan for each."""
    rural = [v for v in villages if v.kind == "village"]
    weak = rng.sample(rural, rng.randint(18, 22))
    accepted = {v.code for v in rng.sample(weak, rng.randint(3, 5))}
    for village in weak:
        village.weak_lax = True
        count = rng.choices((1, 2, 3), weights=(4, 4, 2))[0]
        reasons = sorted(rng.sample(names.WEAK_LAX_REASONS, count), key=names.WEAK_LAX_REASONS.index)
        village.weak_lax_reasons = reasons
        village.rectification_status = "accepted" if village.code in accepted else "rectifying"
        income = rng.choice((5, 8, 10, 15))
        measures = [rng.choice(names.PLAN_MEASURES[r]).format(income=income) for r in reasons[:2]]
        if village.rectification_status == "accepted":
            closing = names.PLAN_CLOSING_ACCEPTED
        else:
            closing = rng.choice(names.PLAN_CLOSINGS_RECTIFYING)
        village.plan = "".join([*measures, closing])


def _fill_households(rng: random.Random, villages: list[Village], phones: names.MobileNumbers) -> None:
    """About 30,000 households, 120–400 a village, numbered 0001… in villager-group order."""
    wanted = [
        rng.randint(250, MAX_HOUSEHOLDS) if v.kind == "community" else rng.randint(MIN_HOUSEHOLDS, MAX_HOUSEHOLDS)
        for v in villages
    ]
    scale = HOUSEHOLD_TARGET / sum(wanted)
    for village, size in zip(villages, wanted, strict=True):
        _fill_village(rng, village, min(MAX_HOUSEHOLDS, max(MIN_HOUSEHOLDS, round(size * scale))), phones)


def _fill_village(rng: random.Random, village: Village, size: int, phones: names.MobileNumbers) -> None:
    community = village.kind == "community"
    group_count = rng.randint(3, 6) if community else rng.randint(4, 8)
    group_sizes = _share_out(size, [rng.uniform(0.6, 1.4) for _ in range(group_count)])
    places = rng.sample(names.STREETS if community else names.HAMLETS, group_count)
    # Two or three clans make up much of a village (a 王家寨 is mostly 王).
    clans = rng.sample(names.SURNAMES[:20], 2) + rng.sample(names.SURNAMES[20:], 1)
    poverty = rng.uniform(0.6, 1.5) * (1.3 if village.weak_lax else 1.0)
    poverty *= 0.4 if community else 1.0
    radius_km = village.radius_m / 1000
    # Hamlet centres stay within 0.6 of the radius and houses within 0.3 of it around them,
    # so every household lies inside the village's radius.
    hamlet_km = min(0.25, 0.3 * radius_km)
    number = 0
    for group, (group_size, place) in enumerate(zip(group_sizes, places, strict=True), start=1):
        group_name = f"第{names.numeral(group)}{'居民' if community else '村民'}小组"
        hamlet = _random_point(rng, 0.6 * radius_km)
        door = 0
        for _ in range(group_size):
            number += 1
            door += rng.choice((1, 1, 1, 2, 3))
            tags = _tags(rng, poverty)
            alone = "留守老人" in tags or "五保户" in tags
            phone = phones.next() if rng.random() < (0.55 if alone else 0.83) else None
            x, y = _random_point(rng, hamlet_km)
            lat, lon = _shift(village.lat, village.lon, hamlet[0] + x, hamlet[1] + y)
            village.households.append(
                Household(
                    household_no=f"{number:04d}",
                    head_name=_head_name(rng, clans),
                    group_name=group_name,
                    address=f"{village.name} {place} {door}号",
                    phone=phone,
                    tags=tags,
                    lat=lat,
                    lon=lon,
                )
            )


def _random_point(rng: random.Random, radius_km: float) -> tuple[float, float]:
    """A point spread evenly over the disc of ``radius_km`` around (0, 0)."""
    r, angle = radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return r * math.cos(angle), r * math.sin(angle)


def _head_name(rng: random.Random, clans: list[str]) -> str:
    """A household head: nearly half from the village's own clans, most of them men."""
    local = rng.random() < 0.45
    family = rng.choices(clans, weights=(3, 2, 1))[0] if local else names.surname(rng)
    return family + names.given_name(rng, female=rng.random() < 0.18)


def _tags(rng: random.Random, poverty: float) -> list[str]:
    """A household's tags; ``poverty`` scales the village's rate of poverty-related ones."""
    tags = [
        tag for tag, rate in names.TAG_RATES if rng.random() < rate * (poverty if tag in names.POVERTY_TAGS else 1.0)
    ]
    if "五保户" in tags and "留守儿童" in tags:
        tags.remove("留守儿童")  # a 五保 household has no children to leave behind
    return tags
