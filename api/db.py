"""Database engine, sessions and the conventions every table shares.

One engine per app. SQLite gets WAL, foreign keys and a busy timeout on every connection so
that the embedded default behaves like PostgreSQL where it matters (constraints enforced,
readers never blocked by a writer), and one shared connection for its writers. The request
session commits when the route returns and rolls back when it raises, so services only
``flush``.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    TypeDecorator,
    and_,
    event,
    true,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine

from api.ops.admission import InLine
from api.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ON_ROLLBACK = "zoufang_on_rollback"
metadata: MetaData = SQLModel.metadata
# Connections beyond one per place in line: the hourly rules, the photo sweep, readiness probes.
SPARE_CONNECTIONS = 4
_WRITERS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


def upsert_insert(dialect: str, table: Any) -> Any:
    """An INSERT into ``table`` that can take ``on_conflict_do_update``: both databases spell it
    alike, but each through its own dialect's construct."""
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


def json_dumps(value: Any) -> str:
    # Keep Chinese readable in the database, so text search over JSON columns works.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database, its pool sized for the admission line.

    Every request that holds a place in line (``api.ops.admission``) may hold one connection,
    and a few more serve the hourly rules, the photo sweep and readiness probes; the pool
    never grows past that, so a request waits for a place in line rather than for a connection.
    """
    url = make_url(settings.effective_database_url)
    pool = {"pool_size": settings.max_active_requests + SPARE_CONNECTIONS, "max_overflow": 0}
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url, pool_pre_ping=True, pool_timeout=settings.queue_timeout_s, json_serializer=json_dumps, **pool
        )
    if url.database and url.database != ":memory:":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    else:
        pool = {}  # an in-memory database lives in one connection per thread
    engine = _sqlite_engine(url, settings, begin="DEFERRED", pool_timeout=settings.queue_timeout_s, **pool)
    if pool:
        # One connection for every writer of this process, as SQLite has one write lock per file.
        writer = _sqlite_engine(
            url,
            settings,
            begin="IMMEDIATE",
            pool_size=1,
            max_overflow=0,
            pool_timeout=settings.sqlite_busy_timeout_ms / 1000,
        )
        _WRITERS[engine] = writer
        event.listen(engine, "engine_disposed", lambda _engine: writer.dispose())
    return engine


def _sqlite_engine(url: URL, settings: Settings, *, begin: str, **pool: Any) -> Engine:
    engine = create_engine(
        url,
        json_serializer=json_dumps,
        connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_ms / 1000},
        **pool,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off so that the "begin" hook below
        # decides how each transaction starts (and SAVEPOINTs work as documented).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        conn.exec_driver_sql(f"BEGIN {begin}")

    return engine


def writer_engine(engine: Engine) -> Engine:
    """The engine for work that writes.

    On SQLite it has a single connection, shared by every writer in the process, whose
    transactions start with ``BEGIN IMMEDIATE``. Writers therefore wait their turn in order for
    that connection instead of polling SQLite's lock: a transaction that starts as a reader and
    later writes can fail at once with "database is locked" when another writer got in
    between, and many writers polling one lock may wait past any timeout, unfairly. The
    ``BEGIN IMMEDIATE`` still orders this process against others on the same file (a command
    run beside the server). PostgreSQL needs nothing of the kind.
    """
    return _WRITERS.get(engine, engine)


async def get_session(request: Request, _place: InLine) -> AsyncIterator[Session]:
    """One session per request, used only while the request holds a place in line.

    Made and closed on the event loop, not in a worker thread: making a session touches no
    database, and the route ends its transaction in its own thread
    (``api.routing.CommittingRoute``), so that no connection, and no SQLite write lock, is held
    while the request waits for a thread to write its response. Closing a session with no
    transaction open costs nothing; only work a route left unfinished is finished here, in a
    thread. Every hop to a thread pool costs the request a few tenths of a millisecond.
    """
    state = request.app.state
    engine = state.engine if request.method in READ_METHODS else writer_engine(state.engine)
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        if _unfinished(session):
            await run_in_threadpool(abandon, session)
        raise
    else:
        if _unfinished(session):
            await run_in_threadpool(finish, session)
    finally:
        session.close()


def _unfinished(session: Session) -> bool:
    return session.in_transaction() or bool(session.info.get(_ON_ROLLBACK))


def abandon(session: Session) -> None:
    """Roll back the request's transaction and undo the work it did outside the database."""
    session.rollback()
    for undo in session.info.pop(_ON_ROLLBACK, []):
        undo()


def finish(session: Session) -> None:
    """Commit the request's transaction; what would have been undone on a rollback is kept."""
    session.commit()
    session.info.pop(_ON_ROLLBACK, None)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zone type; without this, times would come back naive there and aware
    on PostgreSQL, and comparisons between them would fail at run time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp_column(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    """A UTC timestamp column (a fresh Column each call, as SQLModel needs)."""
    return Column(UTCDateTime(), nullable=nullable, index=index)


def within(column: Any, since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    """``since <= column < until``, each bound only when given: the lists' time filters."""
    bounds = [*([column >= since] if since is not None else []), *([column < until] if until is not None else [])]
    return and_(true(), *bounds)


def json_list_column() -> Column[list[str]]:
    """A JSON list column, empty by default."""
    return Column(JSON, nullable=False, default=list)


def on_rollback(session: Session, undo: Callable[[], object]) -> None:
    """Run ``undo`` if the request's transaction rolls back: for work outside the database,
    such as photo files written before the row that names them."""
    session.info.setdefault(_ON_ROLLBACK, []).append(undo)


def flush_unique(session: Session, change: Callable[[], object]) -> bool:
    """Make ``change`` and flush it inside a savepoint; False when a unique key refuses it.

    The change must happen inside the savepoint: starting one flushes what is pending, so a
    change made before it would fail outside the savepoint and spoil the whole transaction.
    """
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError:
        return False
    return True
