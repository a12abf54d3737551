"""Opened over plain HTTP at a server's address, the app says HTTPS is needed, and nothing fails.

A secretary's phone on the county's Wi-Fi opening ``http://<server>:8000/`` is not in a secure
context: the browser withholds the service worker, the location and ``crypto.randomUUID``. The
app must say so in plain words (and whom to ask) rather than fail with a script error or a
wrong hint about permissions. The name ``county.lan`` is mapped to this machine, as a county's
DNS would map it to the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.browser import CHROMIUM_ARGS


@pytest.fixture
def lan_browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=chromium,
        headless=True,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP county.lan 127.0.0.1"],
    )
    yield browser
    browser.close()


def test_plain_http_at_the_servers_address_explains_that_https_is_needed(
    lan_browser: Browser, field_server, screenshot
) -> None:  # type: ignore[no-untyped-def]
    port = urlsplit(field_server.base_url).port
    page = lan_browser.new_page(viewport={"width": 360, "height": 640}, is_mobile=True, locale="zh-CN")
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"http://county.lan:{port}/")

    expect(page.locator("header h1")).to_have_text("需要安全连接")
    assert page.evaluate("window.isSecureContext") is False
    body = page.locator("main")
    expect(body).to_contain_text("https://")
    expect(body).to_contain_text("县里负责服务器的同志")
    expect(body).to_contain_text(f"http://county.lan:{port}/")
    expect(page.get_by_label("账号")).to_have_count(0)
    assert page.evaluate("navigator.serviceWorker === undefined")
    screenshot(page, "insecure-context")
    assert problems == []
