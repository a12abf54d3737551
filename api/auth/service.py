"""Logging in, creating people and issuing or revoking API tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from api.auth.accounts import check_scope, require_may_grant
from api.auth.models import SUPERVISOR_ROLES, USERNAME_MAX_LENGTH, ApiToken, User
from api.auth.passwords import hash_password, issue_access_token, new_api_token, verify_password
from api.auth.principal import Principal
from api.auth.schemas import ApiTokenCreate, UserCreate
from api.auth.throttle import Limits, begin_attempt, check_not_throttled, fail, succeed
from api.db import flush_unique
from api.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from api.settings import Settings
from api.validators import storable_text


def _could_be_username(typed: str) -> bool:
    """Whether a typed name fits the column; anything else (too long, a NUL byte, half a
    character) names nobody, and must not reach a query that the database would refuse."""
    return len(typed) <= USERNAME_MAX_LENGTH and storable_text(typed)


def log_in(
    *, session: Session, settings: Settings, username: str, password: str, client_addr: str, device: str | None
) -> tuple[User, str, int]:
    """The user and a fresh access token, or an error (see ``check_password``)."""
    user = check_password(
        session=session, settings=settings, username=username, password=password, client_addr=client_addr, device=device
    )
    assert user.id is not None
    token, lifetime = issue_access_token(
        user_id=user.id, key=settings.signing_key, minutes=settings.access_token_minutes, epoch=user.session_epoch
    )
    return user, token, lifetime


def check_password(
    *, session: Session, settings: Settings, username: str, password: str, client_addr: str, device: str | None
) -> User:
    """The active user with this name and password, or an error; every check counts against the
    login throttle (a login, or the old password of a password change), and a failure stays
    counted though the request fails.

    ``device`` is the nonce of the device cookie the browser presented for this account, if
    any. The attempt is committed before the password is checked, and no transaction is open
    while argon2 works (see ``throttle``).
    """
    now = datetime.now(UTC)
    limits = Limits(
        per_account=settings.login_max_failures,
        per_address=settings.login_max_failures_per_address,
        window_s=settings.login_failure_window_s,
    )
    attempt = begin_attempt(
        session=session, username=username, client_addr=client_addr, device=device, now=now, window_s=limits.window_s
    )
    user = None
    if _could_be_username(username):
        user = session.exec(select(User).where(User.username == username)).first()
    check_not_throttled(session=session, attempt=attempt, now=now, limits=limits)
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.is_active:
        fail(session=session, attempt=attempt)
        raise NotAuthenticated("用户名或密码不正确。")
    succeed(session=session, attempt=attempt)
    return user


def create_user(*, session: Session, data: UserCreate, by: Principal | None) -> User:
    """Create a user; ``by`` is None for the command line, which acts as an administrator."""
    require_may_grant(by, data.role)
    check_scope(session, role=data.role, scope=data.scope_code, by=by)
    if session.exec(select(User.id).where(User.username == data.username)).first() is not None:
        raise Conflict(f"用户名“{data.username}”已被使用。")
    user = User(
        username=data.username,
        display_name=data.display_name,
        phone=data.phone,
        role=data.role,
        scope_code=data.scope_code,
        password_hash=hash_password(data.password),
    )
    if not flush_unique(session, lambda: session.add(user)):  # taken by a concurrent request since the check
        raise Conflict(f"用户名“{data.username}”已被使用。")
    return user


def create_api_token(*, session: Session, data: ApiTokenCreate, by: Principal) -> tuple[ApiToken, str]:
    """A read-only token for a scope inside the creator's; the secret is returned only here."""
    assert by.user is not None
    assert by.user.id is not None
    by.require_covers(data.scope_code)
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        raise InvalidInput("过期时间必须晚于现在。", loc=("body", "expires_at"))
    secret, digest = new_api_token()
    token = ApiToken(
        name=data.name, token_hash=digest, scope_code=data.scope_code, created_by=by.user.id, expires_at=data.expires_at
    )
    session.add(token)
    session.flush()
    return token, secret


def revoke_api_token(*, session: Session, token_id: int, by: Principal) -> ApiToken:
    """Revoke a token its creator made, or one inside an administrator's or supervisor's scope."""
    assert by.user is not None
    token = session.get(ApiToken, token_id)
    if token is None or not (token.created_by == by.user.id or by.covers(token.scope_code)):
        raise NotFound("该令牌不存在。")
    if by.role not in SUPERVISOR_ROLES and token.created_by != by.user.id:
        raise Forbidden("只能撤销自己创建的令牌。")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.add(token)
    return token
