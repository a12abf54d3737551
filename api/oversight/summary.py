"""A summary above the villages: one row per county (or town) for a province or city.

Counting 20,000 villages from the rollups reads millions of rows (5,000,000 households for
coverage alone), seconds on every call. So each village's overview figures are kept in
``village_summary``, counted afresh by the periodic run with the very code the village pages
use (``dashboard.village_rows``, 90 days), and a summary adds those up: one indexed read of a
row per village. The summary says how old its figures are (``as_of``, the oldest row used); a
village without a row yet, such as one added since the last count, is counted live. The count
runs with the rules (``ZOUFANG_FLAG_RULES_INTERVAL_S``); with the rules turned off, every
summary counts its villages live.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, namedtuple
from collections.abc import Sequence
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.db import upsert_insert, utcnow, writer_engine
from api.errors import InvalidInput
from api.oversight.dashboard import CHUNK, COVERAGE_DAYS, village_chunk, village_rows
from api.oversight.models import VillageSummary
from api.oversight.schemas import AreaRow, AreaSummary, VillageRow
from api.regions import codes
from api.regions.models import Region
from api.shares import share

Level = Literal["county", "town"]
_PREFIX_ENDS: dict[Level, int] = {"county": 6, "town": 9}


# What the summary adds up of one village: the columns of ``VillageSummary`` after its key and
# time, read from a village's dashboard row (``posted``: someone is posted there).
_Figures = namedtuple(
    "_Figures",
    ["posted", "households", "households_visited", "visits", "home_visits", "open_flags", "open_requests", "cue"],
)


def _figures_of(row: VillageRow) -> _Figures:
    return _Figures(bool(row.secretaries), *(getattr(row, name) for name in _Figures._fields[1:]))


_FIGURE_COLUMNS = [col(getattr(VillageSummary, name)) for name in _Figures._fields]


def refresh(engine: Engine, *, tz: ZoneInfo, now: dt.datetime | None = None) -> int:
    """Count every village's figures afresh, a chunk of villages at a time; the number counted.

    Each chunk is read in a session of its own and written in a short transaction of its own
    (an upsert, so two instances counting at once never collide), so phones' writes never wait
    for more than one chunk's rows.
    """
    now = now or utcnow()
    today = now.astimezone(tz).date()
    counted, after = 0, None
    while True:
        rows, more = village_chunk(engine, true(), after, days=COVERAGE_DAYS, today=today, tz=tz, now=now)
        if rows:
            _keep(engine, rows, now)
        counted += len(rows)
        if more is None:
            return counted
        after = more


def _keep(engine: Engine, rows: Sequence[VillageRow], now: dt.datetime) -> None:
    with Session(writer_engine(engine)) as writer:
        insert = upsert_insert(writer.connection().dialect.name, VillageSummary)
        kept = ("as_of", *_Figures._fields)
        writer.execute(
            insert.on_conflict_do_update(
                index_elements=["village_code"], set_={name: insert.excluded[name] for name in kept}
            ),
            [{"village_code": r.village_code, "as_of": now, **_figures_of(r)._asdict()} for r in rows],
        )
        writer.commit()


def area_summary(session: Session, *, scope_prefix: str, by: Level, today: dt.date, tz: ZoneInfo) -> AreaSummary:
    """One row per county (or town) under ``scope_prefix``, from the kept figures of its villages.

    A scope inside one county has no counties to compare: ``by=county`` there is refused rather
    than answered with a county row that holds only part of the county.
    """
    if len(scope_prefix) > _PREFIX_ENDS[by]:
        raise InvalidInput("按县合计需要县或更大的管辖范围；乡镇的合计请用 by=town。", loc=("query", "by"))
    stored = session.execute(
        sa_select(col(Region.code), col(Region.weak_lax), col(VillageSummary.as_of), *_FIGURE_COLUMNS)
        .outerjoin(VillageSummary, col(VillageSummary.village_code) == col(Region.code))
        .where(col(Region.level) == "village", codes.under(col(Region.code), scope_prefix))
    ).all()
    figures = {code: _Figures(*values) for code, _, as_of, *values in stored if as_of is not None}
    weak_lax = {code: is_weak_lax for code, is_weak_lax, *_ in stored}
    oldest = min((as_of for _, _, as_of, *_ in stored if as_of is not None), default=None)
    missing = [code for code in weak_lax if code not in figures]
    for start in range(0, len(missing), CHUNK):  # a chunk at a time: a statement's parameters are bounded
        villages = session.exec(select(Region).where(col(Region.code).in_(missing[start : start + CHUNK]))).all()
        chunk = village_rows(session=session, villages=villages, days=COVERAGE_DAYS, today=today, tz=tz)
        figures.update((row.village_code, _figures_of(row)) for row in chunk)
    if missing:
        oldest = oldest or utcnow()
    return AreaSummary(by=by, days=COVERAGE_DAYS, as_of=oldest, items=_add_up(session, by, figures, weak_lax))


def _add_up(session: Session, by: Level, figures: dict[str, _Figures], weak_lax: dict[str, bool]) -> list[AreaRow]:
    end = _PREFIX_ENDS[by]
    areas: dict[str, list[str]] = defaultdict(list)
    for code in sorted(figures):
        areas[code[:end].ljust(codes.CODE_LENGTH, "0")].append(code)
    names = dict(
        session.execute(sa_select(col(Region.code), col(Region.name)).where(col(Region.code).in_(areas))).all()
    )
    rows = []
    for area, villages in areas.items():
        posted = [figures[v] for v in villages if figures[v].posted]
        households = sum(f.households for f in posted)
        visited = sum(f.households_visited for f in posted)
        cues = [f.cue for f in posted]
        rows.append(
            AreaRow(
                code=area,
                name=names.get(area),
                villages=len(villages),
                posted_villages=len(posted),
                weak_lax_villages=sum(weak_lax[v] for v in villages),
                households=households,
                households_visited=visited,
                coverage=share(visited, households),
                visits=sum(f.visits for f in posted),
                home_visits=sum(f.home_visits for f in posted),
                red=cues.count("red"),
                amber=cues.count("amber"),
                green=cues.count("green"),
                open_flags=sum(f.open_flags for f in posted),
                open_requests=sum(f.open_requests for f in posted),
            )
        )
    return rows
