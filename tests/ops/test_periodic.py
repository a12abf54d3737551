"""Periodic work that several instances share: one of them runs each interval's turn."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from api.db import make_engine
from api.ops.periodic import claim_turn
from api.settings import Settings

HOUR = 3600
T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def test_one_claim_per_interval(engine: Engine) -> None:
    assert claim_turn(engine, "flag_rules", interval_s=HOUR, now=T0)
    assert not claim_turn(engine, "flag_rules", interval_s=HOUR, now=T0 + timedelta(minutes=1))
    assert not claim_turn(engine, "flag_rules", interval_s=HOUR, now=T0 + timedelta(minutes=50))
    assert claim_turn(engine, "flag_rules", interval_s=HOUR, now=T0 + timedelta(minutes=57))
    assert claim_turn(engine, "another_job", interval_s=HOUR, now=T0 + timedelta(minutes=58))


def test_of_instances_asking_at_the_same_moment_exactly_one_runs(settings: Settings, engine: Engine) -> None:
    instances = [make_engine(settings) for _ in range(6)]  # each its own pool, as separate processes
    start = threading.Barrier(len(instances))
    answers: list[bool] = []

    def ask(instance: Engine, at: datetime) -> None:
        start.wait(timeout=30)
        answers.append(claim_turn(instance, "flag_rules", interval_s=HOUR, now=at))

    try:
        for at in (T0, T0 + timedelta(hours=1)):  # the very first turn (an insert), then a later one
            answers.clear()
            threads = [threading.Thread(target=ask, args=(instance, at)) for instance in instances]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(answers) == [False] * 5 + [True], at
    finally:
        for instance in instances:
            instance.dispose()
