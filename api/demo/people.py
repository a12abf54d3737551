"""The demo county's people: one account per role and scope, and 40 posted secretaries.

Every role of the system gets someone to log in as, so a demo can be walked through from each
seat: the administrator, the county organisation department, the inspection team, each town's
party committee, and the secretaries. Every weak-and-lax village has a first secretary, as the
programme requires; the other first secretaries are spread over ordinary villages, and a few
weak-and-lax villages also have a work-team member from the same dispatching unit.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from api.demo import names
from api.demo.places import County, Town, Village

SECRETARY_COUNT = 40


@dataclass(frozen=True)
class Posting:
    """A secretary's assignment to a village."""

    village_code: str
    position: str
    dispatch_unit: str
    start_date: dt.date


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: str
    scope_code: str | None
    phone: str | None
    description: str
    posting: Posting | None = None


def plan_people(rng: random.Random, county: County, phones: names.MobileNumbers, *, today: dt.date) -> list[Person]:
    """Everyone who logs in to the demo, supervisors first, then secretaries by village."""
    people = [
        Person("admin", "系统管理员", "admin", None, None, "系统管理员（全部数据）"),
        Person("county", _name(rng), "county", county.code, phones.next(), "县委组织部（全县）"),
        Person("inspector", _name(rng), "inspector", county.code, phones.next(), "县委督查组（全县）"),
    ]
    for number, town in enumerate(county.towns, start=1):
        people.append(Person(f"town{number}", _name(rng), "town", town.code, phones.next(), _town_role(town)))
    people.extend(_secretaries(rng, county, phones, today))
    return people


def _name(rng: random.Random) -> str:
    return names.person_name(rng, female=rng.random() < 0.35)


def _town_role(town: Town) -> str:
    committee = "党工委" if town.name.endswith("街道") else "党委"
    villages = sum(v.kind == "village" for v in town.villages)
    communities = len(town.villages) - villages
    counts = "、".join(f"{n}个{what}" for n, what in ((villages, "村"), (communities, "社区")) if n)
    return f"{town.name}{committee}（{counts}）"


def _secretaries(rng: random.Random, county: County, phones: names.MobileNumbers, today: dt.date) -> list[Person]:
    villages = county.villages
    weak = [v for v in villages if v.weak_lax]
    ordinary = [v for v in villages if v.kind == "village" and not v.weak_lax]
    team_size = rng.randint(3, 5)
    first_secretary_villages = weak + rng.sample(ordinary, SECRETARY_COUNT - team_size - len(weak))
    postings = [
        (
            village,
            Posting(
                village_code=village.code,
                position="first_secretary",
                dispatch_unit=rng.choice(names.DISPATCH_UNITS),
                start_date=today - dt.timedelta(days=rng.randint(183, 548)),
            ),
        )
        for village in first_secretary_villages
    ]
    lead_of = {posting.village_code: posting for _, posting in postings}
    for village in rng.sample(weak, team_size):
        # A work team is sent by the first secretary's unit, together with them.
        lead = lead_of[village.code]
        postings.append((village, Posting(village.code, "team_member", lead.dispatch_unit, lead.start_date)))
    postings.sort(key=lambda pair: (pair[1].village_code, pair[1].position))
    return [
        Person(
            username=f"sec{number:02d}",
            display_name=_name(rng),
            role="secretary",
            scope_code=village.code,
            phone=phones.next(),
            description=_posting_role(county.town_of(village), village, posting),
            posting=posting,
        )
        for number, (village, posting) in enumerate(postings, start=1)
    ]


def _posting_role(town: Town, village: Village, posting: Posting) -> str:
    title = "第一书记" if posting.position == "first_secretary" else "驻村工作队员"
    weak = "，软弱涣散村" if village.weak_lax else ""
    return f"{town.name}{village.name}{title}（{posting.dispatch_unit}派驻{weak}）"
