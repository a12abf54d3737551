"""Over HTTPS through Caddy, as a county's intranet deployment: the app installs and opens offline.

Caddy (Debian's package, with the deployment's own Caddyfile) terminates TLS with its internal
CA in front of two ``zoufang serve`` instances. The phone trusts that CA the way a phone
would, by having its root installed (for Chromium: an NSS database made with ``certutil``),
not by ignoring certificate errors, which would keep the service worker from installing. The
name ``zoufang.county.lan`` is mapped to this machine, as the county's DNS would map it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Playwright, expect

from bench.server import ServerProcess, free_port
from tests.browser import CHROMIUM_ARGS
from tests.e2e.field import FIELD_LAT, FIELD_LON
from tests.e2e.phone_app import READY, PhoneApp
from tests.servers import QUIET
from tests.tools import required_tool

ROOT = Path(__file__).resolve().parents[2]
SITE = "zoufang.county.lan"
SIGNING_KEY = "https-test-signing-key-" + "z" * 32


CaddyStarter = Callable[[list[int]], tuple[int, Path]]


@pytest.fixture
def caddy_in_front(tmp_path: Path) -> Iterator[CaddyStarter]:
    """``start(ports)`` runs Caddy in front of those ports; gives its HTTPS port and its CA's root."""
    caddy = required_tool("caddy", "caddy")
    processes: list[subprocess.Popen[bytes]] = []

    def start(upstreams: list[int]) -> tuple[int, Path]:
        https_port = free_port()
        env = {
            **os.environ,
            "ZOUFANG_SITE": SITE,
            "ZOUFANG_TLS": "internal",
            "ZOUFANG_UPSTREAMS": " ".join(f"127.0.0.1:{port}" for port in upstreams),
            "ZOUFANG_HTTP_PORT": str(free_port()),
            "ZOUFANG_HTTPS_PORT": str(https_port),
            "XDG_DATA_HOME": str(tmp_path / "caddy-data"),
            "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"),
        }
        command = [caddy, "run", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"]
        with (tmp_path / "caddy.log").open("wb") as log:
            processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
        root = tmp_path / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 60
        while not (root.exists() and _listening(https_port)):
            assert processes[-1].poll() is None, (tmp_path / "caddy.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "caddy did not start"
            time.sleep(0.2)
        return https_port, root

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _phone_trusting(root_certificate: Path, home: Path) -> None:
    """Install the CA's root in the NSS database Chromium reads, as a phone's user installs it."""
    certutil = required_tool("certutil", "libnss3-tools")
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{database}", "-N", "--empty-password"], check=True, timeout=60)
    subprocess.run(
        [
            certutil,
            "-d",
            f"sql:{database}",
            "-A",
            "-t",
            "C,,",
            "-n",
            "县里的走访服务根证书",
            "-i",
            str(root_certificate),
        ],
        check=True,
        timeout=60,
    )


def _api_lines(log: str) -> int:
    return log.count('"path": "/api/v1/')


def _until_caddy_sends_to_both(base: str, port: int, root_certificate: Path, logs: list[Callable[[], str]]) -> None:
    """Caddy takes an instance into its rotation once the instance's health check has passed; an
    instance still starting on a busy machine misses the first check and waits out the interval.
    Ask through Caddy until both have answered, so the phone's requests meet both."""
    deadline = time.monotonic() + 60
    while not all(_api_lines(log()) for log in logs):
        assert time.monotonic() < deadline, "Caddy never sent a request to both instances"
        subprocess.run(
            [
                required_tool("curl", "curl"),
                "-sf",
                "-o",
                "/dev/null",
                "--resolve",
                f"{SITE}:{port}:127.0.0.1",
                "--cacert",
                str(root_certificate),
                f"{base}/api/v1/openapi.json",
            ],
            check=False,
            timeout=30,
        )
        time.sleep(0.5)


def test_over_https_through_caddy_the_app_installs_and_opens_offline(  # type: ignore[no-untyped-def]
    custom_field_server, caddy_in_front: CaddyStarter, playwright: Playwright, chromium: str, tmp_path: Path, screenshot
) -> None:
    first = custom_field_server({"ZOUFANG_SECRET_KEY": SIGNING_KEY}, own_pwa=False)
    # The second instance: its own folder and log, the first's database and photos.
    shared = {
        "ZOUFANG_DATABASE_URL": f"sqlite:///{first.data_dir / 'zoufang.db'}",
        "ZOUFANG_MEDIA_URL": str(first.data_dir / "media"),
    }
    second = ServerProcess(data_dir=tmp_path / "second", env={**QUIET, **shared, "ZOUFANG_SECRET_KEY": SIGNING_KEY})
    second.start()
    try:
        https_port, root_certificate = caddy_in_front([urlsplit(first.base_url).port, second.port])
        home = tmp_path / "phone-home"
        _phone_trusting(root_certificate, home)
        base = f"https://{SITE}:{https_port}"
        first_log = lambda: (first.data_dir / "serve.log").read_text(encoding="utf-8", errors="replace")  # noqa: E731
        _until_caddy_sends_to_both(base, https_port, root_certificate, [first_log, second.log_text])
        before = [_api_lines(first_log()), _api_lines(second.log_text())]

        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {SITE} 127.0.0.1"],
            env={**os.environ, "HOME": str(home)},
        )
        try:
            context = browser.new_context(
                viewport={"width": 360, "height": 640},
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                geolocation={"latitude": FIELD_LAT, "longitude": FIELD_LON, "accuracy": 20},
                permissions=["geolocation"],
                service_workers="allow",
            )
            app = PhoneApp(context.new_page(), base)
            app.log_in(first.secretary.username, first.secretary.password)  # waits for the service worker
            assert app.page.evaluate("window.isSecureContext") is True
            assert app.page.evaluate("typeof crypto.randomUUID") == "function"

            context.set_offline(True)
            app.page.reload()
            app.page.wait_for_selector(READY)
            expect(app.heading).to_have_text("待走访")
            expect(app.page.locator(".list .row").first).to_be_visible()
            screenshot(app.page, "https-offline")
        finally:
            browser.close()
    finally:
        second.stop()
    served = [_api_lines(first_log()) - before[0], _api_lines(second.log_text()) - before[1]]
    assert all(count > 0 for count in served), f"both instances answered the phone: {served}"
