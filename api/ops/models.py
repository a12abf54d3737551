"""When each piece of periodic work last began, shared by every instance of the service."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.db import timestamp_column


class PeriodicRun(SQLModel, table=True):
    """One row per kind of periodic work: the instance that moves ``last_started_at`` runs it."""

    __tablename__ = "periodic_run"

    name: str = Field(primary_key=True, max_length=40)
    last_started_at: datetime = Field(sa_column=timestamp_column())
