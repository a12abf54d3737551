"""Running the rules over time inside ``zoufang serve``, every ``flag_rules_interval_s`` seconds,
and with them the count of every village's figures behind the province's summary
(``api.oversight.summary``).

The evaluation repeats in the background (``api.ops.periodic``). Of several instances, one
claims each interval's turn and the others skip it; should two ever evaluate at once, the
evaluation itself makes sure only one of them works and the other finds nothing left to raise
(see ``api.flags.rules``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import Engine

from api.flags.rules import KIND_NAMES, Summary, run_time_rules
from api.ops.periodic import claim_turn, in_background, repeat
from api.oversight import summary as village_summary
from api.settings import Settings

# The first run waits a little, so that start-up (and a rolling restart) is not slowed by it.
FIRST_RUN_DELAY_S = 30.0

log = logging.getLogger(__name__)


def describe(summary: Summary) -> str:
    """One line in Chinese on what an evaluation did, for the command line and the log."""
    if summary.skipped:
        return summary.skipped

    def counts(by_kind: dict[str, int]) -> str:
        parts = "、".join(f"{KIND_NAMES.get(kind, kind)} {n}" for kind, n in sorted(by_kind.items()) if n)
        return f"{sum(by_kind.values())} 条" + (f"（{parts}）" if parts else "")

    return f"新增提示 {counts(summary.raised)}，自动解除 {counts(summary.resolved)}。"


async def evaluate_periodically(
    *,
    engine: Engine,
    settings: Settings,
    interval_s: float,
    first_delay_s: float,
    run: Callable[..., Summary] = run_time_rules,
) -> None:
    """Evaluate the rules after ``first_delay_s``, then every ``interval_s``, until cancelled."""

    def evaluate() -> str:
        if not claim_turn(engine, "flag_rules", interval_s=interval_s):
            return "定时检查：本轮已由另一个服务实例完成。"
        summary = run(engine=engine, settings=settings)
        counted = village_summary.refresh(engine, tz=settings.tz)
        return f"定时检查（{summary.today.isoformat()}）：{describe(summary)}各村数字已重新统计（{counted} 个村）。"

    await repeat(
        evaluate,
        first_delay_s=first_delay_s,
        interval_s=interval_s,
        failure="定时检查走访覆盖率、走访间隔和在村天数时出错，%s 秒后再试。",
        log=log,
    )


@asynccontextmanager
async def flag_rules_running(engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """Keep the periodic evaluation going while the app serves (not at all when the interval is 0)."""
    interval = settings.flag_rules_interval_s
    loop = (
        evaluate_periodically(
            engine=engine, settings=settings, interval_s=interval, first_delay_s=min(FIRST_RUN_DELAY_S, interval)
        )
        if interval > 0
        else None
    )
    async with in_background(loop, name="zoufang-flag-rules"):
        yield
