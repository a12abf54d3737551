"""Where a freshly started server can be reached: what ``zoufang serve`` prints.

Listening on every address (``--host 0.0.0.0``), the server is reachable at each of the
machine's own addresses, and those are what the county's IT staff need to hand out, not
127.0.0.1. And since a phone needs HTTPS for the app to work offline, the message says so.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable

EVERY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104 - compared with, not bound to


def machine_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, best first (the one with a route out)."""
    found: list[str] = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
        found.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        found += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    return [a for a in dict.fromkeys(found) if not a.startswith("127.")]


def serving_lines(host: str, port: int, *, others: Iterable[str] | None = None) -> list[str]:
    """The lines ``serve`` prints: the addresses to open, and the word on HTTPS for phones."""
    if host not in EVERY_ADDRESS:
        shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
        lines = [f"走访 Zoufang 正在运行：http://{shown}:{port}/   API 文档：http://{shown}:{port}/api/docs"]
        if shown == "localhost":
            lines.append("  只有本机能打开。要让同一网络中的电脑访问，请用 --host 0.0.0.0 启动。")
        return [*lines, _HTTPS]
    lines = [
        f"走访 Zoufang 正在运行：http://localhost:{port}/   API 文档：http://localhost:{port}/api/docs",
        *(
            f"  同一网络中的电脑：http://{address}:{port}/"
            for address in (others if others is not None else machine_addresses())
        ),
    ]
    return [*lines, _HTTPS]


_HTTPS = (
    "  手机要离线使用、定位和拍照，必须用 https:// 地址打开：请按 README “部署”一节在前面配置 HTTPS"
    "（例如 Caddy），再把 https:// 地址发给第一书记。"
)
