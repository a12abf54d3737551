"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import api.models  # noqa: F401 - registers every table
from api.db import metadata
from api.migrations import upgrade


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_every_table_is_created_by_the_migrations(engine: Engine) -> None:
    created = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert created == set(metadata.tables)


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    before = {name: inspect(engine).get_columns(name) for name in metadata.tables}
    upgrade(engine)
    after = {name: inspect(engine).get_columns(name) for name in metadata.tables}
    assert [c["name"] for t in before.values() for c in t] == [c["name"] for t in after.values() for c in t]
