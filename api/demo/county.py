"""Loading the demo county (``zoufang demo``) into an empty database.

A new deployment, a training session or a screenshot needs a county that looks real: towns,
about 120 villages of which some are weak and lax, 30,000 households, people in every role
to log in as, and months of their field records with the flags a supervisor would look into.
The county is planned in memory from the seed (``places``, ``people``, ``fieldwork``) and
written in one transaction, so a failure leaves the database as it was. It is only ever
written into an empty database: demo households mixed into a real county's ledger could not
be told apart afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from api.assignments.models import Assignment
from api.auth.models import User
from api.auth.passwords import hash_password
from api.db import utcnow
from api.demo.fieldwork import FIELD_DAYS, Home, Post, Problem, plan_fieldwork
from api.demo.inspections import inspect_villages
from api.demo.ledgers import write_ledgers
from api.demo.names import MobileNumbers
from api.demo.people import Person, plan_people
from api.demo.places import County, Town, plan_county
from api.demo.records import FieldCounts, flag_counts, write_fieldwork
from api.households.models import Household
from api.photos.storage import PhotoStore, open_photo_store
from api.regions.models import Region
from api.settings import Settings

DEMO_PASSWORD = "zoufang-demo"  # noqa: S105 - a published demo password, printed with the logins


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    description: str


@dataclass(frozen=True)
class DemoSummary:
    towns: int
    villages: int
    weak_lax_villages: int
    households: int
    secretaries: int
    assignments: int
    logins: list[DemoLogin]
    # Field records (all zero when only the county was loaded).
    field_days: int = 0
    visits: int = 0
    home_visits: int = 0
    checkins: int = 0
    photos: int = 0
    requests: int = 0
    flags: dict[str, int] = field(default_factory=dict)  # open flags by kind
    inspections: int = 0
    ledger_villages: int = 0  # weak-and-lax villages with a rectification ledger
    measures: int = 0
    public_messages: int = 0
    problems: list[Problem] = field(default_factory=list)  # the secretaries planned to misbehave


class DemoNotEmpty(ValueError):
    """The database already has places or demo usernames; the demo is never mixed in."""


def populate(
    *,
    engine: Engine,
    seed: int = 1,
    settings: Settings | None = None,
    store: PhotoStore | None = None,
    days: int = FIELD_DAYS,
) -> DemoSummary:
    """Fill an empty, migrated database with the demo county of ``seed``.

    With ``settings``, the secretaries' field records of the last ``days`` days are loaded too,
    through the record services with those settings' thresholds and time zone, and the photos
    into ``store`` (by default the store the settings name). Without settings only the county
    is loaded: field records need to know where the deployment keeps its photos.

    Everything but the dates (kept relative to today, so that the demo always looks current)
    and the creation timestamps is the same for the same seed.
    """
    rng = random.Random(seed)
    phones = MobileNumbers(rng)
    county = plan_county(rng, phones)
    people = plan_people(rng, county, phones, today=dt.date.today())
    with Session(engine) as session, session.begin():
        _refuse_unless_empty(session, [person.username for person in people])
        now = utcnow()
        session.execute(insert(Region), _region_rows(county, now))
        session.execute(insert(Household), _household_rows(county, now))
        user_ids = _add_users(session, people, now)
        assignments = [
            {
                "user_id": user_ids[person.username],
                "village_code": person.posting.village_code,
                "position": person.posting.position,
                "dispatch_unit": person.posting.dispatch_unit,
                "start_date": person.posting.start_date,
                "end_date": None,
                "created_at": now,
            }
            for person in people
            if person.posting is not None
        ]
        session.execute(insert(Assignment), assignments)
        field_counts, problems, inspections, ledgers = None, [], 0, None
        if settings is not None and days > 0:
            # A stream of its own, so that adding records never changes the county of a seed.
            field_rng = random.Random(f"zoufang-demo-fieldwork:{seed}")
            posts = _posts(session, county, people)
            plan = plan_fieldwork(
                field_rng,
                posts,
                seat=(county.lat, county.lon),
                today=now.astimezone(settings.tz).date(),
                days=days,
                tz=settings.tz,
            )
            secretaries = session.exec(select(User).where(User.role == "secretary")).all()
            field_counts = write_fieldwork(
                session,
                plan,
                users={user.username: user for user in secretaries},
                settings=settings,
                store=store if store is not None else open_photo_store(settings),
                now=now,
            )
            problems = plan.problems
            inspections = inspect_villages(
                session,
                random.Random(f"zoufang-demo-inspections:{seed}"),
                villages={post.username: post.village_code for post in posts},
                problems=problems,
                inspector=session.exec(select(User).where(User.role == "inspector")).one(),
                settings=settings,
                now=now,
            )
            ledgers = write_ledgers(session, random.Random(f"zoufang-demo-ledgers:{seed}"), settings=settings, now=now)
            field_counts = replace(field_counts, flags=flag_counts(session))
    villages = county.villages
    return DemoSummary(
        towns=len(county.towns),
        villages=len(villages),
        weak_lax_villages=sum(v.weak_lax for v in villages),
        households=sum(len(v.households) for v in villages),
        secretaries=sum(person.role == "secretary" for person in people),
        assignments=len(assignments),
        logins=[DemoLogin(p.role, p.username, DEMO_PASSWORD, p.description) for p in people],
        **_field_summary(field_counts, days=days),
        inspections=inspections,
        ledger_villages=ledgers.villages if ledgers else 0,
        measures=ledgers.measures if ledgers else 0,
        public_messages=ledgers.messages if ledgers else 0,
        problems=problems,
    )


def _posts(session: Session, county: County, people: list[Person]) -> list[Post]:
    """Each posted secretary with their village and its households (with their new ids)."""
    villages = {v.code: v for v in county.villages}
    posted = [p for p in people if p.posting is not None]
    codes = {p.posting.village_code for p in posted if p.posting is not None}
    ids: dict[tuple[str, str], int] = {
        (code, number): hid
        for hid, code, number in session.exec(
            select(Household.id, Household.village_code, Household.household_no).where(
                col(Household.village_code).in_(codes)
            )
        )
        if hid is not None and number is not None
    }
    posts = []
    for person in posted:
        assert person.posting is not None
        village = villages[person.posting.village_code]
        homes = [
            Home(ids[(village.code, h.household_no)], h.lat, h.lon, h.tags, h.group_name) for h in village.households
        ]
        posts.append(Post(person.username, village.code, village.lat, village.lon, village.radius_m, homes))
    return posts


def _field_summary(counts: FieldCounts | None, *, days: int) -> dict[str, Any]:
    if counts is None:
        return {}
    return {
        "field_days": days,
        "visits": counts.visits,
        "home_visits": counts.home_visits,
        "checkins": counts.checkins,
        "photos": counts.photos,
        "requests": counts.requests,
        "flags": counts.flags,
    }


def _refuse_unless_empty(session: Session, usernames: list[str]) -> None:
    if session.exec(select(Region.code).limit(1)).first() is not None:
        raise DemoNotEmpty("数据库中已有区划数据：演示县只能装入空数据库，以免与真实数据混在一起。")
    taken = session.exec(select(User.username).where(col(User.username).in_(usernames))).all()
    if taken:
        raise DemoNotEmpty(f"用户名 {'、'.join(sorted(taken))} 已被占用：演示县只能装入空数据库。")


def _region_rows(county: County, now: dt.datetime) -> list[dict[str, Any]]:
    """The county, then its towns, then their villages: parents before children."""
    unclassified: dict[str, Any] = {
        "radius_m": None,
        "kind": None,
        "weak_lax": False,
        "weak_lax_reasons": [],
        "rectification_status": "none",
        "plan": None,
        "created_at": now,
        "updated_at": now,
    }
    above_villages: list[tuple[County | Town, str, str | None]] = [
        (county, "county", None),
        *((town, "town", county.code) for town in county.towns),
    ]
    rows = [
        {
            **unclassified,
            "code": place.code,
            "name": place.name,
            "level": level,
            "parent_code": parent,
            "lat": place.lat,
            "lon": place.lon,
        }
        for place, level, parent in above_villages
    ]
    rows += [
        {
            **unclassified,
            "code": village.code,
            "name": village.name,
            "level": "village",
            "parent_code": village.town_code,
            "lat": village.lat,
            "lon": village.lon,
            "radius_m": village.radius_m,
            "kind": village.kind,
            "weak_lax": village.weak_lax,
            "weak_lax_reasons": village.weak_lax_reasons,
            "rectification_status": village.rectification_status,
            "plan": village.plan,
        }
        for village in county.villages
    ]
    return rows


def _household_rows(county: County, now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "village_code": village.code,
            "household_no": h.household_no,
            "head_name": h.head_name,
            "group_name": h.group_name,
            "address": h.address,
            "phone": h.phone,
            "tags": h.tags,
            "lat": h.lat,
            "lon": h.lon,
            "last_visit_at": None,
            "visit_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for village in county.villages
        for h in village.households
    ]


def _add_users(session: Session, people: list[Person], now: dt.datetime) -> dict[str, int]:
    """Create the accounts; their ids by username."""
    # argon2 is slow on purpose (~50 ms a hash). Every demo account has the same published
    # password, so one hash, computed once, serves all of them.
    password_hash = hash_password(DEMO_PASSWORD)
    users = [
        User(
            username=person.username,
            display_name=person.display_name,
            phone=person.phone,
            role=person.role,
            scope_code=person.scope_code,
            password_hash=password_hash,
            created_at=now,
        )
        for person in people
    ]
    session.add_all(users)
    session.flush()
    ids: dict[str, int] = {}
    for user in users:
        assert user.id is not None
        ids[user.username] = user.id
    return ids
