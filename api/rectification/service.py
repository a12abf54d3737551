"""The ledger of a village's rectification: who may write it, writing it, reading it whole.

Writers of problems and measures are the supervisors within scope, and a secretary only in a
village where a posting of theirs covers today (a secretary whose posting ended keeps no pen in
the old village). Every change is a ``RectificationEvent`` in the same transaction, so the
history shown under the ledger always matches it. Any village may keep a ledger: the weak-lax
mark says why a county looks closely, not who may write down a problem.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.assignments.service import is_posted
from api.auth.models import SUPERVISOR_ROLES, User
from api.auth.principal import Principal
from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.records import select_map
from api.rectification.models import (
    MEASURE_STATUSES,
    PROBLEM_CATEGORIES,
    RESPONSIBLE,
    RectificationEvent,
    RectificationMeasure,
    RectificationProblem,
    RectificationProgress,
)
from api.rectification.schemas import (
    ACTION_LABELS,
    EventOut,
    LedgerOut,
    LedgerSummary,
    MeasureIn,
    MeasureOut,
    MeasureUpdate,
    ProblemIn,
    ProblemOut,
    ProblemUpdate,
    ProgressOut,
)
from api.regions.models import Region

OPEN_STATUSES = ("open", "in_progress")
DONE_STATUSES = ("done", "confirmed")
# Progress reports, newest first: by when they were written on the phone, then when they arrived.
NEWEST_FIRST = (col(RectificationProgress.at).desc(), col(RectificationProgress.received_at).desc())
# Chunks of village codes per query: well inside what both databases accept as parameters.
_CHUNK = 500


def is_overdue(measure: RectificationMeasure, today: dt.date) -> bool:
    """Past its deadline (the local date after it has begun) and not yet reported done."""
    return measure.deadline < today and measure.status in OPEN_STATUSES


# --- who may do what -------------------------------------------------------------------------


def village_in_scope(session: Session, code: str, *, by: Principal) -> Region:
    """The village, if it is one and the principal sees it; else 404 telling nothing."""
    by.require_covers(code, what="村")
    village = session.get(Region, code)
    if village is None or village.level != "village":
        raise NotFound("村不存在，或不在您的管辖范围内。")
    return village


def require_ledger_writer(session: Session, village: Region, *, by: Principal, today: dt.date) -> int:
    """The writer's user id, if they may write the village's problems and measures."""
    if by.user is None or by.user.id is None:
        raise Forbidden("API 令牌只能读取数据，不能修改。")
    if by.role in SUPERVISOR_ROLES:
        return by.user.id
    if by.role == "secretary":
        if is_posted(session=session, user_id=by.user.id, village_code=village.code, day=today):
            return by.user.id
        raise Forbidden(f"您今天没有派驻在{village.name}，不能修改该村的整改台账。")
    raise Forbidden("您的角色无权修改整改台账。")


def require_reviewer(by: Principal, *roles: str, action: str) -> int:
    if by.user is None or by.user.id is None or by.role not in roles:
        raise Forbidden(f"您的角色无权{action}。")
    return by.user.id


# --- history ---------------------------------------------------------------------------------


def add_event(
    session: Session,
    *,
    village_code: str,
    action: str,
    user_id: int | None,
    now: dt.datetime,
    problem_id: int | None = None,
    measure_id: int | None = None,
    note: str | None = None,
) -> None:
    session.add(
        RectificationEvent(
            village_code=village_code,
            problem_id=problem_id,
            measure_id=measure_id,
            action=action,
            note=note,
            user_id=user_id,
            at=now,
        )
    )


def _open_ledger(session: Session, village: Region) -> str | None:
    """A new problem or measure puts the village under rectification; an accepted one reopens.

    Returns the words the event adds when an accepted rectification is reopened.
    """
    if village.rectification_status == "rectifying":
        return None
    reopened = village.rectification_status == "accepted"
    village.rectification_status = "rectifying"
    session.add(village)
    return "整改已验收通过，新增后重新进入整改。" if reopened else None


# --- problems and measures -------------------------------------------------------------------


def _check_found_on(found_on: dt.date | None, today: dt.date) -> None:
    if found_on is not None and found_on > today:
        raise InvalidInput("发现日期不能晚于今天。", loc=("body", "found_on"))


def add_problem(
    session: Session, *, code: str, data: ProblemIn, by: Principal, today: dt.date, now: dt.datetime
) -> RectificationProblem:
    village = village_in_scope(session, code, by=by)
    user_id = require_ledger_writer(session, village, by=by, today=today)
    _check_found_on(data.found_on, today)
    problem = RectificationProblem(
        village_code=village.code, created_by=user_id, created_at=now, updated_at=now, **data.model_dump()
    )
    session.add(problem)
    reopened = _open_ledger(session, village)
    session.flush()
    note = summary_of(problem.description) + (f"（{reopened}）" if reopened else "")
    add_event(
        session,
        village_code=village.code,
        action="problem_added",
        problem_id=problem.id,
        user_id=user_id,
        now=now,
        note=note,
    )
    session.flush()
    return problem


def _problem_for_writer(
    session: Session, problem_id: int, *, by: Principal, today: dt.date
) -> tuple[RectificationProblem, Region, int]:
    problem = session.get(RectificationProblem, problem_id)
    if problem is None or not by.covers(problem.village_code):
        raise NotFound("该问题不存在，或不在您的管辖范围内。")
    village = village_in_scope(session, problem.village_code, by=by)
    return problem, village, require_ledger_writer(session, village, by=by, today=today)


def update_problem(
    session: Session, *, problem_id: int, data: ProblemUpdate, by: Principal, today: dt.date, now: dt.datetime
) -> RectificationProblem:
    problem, village, user_id = _problem_for_writer(session, problem_id, by=by, today=today)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    _check_found_on(changes.get("found_on"), today)
    if changes:
        for field, value in changes.items():
            setattr(problem, field, value)
        problem.updated_at = now
        session.add(problem)
        add_event(
            session,
            village_code=village.code,
            action="problem_changed",
            problem_id=problem.id,
            user_id=user_id,
            now=now,
            note=summary_of(problem.description),
        )
        session.flush()
    return problem


def add_measure(
    session: Session, *, problem_id: int, data: MeasureIn, by: Principal, today: dt.date, now: dt.datetime
) -> RectificationMeasure:
    problem, village, user_id = _problem_for_writer(session, problem_id, by=by, today=today)
    measure = RectificationMeasure(
        problem_id=problem_id,
        village_code=village.code,
        status="open",
        created_at=now,
        updated_at=now,
        **data.model_dump(),
    )
    session.add(measure)
    reopened = _open_ledger(session, village)
    session.flush()
    note = f"{summary_of(measure.text)}，完成时限 {measure.deadline.isoformat()}" + (
        f"（{reopened}）" if reopened else ""
    )
    add_event(
        session,
        village_code=village.code,
        action="measure_added",
        problem_id=problem.id,
        measure_id=measure.id,
        user_id=user_id,
        now=now,
        note=note,
    )
    session.flush()
    return measure


def update_measure(
    session: Session, *, measure_id: int, data: MeasureUpdate, by: Principal, today: dt.date, now: dt.datetime
) -> RectificationMeasure:
    measure = session.get(RectificationMeasure, measure_id)
    if measure is None or not by.covers(measure.village_code):
        raise NotFound("该整改措施不存在，或不在您的管辖范围内。")
    village = village_in_scope(session, measure.village_code, by=by)
    user_id = require_ledger_writer(session, village, by=by, today=today)
    if measure.status == "confirmed":
        raise Conflict("这项措施乡镇已确认完成，不能再修改。")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if changes:
        before = measure.deadline
        for field, value in changes.items():
            setattr(measure, field, value)
        measure.updated_at = now
        session.add(measure)
        note = summary_of(measure.text)
        if measure.deadline != before:
            note += f"，完成时限由 {before.isoformat()} 改为 {measure.deadline.isoformat()}"
        add_event(
            session,
            village_code=village.code,
            action="measure_changed",
            problem_id=measure.problem_id,
            measure_id=measure.id,
            user_id=user_id,
            now=now,
            note=note,
        )
        session.flush()
    return measure


def summary_of(text: str, length: int = 60) -> str:
    """The start of a long text, for a line of the history."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"


