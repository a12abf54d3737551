"""Who is asking, and what they may see: the one place where scope is enforced.

Every protected route depends on ``CurrentPrincipal`` (or ``CurrentUser``). A principal is a
logged-in user or a read-only API token; both carry a scope prefix, and every query and
every write target goes through ``Principal.where_under`` / ``Principal.require_covers``
rather than re-implementing "under my code" in each route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import ColumnElement, Connection, Row, bindparam, select, true
from sqlmodel import SQLModel

from api.auth.models import ApiToken, User
from api.auth.passwords import API_TOKEN_PREFIX, hash_api_token, read_access_token
from api.db import READ_METHODS
from api.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from api.ops.admission import InLine
from api.regions import codes

T = TypeVar("T", bound=SQLModel)
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    """A user or an API token, with the scope prefix that bounds what it may touch."""

    user: User | None
    token: ApiToken | None
    role: str
    scope_prefix: str

    @classmethod
    def for_user(cls, user: User) -> Principal:
        scope = codes.prefix(user.scope_code) if user.scope_code else ""
        return cls(user=user, token=None, role=user.role, scope_prefix=scope)

    @classmethod
    def for_token(cls, token: ApiToken) -> Principal:
        return cls(user=None, token=token, role="api_token", scope_prefix=codes.prefix(token.scope_code))

    @property
    def read_only(self) -> bool:
        return self.token is not None

    @property
    def sees_personal_data_unmasked(self) -> bool:
        return self.role == "admin"

    def covers(self, code: str) -> bool:
        return codes.covers(self.scope_prefix, code)

    def require_covers(self, code: str, *, what: str = "该地区") -> None:
        """Refuse a code outside the scope with 404, so nothing leaks about what exists there."""
        if not self.covers(code):
            raise NotFound(f"{what}不存在，或不在您的管辖范围内。")

    def where_under(self, column: Any, scope: str | None = None) -> ColumnElement[bool]:
        """SQL condition restricting ``column`` (a division code) to this principal's scope,
        or to the narrower ``scope`` a request asked for (``?scope=``)."""
        prefix = self.narrow(scope)
        return codes.under(column, prefix) if prefix else true()

    def narrow(self, scope: str | None) -> str:
        """The prefix for a ``?scope=`` parameter, which may only narrow the principal's scope."""
        if not scope:
            return self.scope_prefix
        try:
            wanted = codes.prefix(scope)
        except codes.BadCode as exc:
            # Not a code at all is the caller's mistake (422); a real code outside the scope
            # stays a 404 below, so nothing leaks about what exists there.
            raise InvalidInput(str(exc), loc=("query", "scope")) from exc
        if not wanted.startswith(self.scope_prefix):
            raise NotFound("该地区不存在，或不在您的管辖范围内。")
        return wanted


# Built once: a statement made per request costs more than the look-up it runs.
_USERS = User.__table__  # type: ignore[attr-defined]
_TOKENS = ApiToken.__table__  # type: ignore[attr-defined]
_USER_BY_ID = select(_USERS).where(_USERS.c.id == bindparam("id"))
_TOKEN_BY_HASH = select(_TOKENS).where(_TOKENS.c.token_hash == bindparam("hash"))


def authenticate(request: Request, token: Annotated[str | None, Depends(_bearer)], _place: InLine) -> Principal:
    """Dependency: the user or API token behind the request's bearer token, or a 401.

    The account is read afresh on every request, so a deactivated account or a reset password
    is refused on the very next one, on every instance; nothing about users is cached. It is
    read on a short connection of its own, inside the request's place in line: the request's
    session (which may hold SQLite's write lock) starts only when the route first needs it,
    after slow work like decoding a photo is done. What comes back is a snapshot that belongs
    to no session: a route that changes an account loads it into its own session.
    """
    if not token:
        raise NotAuthenticated()
    if token.startswith(API_TOKEN_PREFIX):
        with request.app.state.engine.connect() as connection:
            return _token_principal(connection, token, method=request.method)
    claims = read_access_token(token, key=request.app.state.settings.signing_key)
    if claims is None:
        raise NotAuthenticated("登录已过期，请重新登录。")
    with request.app.state.engine.connect() as connection:
        user = _snapshot(User, connection.execute(_USER_BY_ID, {"id": claims.user_id}).one_or_none())
    if user is None or not user.is_active or claims.epoch != user.session_epoch:
        raise NotAuthenticated("登录已过期，请重新登录。")
    return Principal.for_user(user)


def _snapshot(model: type[T], row: Row[Any] | None) -> T | None:
    """The row as a new instance of ``model`` that belongs to no session."""
    return model(**row._mapping) if row is not None else None


def _token_principal(connection: Connection, token: str, *, method: str) -> Principal:
    api_token = _snapshot(ApiToken, connection.execute(_TOKEN_BY_HASH, {"hash": hash_api_token(token)}).one_or_none())
    if api_token is None or api_token.revoked_at is not None:
        raise NotAuthenticated("访问令牌无效或已被撤销。")
    creator = _snapshot(User, connection.execute(_USER_BY_ID, {"id": api_token.created_by}).one_or_none())
    if creator is None or not creator.is_active:  # a token dies with its owner's account
        raise NotAuthenticated("创建该令牌的账号已停用，令牌随之失效。")
    if api_token.expires_at is not None and api_token.expires_at <= datetime.now(UTC):
        raise NotAuthenticated("访问令牌已过期。")
    if method not in READ_METHODS:
        raise Forbidden("API 令牌只能读取数据，不能修改。")
    return Principal.for_token(api_token)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


async def _user(principal: CurrentPrincipal) -> User:
    # ``async``: it only looks at the principal, so it need not wait for a worker thread.
    if principal.user is None:
        raise Forbidden("此操作需要以个人账号登录，API 令牌不能使用。")
    return principal.user


CurrentUser = Annotated[User, Depends(_user)]


def require_roles(principal: Principal, *roles: str, action: str) -> None:
    """Refuse the principal unless its role is one of ``roles``."""
    if principal.role not in roles:
        raise Forbidden(f"您的角色无权{action}。")


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``: enough to recognise a number, not to call it."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def phone_as_seen_by(principal: Principal, phone: str | None) -> str | None:
    """Phone numbers are personal data: only admins see them whole."""
    return phone if principal.sees_personal_data_unmasked else mask_phone(phone)
