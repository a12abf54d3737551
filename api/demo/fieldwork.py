"""The demo's field records, planned in memory: months of each secretary's working days.

A demo county with empty visit lists shows nothing of what the system is for, which is
telling honest field work from the made-up kind. So every secretary gets the last months of
records a real phone would have sent — a morning check-in (驻村签到) on most days, a few home
visits (入户走访) on working days between 09:00 and 18:00 with lunch in between, the weekly
party meeting (三会一课), now and then a talk with a villager group or a service done, the
evening work log — with GPS where the work was done, notes and villagers' requests in plain
Chinese, and a photo on some visits.

A few secretaries, chosen by the seed, behave the way supervisors are trained to spot, so that
each evidence check has something to find: one checks in daily but hardly ever enters a home;
one logs bursts of home visits minutes apart; one attaches the same photos again and again;
one checks in from the county seat; one sends photos taken days before the visit.

Planning is pure (a seeded ``random.Random`` in, records out), so the same seed gives the same
records; only the dates move with today, so that the demo always looks current. The records
end yesterday, so none is in the future whenever in the day the demo is loaded.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from api.checkins.schemas import CheckinIn
from api.demo import texts
from api.visits.schemas import RequestIn, VisitIn, VisitKind

FIELD_DAYS = 120
# Share of home visits with a photo: enough for the photo checks and the galleries, few enough
# that the whole demo loads in well under a minute (each photo is decoded, hashed and stored).
PHOTO_SHARE = 0.15
REQUEST_SHARE = 1 / 6

_M_PER_DEG_LAT = 111_320.0


RETURN_VISIT_SHARE = 0.15


@dataclass(frozen=True)
class Home:
    """A household as the planner needs it."""

    id: int
    lat: float
    lon: float
    tags: list[str]
    group: str


@dataclass(frozen=True)
class Post:
    """A secretary and the village they work in."""

    username: str
    village_code: str
    lat: float
    lon: float
    radius_m: int
    homes: list[Home]


@dataclass(frozen=True)
class PlannedPhoto:
    """A photo to upload; the same ``content_seed``, time and place make the same bytes."""

    id: str
    content_seed: int
    taken_local: dt.datetime
    lat: float
    lon: float


@dataclass
class Fieldwork:
    """Everything one secretary's phone sends, in time order."""

    username: str
    photos: list[PlannedPhoto] = field(default_factory=list)
    visits: list[VisitIn] = field(default_factory=list)
    checkins: list[CheckinIn] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """A secretary planned to misbehave, and the flag kind a supervisor should find."""

    username: str
    kind: str  # a flag kind, or "few_home_visits" (no flag: found by comparing coverage)
    description: str


@dataclass(frozen=True)
class FieldPlan:
    fieldwork: list[Fieldwork]
    problems: list[Problem]
    # Requests a secretary followed up on: id → (new status, category).
    followed_up: dict[str, tuple[str, str]]


@dataclass
class _Habits:
    """How a secretary works; the problem secretaries differ from the rest in one of these."""

    visits_per_day: tuple[int, ...] = (3, 3, 4, 4, 5, 5)
    home_visit_days: set[dt.date] | None = None  # only these days, when set
    burst_share: float = 0.0
    photo_share: float = PHOTO_SHARE
    reuse_photos: bool = False
    photo_skew_share: float = 0.0
    offsite_checkin_share: float = 0.0


def plan_fieldwork(
    rng: random.Random,
    posts: list[Post],
    *,
    seat: tuple[float, float],
    today: dt.date,
    days: int,
    tz: ZoneInfo,
) -> FieldPlan:
    """Records for ``days`` days before ``today`` (local dates in ``tz``) for every post.

    ``seat`` is the county seat, where a secretary who does not live in the village checks in.
    """
    dates = [today - dt.timedelta(days=back) for back in range(days, 0, -1)]
    habits, problems = _choose_problems(rng, posts, seat=seat, dates=dates)
    followed_up: dict[str, tuple[str, str]] = {}
    fieldwork = []
    for post in posts:
        planner = _Planner(random.Random(rng.getrandbits(64)), post, habits[post.username], seat=seat, tz=tz)
        for day in dates:
            planner.plan_day(day, follow_up=(today - day).days > 14)
        fieldwork.append(planner.work)
        followed_up.update(planner.followed_up)
    return FieldPlan(fieldwork=fieldwork, problems=problems, followed_up=followed_up)