# --- reading ---------------------------------------------------------------------------------


def ledger(session: Session, *, code: str, by: Principal, today: dt.date) -> LedgerOut:
    """The village's whole ledger: problems, their measures and progress, and the history."""
    village = village_in_scope(session, code, by=by)
    problems = list(
        session.exec(
            select(RectificationProblem)
            .where(RectificationProblem.village_code == code)
            .order_by(col(RectificationProblem.found_on), col(RectificationProblem.id))
        )
    )
    measures = list(
        session.exec(
            select(RectificationMeasure)
            .where(RectificationMeasure.village_code == code)
            .order_by(col(RectificationMeasure.deadline), col(RectificationMeasure.id))
        )
    )
    of_village = select(RectificationProgress).where(RectificationProgress.village_code == code)
    reports = list(session.exec(of_village.order_by(*NEWEST_FIRST)))
    events = list(
        session.exec(
            select(RectificationEvent)
            .where(RectificationEvent.village_code == code)
            .order_by(col(RectificationEvent.at).desc(), col(RectificationEvent.id).desc())
        )
    )
    names = user_names(
        session,
        {p.created_by for p in problems} | {r.user_id for r in reports} | {e.user_id for e in events if e.user_id},
    )
    measures_of: dict[int, list[MeasureOut]] = defaultdict(list)
    for measure in _measures_out(measures, reports, names, today):
        measures_of[measure.problem_id].append(measure)
    return LedgerOut(
        village_code=village.code,
        village_name=village.name,
        rectification_status=village.rectification_status,
        summary=_summary(len(problems), measures, today),
        problems=[problem_out(p, names, measures_of.get(p.id or 0, [])) for p in problems],
        history=[event_out(e, names) for e in events],
    )


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    return select_map(session, User.id, User.display_name, set(ids))


