"""What every record made on a phone shares: a client UUID and exactly-once arrival.

A phone may send the same record many times (a lost answer, a retry, a sync started twice).
The database decides which send is first — ``INSERT … ON CONFLICT DO NOTHING`` on the
phone's id — and every later send is compared by a digest of its content: the same content
is a success that changes nothing, different content under a used id is a conflict.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from pydantic import BaseModel
from sqlalchemy import JSON, Executable, String, Text, bindparam, cast, func
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.auth.principal import Principal
from api.db import json_dumps, within
from api.errors import AppError
from api.validators import RegionCodeQuery, RowIdQuery


def content_hash(record: BaseModel) -> str:
    """A digest of a record's content, the same however the phone ordered or spaced its JSON."""
    canonical = json.dumps(record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def insert_new(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]], *, key: str = "id") -> set[Any]:
    """Insert the rows whose ``key`` is not taken yet; return the keys actually inserted.

    Rows whose key exists already (or repeats within ``rows``) are skipped by the database
    itself, so concurrent sends of one record make exactly one row on SQLite and PostgreSQL.
    Every row names the same columns.
    """
    if not rows:
        return set()
    columns = tuple(rows[0])
    if any(tuple(row) != columns for row in rows):
        raise ValueError("insert_new: every row must name the same columns, in the same order")
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        stmt, json_columns = _insert_new_from_arrays(model, key, columns)
        by_column = {
            name: [json_dumps(row[name]) if name in json_columns else row[name] for row in rows] for name in columns
        }
        return set(connection.execute(stmt, by_column).scalars().all())
    return set(connection.execute(_insert_new_rows(model, key), list(rows)).scalars().all())


# The statements below are built once per model and column: they run on every record that
# arrives, and building a statement costs more than running it.


@functools.cache
def _insert_new_rows(model: type[SQLModel], key: str) -> Executable:
    table = model.__table__  # type: ignore[attr-defined]
    return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])


@functools.cache
def _insert_new_from_arrays(
    model: type[SQLModel], key: str, columns: tuple[str, ...]
) -> tuple[Executable, frozenset[str]]:
    """On PostgreSQL, one array a column, unnested: the statement's text is the same for any
    number of rows, so the driver parses it once and the server prepares it, where a VALUES
    list of 50 rows × 14 columns would be a new statement of 700 parameters for every batch.

    JSON columns travel as arrays of JSON text (the driver would make nested arrays of lists);
    the second answer names them, for the caller to encode.
    """
    table = model.__table__  # type: ignore[attr-defined]
    json_columns = frozenset(name for name in columns if isinstance(table.c[name].type, JSON))

    def unnested(name: str) -> Any:
        if name in json_columns:
            return cast(func.unnest(bindparam(name, type_=ARRAY(Text))), JSON)
        kind = table.c[name].type
        # Strings travel as text without a length: PostgreSQL cuts a string cast to VARCHAR(n)
        # short without a word, where the column itself refuses one that is too long.
        text_like = isinstance(getattr(kind, "impl", kind), String)  # also through a TypeDecorator
        return func.unnest(bindparam(name, type_=ARRAY(Text if text_like else kind)))

    stmt = (
        postgresql_insert(table)
        .from_select(list(columns), sa_select(*(unnested(name) for name in columns)))
        .on_conflict_do_nothing(index_elements=[key])
        .returning(table.c[key])
    )
    return stmt, json_columns


@functools.cache
def _rows_where_in(model: type[SQLModel], column: str) -> SelectOfScalar[Any]:
    return select(model).where(col(getattr(model, column)).in_(bindparam("keys", expanding=True)))


@functools.cache
def _pairs_where_in(model: type[SQLModel], key: str, value: str) -> Executable:
    table = model.__table__  # type: ignore[attr-defined]
    return sa_select(table.c[key], table.c[value]).where(table.c[key].in_(bindparam("keys", expanding=True)))


class RecordRejected(AppError):
    """A record the server will not keep as sent; ``code`` is a short reason a phone acts on."""

    status = 422
    type_ = "record-rejected"
    title = "记录未被接受"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        if status is not None:
            self.status = status  # type: ignore[misc]


class RecordConflict(AppError):
    status = 409
    type_ = "record-conflict"
    title = "记录编号已被使用"


@dataclass
class Outcome:
    """What became of one record of a batch."""

    id: str
    status: str  # created | unchanged | conflict | rejected
    error: AppError | None = None
    checks: list[str] = field(default_factory=list)
    # The row as inserted, for a record this request created: enough to answer without
    # reading it back.
    written: dict[str, Any] | None = None

    @property
    def code(self) -> str | None:
        """A short reason a phone can act on, such as ``missing_photo``."""
        return self.error.code if isinstance(self.error, RecordRejected) else None


def resend_outcome(record_id: str, stored_hash: str, digest: str) -> Outcome:
    """The outcome of a record whose id is already stored: the same content, or a conflict."""
    if stored_hash == digest:
        return Outcome(record_id, "unchanged")
    return Outcome(record_id, "conflict", RecordConflict(f"编号 {record_id} 已用于另一条内容不同的记录。"))


def select_in(session: Session, model: Any, column: Any, keys: set[Any]) -> list[Any]:
    """Rows of ``model`` whose ``column`` (one of its own) is one of ``keys``, in chunks the
    databases accept."""
    stmt = _rows_where_in(model, column.key)
    ordered = sorted(keys)
    found: list[Any] = []
    for start in range(0, len(ordered), 500):
        found += list(session.exec(stmt, params={"keys": ordered[start : start + 500]}))
    return found


def select_map(session: Session, key: Any, value: Any, keys: set[Any]) -> dict[Any, Any]:
    """``{key: value}`` for the rows whose ``key`` column is one of ``keys`` (no query when empty).

    Plain columns of one model rather than ORM objects: batches look up many rows for one
    field each.
    """
    if not keys:
        return {}
    stmt = _pairs_where_in(key.class_, key.key, value.key)
    ordered = sorted(keys)
    found: dict[Any, Any] = {}
    for start in range(0, len(ordered), 500):
        found.update((k, v) for k, v in session.execute(stmt, {"keys": ordered[start : start + 500]}))
    return found


def answer_single(outcome: Outcome, response: Response) -> None:
    """One record sent on its own: a refusal or conflict becomes its problem response, and a
    resend of stored content answers 200 instead of 201."""
    if outcome.error is not None:
        raise outcome.error
    if outcome.status == "unchanged":
        response.status_code = 200


@dataclass
class RecordFilters:
    """The filters every list of field records takes: which village, whose, and when.

    Used as a dependency (``Annotated[RecordFilters, Depends()]``), so visits and check-ins are
    filtered, and scope-checked, the same way.
    """

    village_code: RegionCodeQuery = None
    user_id: RowIdQuery = None
    since: Annotated[datetime | None, Query(description="时间不早于（RFC 3339）")] = None
    until: Annotated[datetime | None, Query(description="时间早于（RFC 3339）")] = None

    def apply(self, stmt: Any, *, by: Principal, village: Any, user: Any, at: Any) -> Any:
        """``stmt`` narrowed to the reader's scope and to these filters, on the given columns."""
        stmt = stmt.where(by.where_under(village))
        if self.village_code:
            by.require_covers(self.village_code, what="村")
            stmt = stmt.where(village == self.village_code)
        if self.user_id is not None:
            stmt = stmt.where(user == self.user_id)
        return stmt.where(within(col(at), self.since, self.until))


RecordFiltersDep = Annotated[RecordFilters, Depends()]
