"""Drawing the households an inspection calls on: random, reproducible from a seed, stratified.

Inspectors test the secretary's claims, so at least half of the sample (rounded up) comes from
households with home visits logged in the last 90 days; the rest comes from households
without, to hear from those the secretary has not reached. When a village has too few of one
kind, the other kind makes up the number.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable


def draw(households: Iterable[tuple[int, bool]], size: int, seed: int) -> list[tuple[int, bool]]:
    """Pick ``size`` of the ``(household_id, had_visits)`` pairs (all of them if fewer).

    The same seed over the same households gives the same sample in the same order: the
    households are sorted by id before drawing, whatever order the database returned them in.
    """
    pairs = list(households)
    visited = sorted(h for h, had_visits in pairs if had_visits)
    unvisited = sorted(h for h, had_visits in pairs if not had_visits)
    size = min(size, len(visited) + len(unvisited))
    from_visited = min(len(visited), max(math.ceil(size / 2), size - len(unvisited)))
    rng = random.Random(seed)  # noqa: S311 - reproducible from the seed on purpose; the seed comes from secrets
    picked = [(h, True) for h in rng.sample(visited, from_visited)]
    picked += [(h, False) for h in rng.sample(unvisited, size - from_visited)]
    rng.shuffle(picked)  # the order to call on them: the strata are not to be guessed from it
    return picked
