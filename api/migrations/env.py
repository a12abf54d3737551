"""Alembic environment: runs migrations on the engine handed over by ``api.migrations``."""

from __future__ import annotations

from alembic import context

import api.models  # noqa: F401 - registers every table on the metadata
from api.db import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