def progress_out(report: RectificationProgress, names: dict[int, str]) -> ProgressOut:
    return ProgressOut(
        id=report.id,
        measure_id=report.measure_id,
        at=report.at,
        received_at=report.received_at,
        user_id=report.user_id,
        user_name=names.get(report.user_id, ""),
        text=report.text,
        photo_ids=list(report.photo_ids),
        marks_done=report.marks_done,
    )


def measure_out(measure: RectificationMeasure, today: dt.date, progress: Sequence[ProgressOut]) -> MeasureOut:
    assert measure.id is not None
    return MeasureOut(
        id=measure.id,
        problem_id=measure.problem_id,
        text=measure.text,
        target=measure.target,
        deadline=measure.deadline,
        responsible=measure.responsible,
        responsible_label=RESPONSIBLE[measure.responsible],
        status=measure.status,
        status_label=MEASURE_STATUSES[measure.status],
        overdue=is_overdue(measure, today),
        returned_reason=measure.returned_reason,
        done_at=measure.done_at,
        confirmed_at=measure.confirmed_at,
        progress=list(progress),
        updated_at=measure.updated_at,
    )


def measure_with_progress(session: Session, measure: RectificationMeasure, today: dt.date) -> MeasureOut:
    [shown] = _with_progress(session, [measure], today)
    return shown


def _with_progress(session: Session, measures: Sequence[RectificationMeasure], today: dt.date) -> list[MeasureOut]:
    """The measures as the API shows them, their progress read in one query."""
    ids = [m.id for m in measures]
    reports = list(
        session.exec(
            select(RectificationProgress).where(col(RectificationProgress.measure_id).in_(ids)).order_by(*NEWEST_FIRST)
        )
    )
    return _measures_out(measures, reports, user_names(session, {r.user_id for r in reports}), today)


