"""People who log in, the read-only tokens of inspection scripts, and failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from api.db import timestamp_column, utcnow

ROLES = ("admin", "county", "town", "secretary", "inspector")
# Who manages people, places and ledgers within their scope.
SUPERVISOR_ROLES = ("admin", "county", "town")
USERNAME_MAX_LENGTH = 50


class User(SQLModel, table=True):
    """A person with a role and a scope: the division code whose places they may see.

    ``scope_code`` is null only for admins, who see everything.
    """

    __tablename__ = "app_user"

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'county', 'town', 'secretary', 'inspector')", name="role"),
        CheckConstraint("(role = 'admin') = (scope_code IS NULL)", name="scope_by_role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_MAX_LENGTH, unique=True)
    display_name: str = Field(max_length=50)
    phone: str | None = Field(default=None, max_length=20)
    # What a secretary chooses to show villagers on the notice board and the public page: a work
    # phone (never ``phone`` unless they type it here too) and a portrait: a photo they uploaded
    # (not a foreign key: photos name their uploader, and the two tables would depend on each
    # other; the portrait is checked to be the account's own photo when it is set).
    public_phone: str | None = Field(default=None, max_length=20)
    portrait_photo_id: str | None = Field(default=None, max_length=36)
    role: str = Field(max_length=10)
    scope_code: str | None = Field(default=None, max_length=12, index=True)
    password_hash: str = Field(max_length=200)
    is_active: bool = True
    # Set by a password reset: the person must choose their own password at their next login.
    must_change_password: bool = False
    # Written into every access token; raising it (a new password, a reset) ends the account's
    # sessions on other devices, since their tokens carry the old number.
    session_epoch: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ApiToken(SQLModel, table=True):
    """A read-only bearer token for an inspection team's scripts; only its hash is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    scope_code: str = Field(max_length=12)
    created_by: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class LoginFailure(SQLModel, table=True):
    """One failed login (or one being checked: ``pending``), kept for the throttling window and
    shared by every API instance. ``device`` is the nonce of the trusted device it came from."""

    __tablename__ = "login_failure"

    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_client_addr_at", "client_addr", "at"),
        Index("ix_login_failure_device_at", "device", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100)
    client_addr: str = Field(max_length=64)
    device: str | None = Field(default=None, max_length=32)
    pending: bool = False
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
