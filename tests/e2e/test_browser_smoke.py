"""The browser test setup works: a phone-sized Chromium opens a seeded server's page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.field import FieldServer


def test_a_phone_opens_the_field_server(
    phone: BrowserContext, field_server: FieldServer, screenshot: Callable[[Page, str], Path]
) -> None:
    page = phone.new_page()

    response = page.goto(field_server.base_url)

    assert response is not None
    assert response.ok
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.evaluate("() => [innerWidth, devicePixelRatio]") == [360, 2]
    shot = screenshot(page, "smoke-phone-start")
    assert shot.stat().st_size > 0
    households = field_server.api("GET", f"/households?village_code={field_server.village_code}&limit=100")
    assert sorted(h["head_name"] for h in households["items"]) == sorted(field_server.household_names)
    assert len(households["items"]) == 12
    me = field_server.api("GET", "/me", as_user=field_server.secretary.username)
    assert [p["village_code"] for p in me["postings"]] == [field_server.village_code]


def test_the_accessibility_scan_fails_on_serious_violations_only(
    phone: BrowserContext, assert_accessible: Callable[[Page], None]
) -> None:
    page = phone.new_page()
    page.set_content(
        '<html lang="zh-CN"><head><title>检查</title></head><body><main><h1>检查</h1>'
        '<label for="name">户主姓名</label><input id="name"></main></body></html>'
    )
    assert_accessible(page)

    page.set_content(
        '<html lang="zh-CN"><head><title>检查</title></head><body><main>'
        '<input id="unlabelled"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    assert "label" in str(failure.value)
    assert "image-alt" in str(failure.value)
    assert "#unlabelled" in str(failure.value)
