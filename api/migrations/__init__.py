"""Schema migrations (Alembic), run by ``zoufang migrate`` and before ``zoufang serve``.

The scripts live beside this module so that an installed package can migrate a database
without an ``alembic.ini`` on disk.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

HERE = Path(__file__).resolve().parent
# The key of the PostgreSQL advisory lock held while migrating ("zfmigr" and a version).
MIGRATION_LOCK_KEY = 0x7A66_6D69_6772_0001


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (a no-op when it is already there).

    Several instances starting together on one PostgreSQL database migrate one after another:
    each holds an advisory lock while it migrates, and the later ones find nothing left to do.
    """
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        lock.commit()  # the lock is the session's, not the transaction's: nothing stays open
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            lock.commit()
