"""The inspection team's spot checks in the demo: the villages of problem secretaries and a few
honest ones, a few weeks ago.

They go through the same service an inspector's phone uses, so their flags (``visit_denied``,
``low_awareness``) are the ones real answers would raise. What villagers say follows the
secretary's habits: where visits were made up in bursts or with reused photos, households deny
them; where the secretary hardly ever enters homes, few know who the secretary is.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from api.auth.models import User
from api.auth.principal import Principal
from api.demo.fieldwork import Problem
from api.inspections.models import SampledHousehold
from api.inspections.schemas import MAX_SEED, AnswerIn, InspectionCreate
from api.inspections.service import create_inspection, record_answers
from api.settings import Settings

HONEST_VILLAGES = 5
SAMPLE_SIZE = 12
REACHED = 0.85  # some are out in the fields or working in the city


@dataclass(frozen=True)
class Villagers:
    """How the households of one secretary's village answer."""

    knows: float  # a reached household knows the first secretary
    recalls: float  # a household with logged home visits remembers one


HONEST = Villagers(knows=0.96, recalls=1.0)
# Whose logged visits were (partly) made up, and who is hardly ever seen in anyone's home.
BY_PROBLEM = {
    "implausible_pace": Villagers(knows=0.6, recalls=0.3),
    "duplicate_photo": Villagers(knows=0.6, recalls=0.4),
    "few_home_visits": Villagers(knows=0.4, recalls=1.0),  # the few visits logged were real
}


def inspect_villages(
    session: Session,
    rng: random.Random,
    *,
    villages: dict[str, str],
    problems: list[Problem],
    inspector: User,
    settings: Settings,
    now: dt.datetime,
) -> int:
    """Inspect the problem secretaries' villages and a few honest ones; ``villages`` maps each
    secretary's username to their village. Returns how many inspections were made."""
    chosen = {p.username: BY_PROBLEM[p.kind] for p in problems if p.kind in BY_PROBLEM}
    suspects = {villages[p.username] for p in problems}
    # One secretary a village: a village is inspected once.
    honest = sorted({v: name for name, v in sorted(villages.items()) if v not in suspects}.values())
    chosen.update({name: HONEST for name in rng.sample(honest, min(HONEST_VILLAGES, len(honest)))})
    by = Principal.for_user(inspector)
    for username, villagers in sorted(chosen.items()):
        when = now - dt.timedelta(days=rng.randint(7, 28), hours=rng.randint(0, 6))
        data = InspectionCreate(village_code=villages[username], sample_size=SAMPLE_SIZE, seed=rng.randrange(MAX_SEED))
        inspection = create_inspection(session=session, data=data, by=by, now=when)
        sampled = session.exec(
            select(SampledHousehold.household_id, SampledHousehold.had_visits)
            .where(col(SampledHousehold.inspection_id) == inspection.id)
            .order_by(col(SampledHousehold.position))
        ).all()
        answers = [_answer(rng, household_id, had_visits, villagers) for household_id, had_visits in sampled]
        assert inspection.id is not None
        record_answers(session=session, inspection_id=inspection.id, items=answers, by=by, settings=settings, now=when)
    return len(chosen)


def _answer(rng: random.Random, household_id: int, had_visits: bool, villagers: Villagers) -> AnswerIn:
    answer_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    if rng.random() >= REACHED:
        return AnswerIn(id=answer_id, household_id=household_id, reached=False)
    knows = rng.random() < villagers.knows
    recalls = had_visits and rng.random() < villagers.recalls
    satisfied = rng.choices(["yes", "unsure", "no"], weights=[8, 1, 1] if knows else [3, 4, 3])[0]
    return AnswerIn(
        id=answer_id,
        household_id=household_id,
        reached=True,
        knows_secretary=knows,
        recalls_visit=recalls,
        satisfied=satisfied,
    )
