"""Security headers on every response, chosen by what the response is.

- Pages and scripts (the phone app, its service worker, the API docs) run under a policy that
  allows only the service's own files: no inline script, no other origin, no framing. Only the
  app's page may ask for the location and the camera.
- Photos are served with a sandbox: a file that a browser would take for a page (it cannot be,
  as photos are re-encoded, but the header does not rely on that) runs nothing.
- Everything else (JSON, spreadsheets) may load nothing at all.

- A village's public page (``/v/...``), read by anyone, is plain HTML with the service's own
  stylesheet and portrait: no script at all, and its form may post only to the service.

A response that sets its own ``Content-Security-Policy`` (the printable bulletin and notice
board, which carry their style inline) keeps it. ``nosniff``, ``DENY`` framing and a referrer policy that sends no
address to anyone go everywhere.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bulletins.export import PAGE_STYLE_SOURCE
from api.public.notice import PAGE_STYLE_SOURCE as NOTICE_STYLE_SOURCE

# The bulletin's and the notice board's printable pages, which the app writes into a tab of its
# own, bring the one inline style each needs: allowed by its hash, nothing else inline.
APP_POLICY = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {PAGE_STYLE_SOURCE} {NOTICE_STYLE_SOURCE}; "
    "img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PUBLIC_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PUBLIC_PAGES = "/v/"
PHOTO_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
APP_PERMISSIONS = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"
NO_PERMISSIONS = "geolocation=(), camera=(), microphone=(), payment=(), usb=()"
# The paths of the phone app's page, the only one that asks for the location and the camera.
APP_PAGES = frozenset({"/", "/index.html"})

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def policy_for(content_type: str, path: str = "") -> str:
    """The Content-Security-Policy for a response of this media type at ``path``."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/html" and path.startswith(PUBLIC_PAGES):
        return PUBLIC_POLICY
    if kind in ("text/html", "text/javascript", "application/javascript"):
        return APP_POLICY
    if kind.startswith("image/"):
        return PHOTO_POLICY
    return DATA_POLICY


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app_page = scope["path"] in APP_PAGES

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                headers.setdefault(
                    "Content-Security-Policy", policy_for(headers.get("content-type", ""), scope["path"])
                )
                headers.setdefault("Permissions-Policy", APP_PERMISSIONS if app_page else NO_PERMISSIONS)
            await send(message)

        await self.app(scope, receive, with_headers)