def _choose_problems(
    rng: random.Random, posts: list[Post], *, seat: tuple[float, float], dates: list[dt.date]
) -> tuple[dict[str, _Habits], list[Problem]]:
    habits = {post.username: _Habits() for post in posts}
    if len(posts) < 5:
        return habits, []
    # The secretary checking in from the county seat works in a village 15–30 km from it, as
    # most villages of the towns and townships are.
    distance = {p.username: _metres(p.lat, p.lon, *seat) for p in posts}
    far = [p for p in posts if 15_000 <= distance[p.username] <= 30_000]
    offsite = rng.choice(far) if far else max(posts, key=lambda p: distance[p.username])
    rare, pace, reuse, skewed = rng.sample([p for p in posts if p is not offsite], 4)

    habits[offsite.username].offsite_checkin_share = 0.75
    habits[offsite.username].visits_per_day = (1, 2, 2, 3)
    working_days = [d for d in dates if d.weekday() < 5]
    habits[rare.username].home_visit_days = set(rng.sample(working_days, min(5, len(working_days))))
    habits[pace.username].burst_share = 0.3
    habits[reuse.username].reuse_photos = True
    habits[reuse.username].photo_share = 0.5
    habits[skewed.username].photo_skew_share = 0.6
    habits[skewed.username].photo_share = 0.35
    problems = [
        Problem(rare.username, "few_home_visits", "天天签到，却几乎不入户走访"),
        Problem(pace.username, "implausible_pace", "常在几分钟内连续“走访”五六户"),
        Problem(reuse.username, "duplicate_photo", "反复使用同一批照片"),
        Problem(offsite.username, "off_site", f"多在县城签到，距所驻村约 {distance[offsite.username] / 1000:.0f} 公里"),
        Problem(skewed.username, "photo_time_mismatch", "照片的拍摄时间与走访时间相差数天"),
    ]
    return habits, problems


