"""Exactly-once inserts (``insert_new``) behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from api.flags.models import Flag
from api.records import insert_new
from tests.factories import VILLAGE_A1, make_county

RAISED = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def _flag(key: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "kind": "off_site",
        "severity": "warning",
        "village_code": VILLAGE_A1,
        "user_id": None,
        "subject_id": None,
        "detail": "签到地点距村委会 2.5 公里",
        "evidence": {"distance_m": 2500, "note": "村委会以外"},
        "dedupe_key": key,
        "raised_at": RAISED,
        "status": "open",
        "updated_at": RAISED,
    }
    return {**row, **changes}


def test_only_new_keys_go_in_once_each_with_every_value_as_given(session: Session) -> None:
    make_county(session)
    first = insert_new(session, Flag, [_flag("a"), _flag("b"), _flag("a")], key="dedupe_key")
    again = insert_new(session, Flag, [_flag("b"), _flag("c", evidence={"list": [1, "二"]})], key="dedupe_key")
    session.commit()

    assert (first, again) == ({"a", "b"}, {"c"})
    stored = {f.dedupe_key: f for f in session.exec(select(Flag))}
    assert sorted(stored) == ["a", "b", "c"]
    assert stored["a"].evidence == {"distance_m": 2500, "note": "村委会以外"}
    assert stored["c"].evidence == {"list": [1, "二"]}
    assert (stored["a"].raised_at, stored["a"].detail) == (RAISED, "签到地点距村委会 2.5 公里")


def test_rows_naming_different_columns_are_refused(session: Session) -> None:
    other = _flag("b")
    del other["subject_id"]
    with pytest.raises(ValueError, match="same columns"):
        insert_new(session, Flag, [_flag("a"), other], key="dedupe_key")


def test_a_string_longer_than_its_column_is_never_cut(session: Session) -> None:
    """PostgreSQL refuses it; SQLite, which does not enforce lengths, keeps it whole."""
    make_county(session)
    subject = "visit:" + "x" * 80  # the column holds 64
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            insert_new(session, Flag, [_flag("a", subject_id=subject)], key="dedupe_key")
        return
    insert_new(session, Flag, [_flag("a", subject_id=subject)], key="dedupe_key")
    session.commit()
    assert session.exec(select(Flag.subject_id)).one() == subject
