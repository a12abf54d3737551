"""Device cookies: a browser that has logged in as someone before is let in while strangers are throttled.

Counting failed logins per account lets anyone lock the real owner out by typing five wrong
passwords for ``county``. So, as OWASP's "device cookies" advise, a successful login leaves an
HttpOnly cookie that names the account and a random nonce, signed with the service's key.
A later login for that account from a browser that presents it is a *trusted* one: only its
own failures count against it. Everyone else, an attacker included, shares the account's
budget for unknown devices, which the attacker can exhaust without touching the owner.

The cookie is sent to the login path only, is readable by no script, and a forged or copied
one for another account is worth nothing: the signature covers the account name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

LOGIN_PATH = "/api/v1/auth/token"
_COOKIE_PREFIX = "zoufang_device_"
# Browsers keep a cookie at most 400 days; a phone that logs in within a year stays trusted.
MAX_AGE_S = 400 * 24 * 3600


def _mac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def cookie_name(username: str, *, key: str) -> str:
    """One cookie per account on a shared office computer; the name does not reveal the account."""
    return _COOKIE_PREFIX + _mac(key, f"device-cookie-name:{username}")[:16]


def recognise(request: Request, username: str, *, key: str) -> str | None:
    """The nonce of a valid device cookie for ``username`` in the request, else None."""
    value = request.cookies.get(cookie_name(username, key=key), "")
    nonce, _, signature = value.partition(".")
    if not nonce or len(nonce) > 32 or not signature:
        return None
    expected = _mac(key, f"device:{username}:{nonce}")[:32]
    return nonce if hmac.compare_digest(signature, expected) else None


def remember(request: Request, response: Response, username: str, *, key: str, nonce: str | None) -> None:
    """Leave (or renew) the device cookie after a successful login; keeps a recognised nonce."""
    nonce = nonce or secrets.token_hex(12)
    response.set_cookie(
        cookie_name(username, key=key),
        f"{nonce}.{_mac(key, f'device:{username}:{nonce}')[:32]}",
        max_age=MAX_AGE_S,
        path=LOGIN_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
