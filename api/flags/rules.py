"""Rules over time: what only shows when the records of weeks are read together.

The evidence checks judge each record as it arrives; these rules judge a village, or a
secretary in a village, over a window of days, and are run by ``zoufang evaluate-flags`` and
regularly inside ``zoufang serve``:

- ``low_coverage`` (per village): fewer than ``low_coverage_threshold`` of its households had a
  home visit in the last ``coverage_window_days`` days, today included — the dashboard's
  ``coverage`` (a household's ``last_visit_at`` is its latest home visit, so no visit is read).
  Exactly at the threshold is not low.
- ``visit_gap`` (per village): no visit of any kind since the start of the day
  ``visit_gap_days`` days ago; a visit made today ends the gap.
- ``low_presence`` (per secretary and village): fewer than ``low_presence_min_days`` local
  days with an on-site check-in in the village in the ``presence_window_days`` complete days
  before today. Today, still under way, is left out, so that a secretary who checks in every
  morning is not flagged each midnight and cleared each morning. A check-in flagged
  ``off_site`` on arrival shows no presence (as on the dashboards). Nights — check-ins from
  20:00 to 06:00, belonging to the evening's date — are counted for the evidence.
- ``request_overdue`` (per village): villagers' requests unresolved since before the start of
  the day ``request_overdue_days`` days ago (``api.requests.service.overdue_before``). Every
  village with requests is judged, posted or not: the requests wait for whoever is in charge.
  An episode named by the oldest overdue request (``request_overdue:{village}:{request id}``):
  it stays open while any request is overdue, resolves once none is, and a dismissed one comes
  back only when its oldest request was resolved and others are still overdue.
- ``rectification_overdue`` (per measure of a rectification ledger): a measure past its deadline
  (today's local date is after it) and still open or in progress. One flag per measure, ever
  (``rectification_overdue:{measure id}``): resolved when the measure is reported done or
  confirmed (or its deadline moved past today), and never raised a second time, even if the
  town sends the measure back. Every ledger is judged, posted or not: the measures have a
  deadline whoever is in charge.

Days are local days in the deployment's time zone, computed by the database.

Who is judged: only villages with a current posting (a posting that covers today, of an active
account). A village is judged once its earliest current posting began at least a window ago,
so a new secretary is not blamed for the months before their arrival; a secretary, once their
own posting began at least a window ago. Flags about a village or secretary no longer judged
(the posting ended) are left as they are: nothing showed that the problem went away.

Raising exactly once. Each rule runs as a handful of grouped queries (nothing is read per
household or per record), then each judged subject is compared with its flags of that kind:

- while an ``open`` or ``acknowledged`` flag exists, nothing new is raised;
- ``low_coverage`` and ``low_presence`` are conditions, not events: a ``dismissed`` flag also
  keeps them quiet (a supervisor who judged it does not want it back every hour). Only after
  the flag is resolved may a new one rise, under the key ``{kind}:{subject}:{date raised}``;
- ``visit_gap`` is an episode named by the day of the last visit before it
  (``visit_gap:{village}:{date}``, or ``never``), stable while the gap lasts: a dismissed or
  resolved gap is not raised again, and the next gap, after a new visit, is a new flag.

The unique ``dedupe_key`` backs all of this: two runs that raced past the check would collide
on the same key and store one flag.

Resolving. An ``open`` or ``acknowledged`` flag whose condition no longer holds is set to
``resolved``, with a note saying what changed, and an event with no user (the system) on its
trail; a flag handled by a person since the rule read it is left to them. A dismissed flag stays
dismissed.

Several instances. The flags are written in one write transaction, after the records were read
in a read transaction of their own. On PostgreSQL the write transaction first takes a
transaction-scoped advisory lock and gives way (an empty summary with the reason) when another
instance holds it; on SQLite the shared writer connection queues the runs, and a later run
finds the earlier one's flags.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Engine, Interval, Text, and_, case, cast, func, literal, not_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from api.assignments.models import Assignment, covering
from api.auth.models import User
from api.checkins.models import Checkin
from api.clock import start_of
from api.db import utcnow, writer_engine
from api.flags.models import Flag
from api.flags.service import Finding, raise_flags
from api.flags.trail import change_status
from api.households.models import Household
from api.rectification.models import MEASURE_STATUSES, RectificationMeasure
from api.regions.models import Region
from api.requests.models import VillagerRequest
from api.requests.service import overdue_before, unresolved_since_before
from api.settings import Settings
from api.visits.models import Visit

TIME_RULE_KINDS = ("low_coverage", "visit_gap", "low_presence", "request_overdue", "rectification_overdue")
KIND_NAMES = {
    "low_coverage": "入户覆盖率低",
    "visit_gap": "长期没有走访",
    "low_presence": "驻村天数不足",
    "request_overdue": "群众诉求超期未办结",
    "rectification_overdue": "整改措施逾期",
}
ACTIVE = ("open", "acknowledged")
# Statuses that keep a condition-rule quiet; the episodes rely on their keys instead.
QUIETING = {
    "low_coverage": (*ACTIVE, "dismissed"),
    "visit_gap": ACTIVE,
    "low_presence": (*ACTIVE, "dismissed"),
    "request_overdue": ACTIVE,
    # One flag per measure, ever: whatever became of it, it keeps the measure quiet.
    "rectification_overdue": (*ACTIVE, "dismissed", "resolved"),
}
# Kinds whose subject is the flag's own ``subject_id`` (a measure), not its village and person.
PER_SUBJECT_KINDS = ("rectification_overdue",)
# The key of the PostgreSQL advisory lock held while the rules run ("zflags" and a version).
ADVISORY_LOCK_KEY = 0x7A66_6C61_6773_0001
NIGHT_FROM_HOUR = 20
NIGHT_UNTIL_HOUR = 6

# kind, village code, user id (None for a village); for PER_SUBJECT_KINDS: kind, subject id, None
Subject = tuple[str, str, int | None]


@dataclass
class Summary:
    """What one evaluation did: flags raised and resolved, by kind; or why it did nothing."""

    today: dt.date
    raised: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None


@dataclass(frozen=True)
class Verdict:
    """A judged subject: the finding when the condition holds, else the note that clears it."""

    subject: Subject
    finding: Finding | None = None
    clear_note: str = ""


def run_time_rules(
    *, engine: Engine, settings: Settings, today: dt.date | None = None, now: dt.datetime | None = None
) -> Summary:
    """Evaluate the rules, then raise and resolve flags in a short write transaction, and commit."""
    now = now or utcnow()
    today = today or now.astimezone(settings.tz).date()
    with Session(writer_engine(engine), expire_on_commit=False) as writer:
        if not _only_instance(writer):
            return Summary(today=today, skipped="另一个服务实例正在检查，本次跳过。")
        # The weeks of records are read outside the write transaction: on SQLite that keeps
        # the phones' writes waiting only while the flags themselves are written.
        with Session(engine) as reader:
            verdicts = judge(session=reader, settings=settings, today=today)
        summary = _reconcile(writer, verdicts, today=today, now=now)
        writer.commit()
    return summary


def _only_instance(writer: Session) -> bool:
    """On PostgreSQL, take the transaction's advisory lock; False when another instance holds it.

    On SQLite the writer's ``BEGIN IMMEDIATE`` queues the runs instead, and a later run finds
    the earlier one's flags.
    """
    if writer.get_bind().dialect.name != "postgresql":
        return True
    return bool(writer.execute(sa_select(func.pg_try_advisory_xact_lock(ADVISORY_LOCK_KEY))).scalar_one())


def judge(*, session: Session, settings: Settings, today: dt.date) -> list[Verdict]:
    """Every judged subject's verdict on ``today``, read from the records; writes nothing.

    Records made after ``today`` are left out, but for coverage: a household keeps only its
    latest home visit, so judging a past day counts the households visited since then as visited.
    """
    return [
        *_low_coverage(session, settings, today),
        *_visit_gap(session, settings, today),
        *_low_presence(session, settings, today),
        *_request_overdue(session, settings, today),
        *_rectification_overdue(session, today),
    ]


# --- the rules -------------------------------------------------------------------------------


def _low_coverage(session: Session, settings: Settings, today: dt.date) -> list[Verdict]:
    days = settings.coverage_window_days
    first_day = today - dt.timedelta(days=days - 1)
    posted = _posted_villages(today, started_by=first_day)
    visited = func.sum(case((col(Household.last_visit_at) >= start_of(first_day, settings.tz), 1), else_=0))
    stmt = (
        sa_select(col(Household.village_code), col(Region.name), func.count().label("households"), visited)
        .join(posted, posted.c.village_code == col(Household.village_code))
        .join(Region, col(Region.code) == col(Household.village_code))
        .group_by(col(Household.village_code), col(Region.name))
    )
    verdicts = []
    threshold = settings.low_coverage_threshold
    for code, name, households, seen in session.execute(stmt):
        seen = int(seen or 0)
        coverage = seen / households
        counts = f"{days} 天内走访 {seen}/{households} 户"
        subject: Subject = ("low_coverage", code, None)
        if coverage >= threshold:
            verdicts.append(
                Verdict(subject, clear_note=f"覆盖率已回升到 {_percent(seen, households)}（{counts}），系统自动解除。")
            )
            continue
        finding = Finding(
            kind="low_coverage",
            severity="medium",
            village_code=code,
            subject_id=f"{code}:{today.isoformat()}",
            detail=(
                f"{name}近 {days} 天入户走访覆盖率 {_percent(seen, households)}（{seen}/{households} 户），"
                f"低于 {threshold * 100:g}%。"
            ),
            evidence={
                "households": households,
                "visited": seen,
                "coverage": round(coverage, 4),
                "days": days,
                "threshold": threshold,
                "since": first_day.isoformat(),
            },
        )
        verdicts.append(Verdict(subject, finding=finding))
    return verdicts


def _visit_gap(session: Session, settings: Settings, today: dt.date) -> list[Verdict]:
    gap_days = settings.visit_gap_days
    tz = settings.tz
    gap_start = start_of(today - dt.timedelta(days=gap_days), tz)
    posted = _posted_villages(today, started_by=today - dt.timedelta(days=gap_days))
    # One backward step on ix_visit_village_code_started_at per village.
    last_visit = (
        sa_select(col(Visit.started_at))
        .where(
            col(Visit.village_code) == posted.c.village_code,
            col(Visit.started_at) < start_of(today + dt.timedelta(days=1), tz),
        )
        .order_by(col(Visit.started_at).desc())
        .limit(1)
        .correlate(posted)
        .scalar_subquery()
    )
    stmt = sa_select(posted.c.village_code, posted.c.since, col(Region.name), last_visit.label("last_visit_at")).join(
        Region, col(Region.code) == posted.c.village_code
    )
    verdicts = []
    for code, since, name, last_at in session.execute(stmt):
        subject: Subject = ("visit_gap", code, None)
        if last_at is not None and last_at >= gap_start:
            verdicts.append(
                Verdict(
                    subject, clear_note=f"{_cn_date(last_at.astimezone(tz).date())}已有新的走访记录，系统自动解除。"
                )
            )
            continue
        if last_at is None:
            days = (today - since).days
            episode = "never"
            detail = f"{name}自 {_cn_date(since)}派驻以来还没有任何走访记录（已 {days} 天）。"
        else:
            last_day = last_at.astimezone(tz).date()
            days = (today - last_day).days - 1
            episode = last_day.isoformat()
            detail = f"{name}自 {_cn_date(last_day)}以后已连续 {days} 天没有任何走访记录。"
        finding = Finding(
            kind="visit_gap",
            severity="medium",
            village_code=code,
            subject_id=f"{code}:{episode}",
            detail=detail,
            evidence={
                "last_visit_at": last_at.isoformat() if last_at is not None else None,
                "days": days,
                "threshold_days": gap_days,
            },
        )
        verdicts.append(Verdict(subject, finding=finding))
    return verdicts


def _low_presence(session: Session, settings: Settings, today: dt.date) -> list[Verdict]:
    window = settings.presence_window_days
    tz = settings.tz
    first_day, last_day = today - dt.timedelta(days=window), today - dt.timedelta(days=1)
    start, end = start_of(first_day, tz), start_of(today, tz)
    night_end = dt.datetime.combine(today, dt.time(NIGHT_UNTIL_HOUR), tzinfo=tz)
    pairs = (
        sa_select(col(Assignment.user_id), col(Assignment.village_code))
        .join(User, col(User.id) == col(Assignment.user_id))
        .where(*_current(today))
        .group_by(col(Assignment.user_id), col(Assignment.village_code))
        .having(func.min(col(Assignment.start_date)) <= first_day)
        .subquery("pairs")
    )
    people = (
        sa_select(pairs.c.user_id, pairs.c.village_code, col(User.display_name), col(Region.name))
        .join(User, col(User.id) == pairs.c.user_id)
        .join(Region, col(Region.code) == pairs.c.village_code)
    )
    calendar = _Calendar(session, tz, start, night_end)
    at = col(Checkin.at)
    night_date = calendar.day(at, minus_hours=NIGHT_UNTIL_HOUR)
    # Shifted back six hours, 20:00–06:00 becomes 14:00–24:00 of the evening's date.
    is_night = calendar.hour(at, minus_hours=NIGHT_UNTIL_HOUR) >= f"{NIGHT_FROM_HOUR - NIGHT_UNTIL_HOUR:02d}"
    off_site = cast(col(Checkin.checks), Text).like('%"off_site"%')
    counts = (
        sa_select(
            col(Checkin.user_id),
            col(Checkin.village_code),
            func.count(func.distinct(case((at < end, calendar.day(at)), else_=None))),
            func.count(func.distinct(case((and_(is_night, night_date >= first_day.isoformat()), night_date)))),
        )
        .join(pairs, and_(pairs.c.user_id == col(Checkin.user_id), pairs.c.village_code == col(Checkin.village_code)))
        .where(at >= start, at < night_end, not_(off_site))
        .group_by(col(Checkin.user_id), col(Checkin.village_code))
    )
    present = {(user, code): (int(days), int(nights)) for user, code, days, nights in session.execute(counts)}
    minimum = settings.low_presence_min_days
    verdicts = []
    for user_id, code, person, village in session.execute(people):
        days, nights = present.get((user_id, code), (0, 0))
        subject: Subject = ("low_presence", code, user_id)
        if days >= minimum:
            note = f"近 {window} 天在村签到已达 {days} 天（其中夜间 {nights} 晚），系统自动解除。"
            verdicts.append(Verdict(subject, clear_note=note))
            continue
        finding = Finding(
            kind="low_presence",
            severity="high",
            village_code=code,
            user_id=user_id,
            subject_id=f"{user_id}:{code}:{today.isoformat()}",
            detail=(
                f"{person}近 {window} 天（{_cn_date(first_day)}至{_cn_date(last_day)}）只有 {days} 天在{village}签到"
                f"（其中夜间 {nights} 晚），少于 {minimum} 天。"
            ),
            evidence={
                "days_present": days,
                "nights": nights,
                "window": window,
                "min_days": minimum,
                "since": first_day.isoformat(),
                "until": last_day.isoformat(),
            },
        )
        verdicts.append(Verdict(subject, finding=finding))
    return verdicts


def _request_overdue(session: Session, settings: Settings, today: dt.date) -> list[Verdict]:
    days = settings.request_overdue_days
    cutoff = overdue_before(today, days, settings.tz)
    overdue = unresolved_since_before(cutoff)
    waiting = col(VillagerRequest.created_at)
    # Each village's oldest overdue request names the episode.
    oldest = (
        sa_select(col(VillagerRequest.id))
        .where(col(VillagerRequest.village_code) == col(Region.code), overdue)
        .order_by(waiting, col(VillagerRequest.id))
        .limit(1)
        .correlate(Region)
        .scalar_subquery()
    )
    stmt = (
        sa_select(
            col(Region.code),
            col(Region.name),
            func.sum(case((overdue, 1), else_=0)),
            func.min(case((overdue, waiting), else_=None)),
            oldest,
        )
        .join(VillagerRequest, col(VillagerRequest.village_code) == col(Region.code))
        .group_by(col(Region.code), col(Region.name))
    )
    verdicts = []
    for code, name, count, since, oldest_id in session.execute(stmt):
        subject: Subject = ("request_overdue", code, None)
        if not count:
            note = f"已没有超过 {days} 天未办结的群众诉求，系统自动解除。"
            verdicts.append(Verdict(subject, clear_note=note))
            continue
        first_day = since.astimezone(settings.tz).date()
        finding = Finding(
            kind="request_overdue",
            severity="medium",
            village_code=code,
            subject_id=f"{code}:{oldest_id}",
            detail=f"{name}有 {count} 条群众诉求超过 {days} 天未办结，最早的一条{_cn_date(first_day)}收到。",
            evidence={"requests": int(count), "days": days, "oldest_request_id": oldest_id, "since": since.isoformat()},
        )
        verdicts.append(Verdict(subject, finding=finding))
    return verdicts


def _rectification_overdue(session: Session, today: dt.date) -> list[Verdict]:
    """Every measure past its deadline, and every measure with a flag that may be cleared."""
    measure = RectificationMeasure
    overdue = and_(col(measure.deadline) < today, col(measure.status).in_(("open", "in_progress")))
    flagged = sa_select(col(Flag.subject_id)).where(
        col(Flag.kind) == "rectification_overdue", col(Flag.status).in_(ACTIVE)
    )
    stmt = (
        sa_select(
            col(measure.id),
            col(measure.village_code),
            col(Region.name),
            col(measure.text),
            col(measure.deadline),
            col(measure.status),
            overdue,
        )
        .join(Region, col(Region.code) == col(measure.village_code))
        .where(overdue | cast(col(measure.id), Text).in_(flagged))
    )
    verdicts = []
    for measure_id, code, village, text, deadline, status, late in session.execute(stmt):
        subject: Subject = ("rectification_overdue", str(measure_id), None)
        if not late:
            if status in ("done", "confirmed"):
                note = f"整改措施已{MEASURE_STATUSES[status]}，系统自动解除。"
            else:
                note = f"整改措施的完成时限已调整为{_cn_date(deadline)}，系统自动解除。"
            verdicts.append(Verdict(subject, clear_note=note))
            continue
        days = (today - deadline).days
        short = text if len(text) <= 40 else text[:39] + "…"
        finding = Finding(
            kind="rectification_overdue",
            severity="medium",
            village_code=code,
            subject_id=str(measure_id),
            detail=f"{village}的整改措施“{short}”完成时限为{_cn_date(deadline)}，已逾期 {days} 天仍未完成。",
            evidence={"measure_id": measure_id, "deadline": deadline.isoformat(), "status": status, "days": days},
        )
        verdicts.append(Verdict(subject, finding=finding))
    return verdicts


def _current(today: dt.date) -> list[ColumnElement[bool]]:
    """Conditions for a posting that covers ``today``, of an account still in use."""
    return [
        covering(today),
        col(User.is_active).is_(True),
    ]


def _posted_villages(today: dt.date, *, started_by: dt.date) -> Any:
    """Villages with a current posting, the earliest of which began on or before ``started_by``."""
    since = func.min(col(Assignment.start_date))
    return (
        sa_select(col(Assignment.village_code), since.label("since"))
        .join(User, col(User.id) == col(Assignment.user_id))
        .where(*_current(today))
        .group_by(col(Assignment.village_code))
        .having(since <= started_by)
        .subquery("posted")
    )


# --- raising and resolving -------------------------------------------------------------------


def _reconcile(session: Session, verdicts: Iterable[Verdict], *, today: dt.date, now: dt.datetime) -> Summary:
    existing: dict[Subject, list[tuple[int, str, str]]] = defaultdict(list)
    columns = (col(Flag.id), col(Flag.kind), col(Flag.village_code), col(Flag.user_id), col(Flag.subject_id))
    stmt = sa_select(*columns, col(Flag.status), col(Flag.dedupe_key)).where(
        col(Flag.kind).in_(TIME_RULE_KINDS),
        or_(col(Flag.status).in_((*ACTIVE, "dismissed")), col(Flag.kind).in_(PER_SUBJECT_KINDS)),
    )
    for flag_id, kind, village, user_id, subject_id, status, key in session.execute(stmt):
        subject: Subject = (kind, subject_id, None) if kind in PER_SUBJECT_KINDS else (kind, village, user_id)
        existing[subject].append((flag_id, status, key))

    to_raise: dict[str, list[Finding]] = defaultdict(list)
    to_resolve: list[tuple[str, int, str, str]] = []
    for verdict in verdicts:
        kind = verdict.subject[0]
        flags = existing.get(verdict.subject, [])
        if verdict.finding is None:
            to_resolve += [
                (kind, flag_id, status, verdict.clear_note) for flag_id, status, _ in flags if status in ACTIVE
            ]
        elif not any(status in QUIETING[kind] or key == verdict.finding.dedupe_key for _, status, key in flags):
            to_raise[kind].append(verdict.finding)

    summary = Summary(today=today)
    for kind, findings in to_raise.items():
        if raised := raise_flags(session=session, findings=findings, now=now):
            summary.raised[kind] = raised
    for kind, flag_id, status, note in to_resolve:
        resolved = change_status(
            session, flag_ids=[flag_id], expected=status, to="resolved", note=note, user_id=None, now=now
        )
        if resolved:
            summary.resolved[kind] = summary.resolved.get(kind, 0) + 1
    return summary


# --- days and hours --------------------------------------------------------------------------


def _percent(part: int, whole: int) -> str:
    """A share as a percentage with one decimal at most, rounded down (59.96% is not "60%")."""
    return f"{part * 1000 // whole / 10:g}%"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class _Calendar:
    """Local dates ('YYYY-MM-DD') and hours ('HH') of stored UTC instants, computed in SQL.

    PostgreSQL knows the time zones; SQLite only adds offsets, so there the offset in force is
    chosen by a CASE over the zone's transitions between ``start`` and ``end`` (none at all in
    China, where the offset is always +08:00).
    """

    def __init__(self, session: Session, tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> None:
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.tz = tz
        self.segments = _offsets(tz, start - dt.timedelta(days=1), end + dt.timedelta(days=1))

    def day(self, at: Any, *, minus_hours: int = 0) -> ColumnElement[str]:
        return self._format(at, minus_hours, postgres="YYYY-MM-DD", sqlite="%Y-%m-%d")

    def hour(self, at: Any, *, minus_hours: int = 0) -> ColumnElement[str]:
        return self._format(at, minus_hours, postgres="HH24", sqlite="%H")

    def _format(self, at: Any, minus_hours: int, *, postgres: str, sqlite: str) -> ColumnElement[str]:
        if self.postgres:
            local: ColumnElement[dt.datetime] = func.timezone(literal(self.tz.key, Text), at, type_=DateTime())
            if minus_hours:
                local = local - literal(dt.timedelta(hours=minus_hours), Interval())
            return func.to_char(local, postgres, type_=Text)
        offset: Any = literal(f"{self.segments[-1][1]:+d} seconds")
        if len(self.segments) > 1:
            offset = case(
                *((at < until, f"{seconds:+d} seconds") for until, seconds in self.segments[:-1]),
                else_=f"{self.segments[-1][1]:+d} seconds",
            )
        return func.strftime(sqlite, at, offset, f"-{minus_hours} hours", type_=Text)


def _offsets(tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """The zone's UTC offsets (seconds) from ``start`` to ``end``: ``[(until, offset), …]``,
    the last one open-ended."""

    def offset(at: dt.datetime) -> int:
        delta = at.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    segments: list[tuple[dt.datetime, int]] = []
    at, current = start.astimezone(dt.UTC), offset(start)
    step = dt.timedelta(hours=1)
    while at < end:
        if offset(at + step) != current:
            low, high = at, at + step  # the change lies in (low, high]
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            segments.append((high, current))
            current = offset(high)
        at += step
    segments.append((end, current))
    return segments
