"""Password hashing with argon2id, and the signed access tokens handed out at login."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.validators import MAX_ROW_ID

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
API_TOKEN_PREFIX = "zf_"  # noqa: S105 - a public marker, not a secret
_ALGORITHM = "HS256"
# Compared against when the username is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; always spends one argon2 verification."""
    typed = password.encode("utf-8", "surrogatepass")  # what a form may carry, though no password holds it
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, typed) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_access_token(*, user_id: int, key: str, minutes: int, epoch: int = 0) -> tuple[str, int]:
    """A signed token naming the user and their session epoch, and its lifetime in seconds."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "ep": epoch, "iat": now, "exp": now + timedelta(minutes=minutes), "typ": "access"}
    return jwt.encode(claims, key, algorithm=_ALGORITHM), minutes * 60


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    epoch: int


def read_access_token(token: str, *, key: str) -> AccessClaims | None:
    """Whom a valid, unexpired token names, and the session epoch it was issued in; or None."""
    try:
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "access":
        return None
    subject = claims["sub"]
    # Only the subject as this module writes it, a plain decimal that can name a row: int()
    # would also take "１" (full width), "+1" or 10**30, which name no one.
    if not (isinstance(subject, str) and subject.isascii() and subject.isdigit()):
        return None
    user_id = int(subject)
    epoch = claims.get("ep", 0)  # tokens issued before epochs existed belong to epoch 0
    if str(user_id) != subject or not 1 <= user_id <= MAX_ROW_ID or type(epoch) is not int:
        return None
    return AccessClaims(user_id=user_id, epoch=epoch)


def new_api_token() -> tuple[str, str]:
    """A fresh API token and the hash under which it is stored."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_api_token(token)


def hash_api_token(token: str) -> str:
    # The token carries 256 random bits, so a plain digest is enough (no salt or stretching).
    return hashlib.sha256(token.encode()).hexdigest()