def _measures_out(
    measures: Sequence[RectificationMeasure],
    reports: Sequence[RectificationProgress],
    names: dict[int, str],
    today: dt.date,
) -> list[MeasureOut]:
    """Each measure with its own reports (given newest first), in the measures' order."""
    progress_of: dict[int, list[ProgressOut]] = defaultdict(list)
    for report in reports:
        progress_of[report.measure_id].append(progress_out(report, names))
    return [measure_out(m, today, progress_of.get(m.id or 0, [])) for m in measures]


def problem_out(problem: RectificationProblem, names: dict[int, str], measures: Sequence[MeasureOut]) -> ProblemOut:
    assert problem.id is not None
    return ProblemOut(
        id=problem.id,
        category=problem.category,
        category_label=PROBLEM_CATEGORIES[problem.category],
        description=problem.description,
        found_by=problem.found_by,
        found_on=problem.found_on,
        created_by=problem.created_by,
        created_by_name=names.get(problem.created_by, ""),
        created_at=problem.created_at,
        measures=list(measures),
    )


def problem_with_measures(session: Session, problem: RectificationProblem, today: dt.date) -> ProblemOut:
    measures = session.exec(
        select(RectificationMeasure)
        .where(RectificationMeasure.problem_id == problem.id)
        .order_by(col(RectificationMeasure.deadline), col(RectificationMeasure.id))
    ).all()
    names = user_names(session, {problem.created_by})
    return problem_out(problem, names, _with_progress(session, measures, today))


def event_out(event: RectificationEvent, names: dict[int, str]) -> EventOut:
    assert event.id is not None
    return EventOut(
        id=event.id,
        action=event.action,
        action_label=ACTION_LABELS[event.action],
        problem_id=event.problem_id,
        measure_id=event.measure_id,
        note=event.note,
        user_id=event.user_id,
        user_name=names.get(event.user_id) if event.user_id else None,
        at=event.at,
    )


def _summary(problems: int, measures: Sequence[RectificationMeasure], today: dt.date) -> LedgerSummary:
    return LedgerSummary(
        problems=problems,
        measures=len(measures),
        measures_done=sum(m.status in DONE_STATUSES for m in measures),
        measures_confirmed=sum(m.status == "confirmed" for m in measures),
        measures_overdue=sum(is_overdue(m, today) for m in measures),
    )


def summaries(session: Session, codes: Sequence[str], today: dt.date) -> dict[str, LedgerSummary]:
    """Each village's ledger in figures, for lists of villages (the overview, the bulletin).

    Two grouped queries per 500 villages, whatever their number. Only villages with at least one
    problem appear: a village missing from the answer keeps no ledger.
    """
    found: dict[str, LedgerSummary] = {}
    ordered = sorted(set(codes))
    measure = RectificationMeasure
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        problems = sa_select(col(RectificationProblem.village_code), func.count()).where(
            col(RectificationProblem.village_code).in_(chunk)
        )
        for code, count in session.execute(problems.group_by(col(RectificationProblem.village_code))):
            found[code] = LedgerSummary(problems=int(count))
        status = col(measure.status)
        overdue = (col(measure.deadline) < today) & status.in_(OPEN_STATUSES)
        figures = (
            sa_select(
                col(measure.village_code),
                func.count(),
                func.sum(case((status.in_(DONE_STATUSES), 1), else_=0)),
                func.sum(case((status == "confirmed", 1), else_=0)),
                func.sum(case((overdue, 1), else_=0)),
            )
            .where(col(measure.village_code).in_(chunk))
            .group_by(col(measure.village_code))
        )
        for code, total, done, confirmed, late in session.execute(figures):
            summary = found.setdefault(code, LedgerSummary())
            summary.measures = int(total)
            summary.measures_done = int(done or 0)
            summary.measures_confirmed = int(confirmed or 0)
            summary.measures_overdue = int(late or 0)
    return found
