"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

import api.models  # noqa: F401 - registers every table
from api.db import metadata
from api.migrations import alembic_config, upgrade
from bench.county import fresh_database
from tests.conftest import _postgres_server_url
from tests.servers import server_env


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


def test_instances_starting_together_on_postgresql_migrate_once(tmp_path: Path) -> None:
    """Three instances of a deployment start at once on an empty database; each one migrates."""
    server = _postgres_server_url()
    if not server:
        pytest.skip("set ZOUFANG_TEST_POSTGRES_URL to run the PostgreSQL tests")
    with fresh_database("postgresql", str(tmp_path), server) as url:
        env = server_env(tmp_path, {"ZOUFANG_DATABASE_URL": url})
        starting = [
            subprocess.Popen(
                [sys.executable, "-m", "api.cli", "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            for _ in range(3)
        ]
        outputs = [process.communicate(timeout=120)[0].decode() for process in starting]
        assert [process.returncode for process in starting] == [0, 0, 0], outputs
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert versions == [ScriptDirectory.from_config(alembic_config(engine)).get_current_head()]
            assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(metadata.tables)
        finally:
            engine.dispose()
