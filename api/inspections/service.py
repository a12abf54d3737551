"""Inspections: drawing the sample, recording answers exactly once, and what they add up to.

Who sees what:
- supervisors and inspectors (and read-only API tokens) see every inspection in their scope;
- a village's secretaries see an ``open`` inspection from the start and an ``undercover`` one
  only once it is published, and they never see the sampled households or the results
  before publication.

Answers come from an inspector's phone, possibly more than once: each carries the phone's
UUID, a resend with the same content changes nothing, and each household answers once. A
household that says it was never visited although home visits were logged for it raises one
``visit_denied`` flag; a finished inspection whose awareness rate is below the setting raises
one ``low_awareness`` flag.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.assignments.models import Assignment, covering
from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import Principal, require_roles
from api.errors import InvalidInput, NotFound
from api.flags.service import Finding, raise_flags
from api.households.models import Household
from api.inspections import sampling
from api.inspections.models import Inspection, InspectionAnswer, SampledHousehold
from api.inspections.schemas import (
    MAX_SEED,
    AnswerIn,
    AnswerResult,
    Discrepancy,
    HouseholdAnswer,
    InspectionCreate,
    InspectionOut,
    InspectionSummary,
    SampledHouseholdOut,
)
from api.records import content_hash, insert_new, resend_outcome, select_map
from api.regions.models import Region
from api.regions.service import require_village
from api.settings import Settings
from api.shares import share
from api.visits.models import Visit

CLAIM_DAYS = 90
INSPECTOR_ROLES = (*SUPERVISOR_ROLES, "inspector")
READER_ROLES = (*INSPECTOR_ROLES, "api_token", "secretary")
EVIDENCE_VISITS = 20


# --- who sees what --------------------------------------------------------------------------


def visible(by: Principal) -> ColumnElement[bool]:
    """SQL condition: the inspections ``by`` may know of (scope, and secretaries' restriction)."""
    condition = by.where_under(Inspection.village_code)
    if by.role == "secretary":
        return condition & or_(col(Inspection.mode) == "open", col(Inspection.published_at).is_not(None))
    return condition


def results_hidden(by: Principal, inspection: Inspection) -> bool:
    return by.role == "secretary" and inspection.published_at is None


def get_visible(session: Session, inspection_id: int, by: Principal, *, lock: bool = False) -> Inspection:
    """The inspection if ``by`` may see it, else 404 (nothing leaks about undercover ones)."""
    require_roles(by, *READER_ROLES, action="查看督查抽查")
    stmt = select(Inspection).where(col(Inspection.id) == inspection_id, visible(by))
    inspection = session.exec(stmt.with_for_update() if lock else stmt).first()
    if inspection is None:
        raise NotFound("该督查抽查不存在，或不在您的管辖范围内。")
    return inspection


# --- drawing the sample ---------------------------------------------------------------------


def create_inspection(*, session: Session, data: InspectionCreate, by: Principal, now: dt.datetime) -> Inspection:
    require_roles(by, *INSPECTOR_ROLES, action="发起督查抽查")
    village = require_village(session=session, code=data.village_code, by=by)
    since = now - dt.timedelta(days=CLAIM_DAYS)
    had_visits = case((col(Household.last_visit_at) >= since, True), else_=False)
    households = session.execute(
        sa_select(col(Household.id), had_visits).where(col(Household.village_code) == village.code)
    ).all()
    if not households:
        raise InvalidInput(f"{village.name}还没有农户名册，无法抽查。请先导入农户。", loc=("body", "village_code"))
    seed = data.seed if data.seed is not None else secrets.randbelow(MAX_SEED + 1)
    assert by.user is not None
    assert by.user.id is not None
    inspection = Inspection(
        village_code=village.code,
        mode=data.mode,
        seed=seed,
        sample_size=0,
        created_by=by.user.id,
        created_at=now,
    )
    picked = sampling.draw(((h, bool(v)) for h, v in households), data.sample_size, seed)
    inspection.sample_size = len(picked)
    session.add(inspection)
    session.flush()
    assert inspection.id is not None
    session.add_all(
        SampledHousehold(inspection_id=inspection.id, household_id=h, position=i, had_visits=v)
        for i, (h, v) in enumerate(picked)
    )
    session.flush()
    return inspection


# --- answers ---------------------------------------------------------------------------------


def record_answers(
    *,
    session: Session,
    inspection_id: int,
    items: Sequence[AnswerIn],
    by: Principal,
    settings: Settings,
    now: dt.datetime,
) -> tuple[Inspection, list[AnswerResult]]:
    """Store the new answers; one result per item, in order."""
    require_roles(by, *INSPECTOR_ROLES, action="录入督查回答")
    # Locked, so two phones sending answers for one inspection are taken one after the other.
    inspection = get_visible(session, inspection_id, by, lock=True)
    assert inspection.id is not None
    assert by.user is not None
    assert by.user.id is not None
    sampled = set(
        session.exec(select(SampledHousehold.household_id).where(col(SampledHousehold.inspection_id) == inspection.id))
    )
    # Answers already stored under these ids, and which inspection they belong to.
    stored: dict[str, tuple[int, str]] = {
        answer_id: (owner, digest)
        for answer_id, owner, digest in session.execute(
            sa_select(
                col(InspectionAnswer.id), col(InspectionAnswer.inspection_id), col(InspectionAnswer.content_hash)
            ).where(col(InspectionAnswer.id).in_(sorted({str(a.id) for a in items})))
        )
    }
    answered: dict[int, str] = dict(
        session.execute(
            sa_select(col(InspectionAnswer.household_id), col(InspectionAnswer.id)).where(
                col(InspectionAnswer.inspection_id) == inspection.id
            )
        ).all()
    )
    logged = _logged_home_visits(session, {a.household_id for a in items}, now=now)
    results: list[AnswerResult] = []
    new_rows = []
    for item in items:
        answer_id, digest = str(item.id), content_hash(item)
        if answer_id in stored and stored[answer_id][0] != inspection.id:
            results.append(_refused(item, "conflict", f"编号 {answer_id} 已用于另一次抽查的回答。"))
        elif answer_id in stored:
            outcome = resend_outcome(answer_id, stored[answer_id][1], digest)
            detail = outcome.error.detail if outcome.error else None
            results.append(
                AnswerResult(id=answer_id, household_id=item.household_id, status=outcome.status, detail=detail)
            )
        elif item.household_id not in sampled:
            results.append(_refused(item, "rejected", f"第 {item.household_id} 号农户不在这次抽查的样本里。"))
        elif item.household_id in answered:
            results.append(_refused(item, "conflict", f"这户已经有回答（编号 {answered[item.household_id]}）。"))
        else:
            stored[answer_id] = (inspection.id, digest)
            answered[item.household_id] = answer_id
            new_rows.append(
                {
                    **item.model_dump(exclude={"id"}),
                    "id": answer_id,
                    "inspection_id": inspection.id,
                    "logged_visits_90d": len(logged.get(item.household_id, [])),
                    "content_hash": digest,
                    "answered_by": by.user.id,
                    "received_at": now,
                }
            )
            results.append(AnswerResult(id=answer_id, household_id=item.household_id, status="created"))
    insert_new(session, InspectionAnswer, new_rows)
    denied = [
        r["household_id"] for r in new_rows if r["reached"] and r["recalls_visit"] is False and r["logged_visits_90d"]
    ]
    names = select_map(session, Household.id, Household.head_name, set(denied))
    findings = [_denial(inspection, h, names.get(h, str(h)), logged[h]) for h in denied]
    raise_flags(session=session, findings=findings, now=now)
    if len(answered) == len(sampled):
        judge_awareness(session=session, inspection=inspection, settings=settings, now=now)
    return inspection, results


def _refused(item: AnswerIn, status: str, detail: str) -> AnswerResult:
    return AnswerResult(id=str(item.id), household_id=item.household_id, status=status, detail=detail)


@dataclass(frozen=True)
class LoggedVisit:
    id: str
    user_id: int
    started_at: dt.datetime


def _logged_home_visits(session: Session, households: set[int], *, now: dt.datetime) -> dict[int, list[LoggedVisit]]:
    """The home visits logged for these households in the 90 days up to ``now``, newest first."""
    stmt = (
        sa_select(col(Visit.household_id), col(Visit.id), col(Visit.user_id), col(Visit.started_at))
        .where(
            col(Visit.household_id).in_(sorted(households)),
            col(Visit.kind) == "home_visit",
            col(Visit.started_at) >= now - dt.timedelta(days=CLAIM_DAYS),
            col(Visit.started_at) <= now,
        )
        .order_by(col(Visit.started_at).desc())
    )
    found: dict[int, list[LoggedVisit]] = defaultdict(list)
    for household_id, visit_id, user_id, started_at in session.execute(stmt):
        found[household_id].append(LoggedVisit(visit_id, user_id, started_at))
    return found


def _denial(inspection: Inspection, household_id: int, name: str, visits: list[LoggedVisit]) -> Finding:
    """A ``visit_denied`` finding: the household ``name`` says nobody came, yet ``visits`` were logged."""
    return Finding(
        kind="visit_denied",
        severity="high",
        village_code=inspection.village_code,
        user_id=visits[0].user_id,
        subject_id=f"{inspection.id}:{household_id}",
        detail=(
            f"督查抽查（第 {inspection.id} 号）中，{name}户说近 {CLAIM_DAYS} 天没有人来走访过，"
            f"但系统里记有 {len(visits)} 次入户走访。"
        ),
        evidence={
            "inspection_id": inspection.id,
            "household_id": household_id,
            "head_name": name,
            "logged_visits_90d": len(visits),
            "visits": [
                {"id": v.id, "user_id": v.user_id, "started_at": v.started_at.isoformat()}
                for v in visits[:EVIDENCE_VISITS]
            ],
        },
    )


# --- what the answers add up to --------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Counts over one inspection's answers, and the rates they give (None when nothing to divide)."""

    answered: int = 0
    reached: int = 0
    knows: int = 0
    with_visits: int = 0
    recalls: int = 0
    satisfied: int = 0

    @property
    def awareness_rate(self) -> float | None:
        """Households reached that know their first secretary."""
        return share(self.knows, self.reached)

    @property
    def recall_rate(self) -> float | None:
        """Households reached with logged visits that remember being visited."""
        return share(self.recalls, self.with_visits)

    @property
    def satisfaction_rate(self) -> float | None:
        """Households reached that say they are satisfied ("unsure" is not satisfied)."""
        return share(self.satisfied, self.reached)


def tallies(session: Session, *where: ColumnElement[bool]) -> dict[int, Tally]:
    """A tally per inspection, for the answers matching ``where``, in one grouped query."""
    a = InspectionAnswer
    reached = col(a.reached)
    had_visits = reached & (col(a.logged_visits_90d) > 0)

    def count_of(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    stmt = (
        sa_select(
            col(a.inspection_id),
            func.count(),
            count_of(reached),
            count_of(reached & col(a.knows_secretary)),
            count_of(had_visits),
            count_of(had_visits & col(a.recalls_visit)),
            count_of(reached & (col(a.satisfied) == "yes")),
        )
        .where(*where)
        .group_by(col(a.inspection_id))
    )
    return {row[0]: Tally(*row[1:]) for row in session.execute(stmt)}


def judge_awareness(*, session: Session, inspection: Inspection, settings: Settings, now: dt.datetime) -> None:
    """Raise ``low_awareness`` (once) when the inspection's awareness rate is below the setting."""
    tally = tallies(session, col(InspectionAnswer.inspection_id) == inspection.id).get(inspection.id or 0, Tally())
    rate = tally.awareness_rate
    threshold = settings.low_awareness_threshold
    if rate is None or rate >= threshold:
        return
    village = session.get(Region, inspection.village_code)
    name = village.name if village else inspection.village_code
    finding = Finding(
        kind="low_awareness",
        severity="high",
        village_code=inspection.village_code,
        user_id=_first_secretary(session, inspection, settings.tz),
        subject_id=str(inspection.id),
        detail=(
            f"督查抽查（第 {inspection.id} 号）见到的 {tally.reached} 户中，只有 {tally.knows} 户"
            f"知道{name}的第一书记（知晓率 {rate * 100:.1f}%），低于 {threshold * 100:g}%。"
        ),
        evidence={
            "inspection_id": inspection.id,
            "reached": tally.reached,
            "knows_secretary": tally.knows,
            "awareness_rate": rate,
            "threshold": threshold,
        },
    )
    raise_flags(session=session, findings=[finding], now=now)


def _first_secretary(session: Session, inspection: Inspection, tz: ZoneInfo) -> int | None:
    """Who the villagers should have known: the first secretary posted there on the inspection's day."""
    day = inspection.created_at.astimezone(tz).date()
    return session.exec(
        select(Assignment.user_id)
        .where(
            col(Assignment.village_code) == inspection.village_code,
            col(Assignment.position) == "first_secretary",
            covering(day),
        )
        .order_by(col(Assignment.start_date).desc())
    ).first()


def publish(*, session: Session, inspection_id: int, by: Principal, settings: Settings, now: dt.datetime) -> Inspection:
    """Make the results visible to the village's secretaries (a second call changes nothing)."""
    require_roles(by, *INSPECTOR_ROLES, action="公布督查结果")
    inspection = get_visible(session, inspection_id, by, lock=True)
    if inspection.published_at is None:
        inspection.published_at = now
        session.add(inspection)
        judge_awareness(session=session, inspection=inspection, settings=settings, now=now)
    return inspection


def latest_awareness(session: Session, codes: Sequence[str]) -> dict[str, float]:
    """Per village: the awareness rate of its latest inspection with a household reached."""
    stmt = (
        sa_select(col(Inspection.village_code), col(Inspection.id))
        .join(InspectionAnswer, col(InspectionAnswer.inspection_id) == col(Inspection.id))
        .where(col(Inspection.village_code).in_(codes), col(InspectionAnswer.reached))
        .group_by(col(Inspection.village_code), col(Inspection.id))
    )
    latest: dict[str, int] = {}
    for code, inspection_id in session.execute(stmt):
        latest[code] = max(latest.get(code, 0), inspection_id)
    counts = tallies(session, col(InspectionAnswer.inspection_id).in_(latest.values()))
    return {
        code: rate
        for code, inspection_id in latest.items()
        if (rate := counts[inspection_id].awareness_rate) is not None
    }


# --- reading ---------------------------------------------------------------------------------


def summaries(session: Session, inspections: Sequence[Inspection], by: Principal) -> list[InspectionSummary]:
    """A page of inspections with their rates: one query for the names, one for the tallies."""
    names = dict(
        session.execute(
            sa_select(col(Region.code), col(Region.name)).where(
                col(Region.code).in_({i.village_code for i in inspections})
            )
        ).all()
    )
    counts = tallies(session, col(InspectionAnswer.inspection_id).in_([i.id for i in inspections]))
    return [
        InspectionSummary(
            **_header(i, names.get(i.village_code, i.village_code)),
            **_rates(Tally() if results_hidden(by, i) else counts.get(i.id or 0, Tally())),
        )
        for i in inspections
    ]


def _header(inspection: Inspection, village_name: str) -> dict[str, object]:
    return {
        "id": inspection.id,
        "village_code": inspection.village_code,
        "village_name": village_name,
        "mode": inspection.mode,
        "seed": inspection.seed,
        "sample_size": inspection.sample_size,
        "created_at": inspection.created_at,
        "published_at": inspection.published_at,
    }


def _rates(tally: Tally) -> dict[str, object]:
    return {
        "answered": tally.answered,
        "reached": tally.reached,
        "knows_secretary_count": tally.knows,
        "logged_visits_count": tally.with_visits,
        "recalls_visit_count": tally.recalls,
        "satisfied_count": tally.satisfied,
        "awareness_rate": tally.awareness_rate,
        "recall_rate": tally.recall_rate,
        "satisfaction_rate": tally.satisfaction_rate,
    }


def view(session: Session, inspection: Inspection, by: Principal) -> InspectionOut:
    """The inspection as ``by`` may see it."""
    assert inspection.id is not None
    village = session.get(Region, inspection.village_code)
    hidden = results_hidden(by, inspection)
    tally = (
        Tally()
        if hidden
        else tallies(session, col(InspectionAnswer.inspection_id) == inspection.id).get(inspection.id, Tally())
    )
    households = None if hidden else _sampled(session, inspection.id)
    return InspectionOut(
        **_header(inspection, village.name if village else inspection.village_code),
        **_rates(tally),
        households=households,
        discrepancies=[] if hidden else _discrepancies(session, inspection.id),
    )


def _sampled(session: Session, inspection_id: int) -> list[SampledHouseholdOut]:
    """The sample in visiting order, each household with its answer once it has one."""
    stmt = (
        select(Household, InspectionAnswer)
        .join(SampledHousehold, col(SampledHousehold.household_id) == col(Household.id))
        .outerjoin(
            InspectionAnswer,
            (col(InspectionAnswer.inspection_id) == inspection_id)
            & (col(InspectionAnswer.household_id) == col(Household.id)),
        )
        .where(col(SampledHousehold.inspection_id) == inspection_id)
        .order_by(col(SampledHousehold.position))
    )
    return [
        SampledHouseholdOut(
            household_id=h.id,
            head_name=h.head_name,
            group_name=h.group_name,
            address=h.address,
            answer=HouseholdAnswer.model_validate(a, from_attributes=True) if a is not None else None,
        )
        for h, a in session.exec(stmt)
    ]


def _discrepancies(session: Session, inspection_id: int) -> list[Discrepancy]:
    stmt = (
        sa_select(col(InspectionAnswer.household_id), col(Household.head_name), col(InspectionAnswer.logged_visits_90d))
        .join(Household, col(Household.id) == col(InspectionAnswer.household_id))
        .where(
            col(InspectionAnswer.inspection_id) == inspection_id,
            col(InspectionAnswer.reached),
            col(InspectionAnswer.recalls_visit).is_(False),
            col(InspectionAnswer.logged_visits_90d) > 0,
        )
        .order_by(col(InspectionAnswer.household_id))
    )
    return [
        Discrepancy(household_id=h, head_name=name, logged_visits_90d=n, recalls_visit=False)
        for h, name, n in session.execute(stmt)
    ]