class _Planner:
    """One secretary's days, planned one after another."""

    def __init__(self, rng: random.Random, post: Post, habits: _Habits, *, seat: tuple[float, float], tz: ZoneInfo):
        self.rng = rng
        self.post = post
        self.habits = habits
        self.seat = seat
        self.tz = tz
        self.work = Fieldwork(post.username)
        self.followed_up: dict[str, tuple[str, str]] = {}
        self.round: list[Home] = []
        self.photo_pool: list[PlannedPhoto] = []
        self.meeting_weekday = rng.choice((1, 2, 3, 4))
        # The village committee's office, where meetings are held and the secretary lives.
        self.office = self._near(post.lat, post.lon, post.radius_m * rng.uniform(0.05, 0.3))

    def plan_day(self, day: dt.date, *, follow_up: bool) -> None:
        rng = self.rng
        weekend = day.weekday() >= 5
        if rng.random() > (0.3 if weekend else 0.93):
            return  # on leave, at a county meeting, or home for the weekend
        self._checkin(day)
        clock = self._at(day, 9, rng.randint(0, 50))
        burst = not weekend and rng.random() < self.habits.burst_share
        home_visits = self._home_visits(day, weekend)
        slots: list[VisitKind] = ["home_visit"] * (min(home_visits, 2) if burst else home_visits)
        if not weekend:
            if day.weekday() == self.meeting_weekday and rng.random() < 0.85:
                slots.insert(rng.randint(0, len(slots)), "meeting")
            if rng.random() < 0.12:
                slots.insert(rng.randint(0, len(slots)), "group_talk")
            if rng.random() < 0.2:
                slots.insert(rng.randint(0, len(slots)), "service")
        lunch_done = False
        for kind in slots:
            if not lunch_done and clock.hour >= 12:
                clock = self._at(day, 13, rng.randint(30, 70))
                lunch_done = True
            if clock.hour >= 18 or (clock.hour == 17 and clock.minute > 40):
                break
            clock = self._record(kind, clock, follow_up=follow_up) + dt.timedelta(minutes=rng.randint(5, 40))
        clock = max(clock, self._at(day, 14, rng.randint(0, 60))) + dt.timedelta(minutes=30)
        if burst and clock.hour < 17:
            homes = rng.sample(self.post.homes, min(len(self.post.homes), rng.randint(5, 8)))
            for home in homes:
                self._home_visit(home, clock, follow_up=follow_up)
                clock += dt.timedelta(seconds=rng.randint(120, 180))
        if not weekend and rng.random() < (0.85 if self.habits.home_visit_days is not None else 0.6):
            self._village_work("log", self._at(day, rng.randint(19, 21), rng.randint(0, 59)), texts.log_notes(rng))

    def _home_visits(self, day: dt.date, weekend: bool) -> int:
        if self.habits.home_visit_days is not None:
            return int(day in self.habits.home_visit_days)
        if weekend:
            return self.rng.choice((0, 1, 1, 2))
        return self.rng.choice(self.habits.visits_per_day)

    def _record(self, kind: VisitKind, at: dt.datetime, *, follow_up: bool) -> dt.datetime:
        """Record one piece of work starting at ``at``; returns when it ended."""
        rng = self.rng
        if kind == "home_visit":
            self._home_visit(self._next_home(), at, follow_up=follow_up)
            return at + dt.timedelta(minutes=rng.randint(20, 40))
        if kind == "meeting":
            self._village_work("meeting", at, texts.meeting_notes(rng))
            return at + dt.timedelta(minutes=rng.randint(60, 90))
        if kind == "group_talk":
            home = rng.choice(self.post.homes)
            self._village_work("group_talk", at, texts.group_talk_notes(rng, home.group), where=home)
            return at + dt.timedelta(minutes=rng.randint(40, 70))
        self._village_work("service", at, texts.service_notes(rng))
        return at + dt.timedelta(minutes=rng.randint(30, 60))

    def _next_home(self) -> Home:
        """A diligent secretary works through the whole village before starting again, with a
        return visit now and then; picking at random would leave half the village unvisited."""
        if self.rng.random() < RETURN_VISIT_SHARE:
            return self.rng.choice(self.post.homes)
        if not self.round:
            self.round = self.rng.sample(self.post.homes, len(self.post.homes))
        return self.round.pop()

    def _checkin(self, day: dt.date) -> None:
        rng = self.rng
        if rng.random() < self.habits.offsite_checkin_share:
            lat, lon = self._near(*self.seat, rng.uniform(100, 1500))
        else:
            lat, lon = self._near(*self.office, rng.uniform(5, 60))
        self.work.checkins.append(
            CheckinIn(
                id=self._uuid(),
                village_code=self.post.village_code,
                at=self._at(day, 7, rng.randint(30, 115)),
                lat=lat,
                lon=lon,
                accuracy_m=float(rng.randint(8, 30)),
            )
        )

    def _home_visit(self, home: Home, at: dt.datetime, *, follow_up: bool) -> None:
        rng = self.rng
        accuracy = float(rng.randint(6, 25))
        lat, lon = self._near(home.lat, home.lon, rng.uniform(0, accuracy / 2))
        requests = []
        if rng.random() < REQUEST_SHARE:
            for _ in range(1 if rng.random() < 0.9 else 2):
                category, text = texts.villager_request(rng)
                request = RequestIn(id=self._uuid(), category=category, text=text)
                requests.append(request)
                roll = rng.random()
                if follow_up and roll < 0.65:
                    self.followed_up[str(request.id)] = ("resolved" if roll < 0.45 else "in_progress", category)
        photo_ids = [self._photo(at, lat, lon)] if rng.random() < self.habits.photo_share else []
        self.work.visits.append(
            VisitIn(
                id=self._uuid(),
                kind="home_visit",
                household_id=home.id,
                started_at=at,
                lat=lat,
                lon=lon,
                accuracy_m=accuracy,
                notes=texts.visit_notes(rng, home.tags),
                requests=requests,
                photo_ids=photo_ids,
            )
        )

    def _village_work(self, kind: VisitKind, at: dt.datetime, notes: str, *, where: Home | None = None) -> None:
        rng = self.rng
        accuracy = float(rng.randint(10, 30))
        lat, lon = self._near(*((where.lat, where.lon) if where else self.office), rng.uniform(0, accuracy / 2))
        self.work.visits.append(
            VisitIn(
                id=self._uuid(),
                kind=kind,
                village_code=self.post.village_code,
                started_at=at,
                lat=lat,
                lon=lon,
                accuracy_m=accuracy,
                notes=notes,
            )
        )

    def _photo(self, visit_at: dt.datetime, lat: float, lon: float) -> uuid.UUID:
        """A photo for a visit at ``visit_at``: a new one, or for some secretaries an old one."""
        rng = self.rng
        if self.habits.reuse_photos and len(self.photo_pool) >= 3 and rng.random() < 0.7:
            old = rng.choice(self.photo_pool)
            if rng.random() < 0.5:
                return uuid.UUID(old.id)  # the very same upload attached again
            copy = PlannedPhoto(str(self._uuid()), old.content_seed, old.taken_local, old.lat, old.lon)
            self.work.photos.append(copy)  # the same file uploaded again under a new id
            return uuid.UUID(copy.id)
        taken = visit_at + dt.timedelta(minutes=rng.randint(1, 15))
        if rng.random() < self.habits.photo_skew_share:
            taken -= dt.timedelta(days=rng.randint(2, 6), minutes=rng.randint(0, 600))
        plat, plon = self._near(lat, lon, rng.uniform(0, 15))
        photo = PlannedPhoto(str(self._uuid()), rng.getrandbits(63), taken, plat, plon)
        self.work.photos.append(photo)
        if self.habits.reuse_photos and len(self.photo_pool) < 3:
            self.photo_pool.append(photo)
        return uuid.UUID(photo.id)

    def _at(self, day: dt.date, hour: int, minute: int) -> dt.datetime:
        local = dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)
        return local + dt.timedelta(hours=hour, minutes=minute, seconds=self.rng.randint(0, 59))

    def _near(self, lat: float, lon: float, metres: float) -> tuple[float, float]:
        """A point ``metres`` from (lat, lon) in a random direction."""
        angle = self.rng.uniform(0, 2 * math.pi)
        dlat = metres * math.cos(angle) / _M_PER_DEG_LAT
        dlon = metres * math.sin(angle) / (_M_PER_DEG_LAT * math.cos(math.radians(lat)))
        return round(lat + dlat, 6), round(lon + dlon, 6)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))
