"""Every main screen at 360×640: a screenshot for the README and the reviewers, and an axe scan."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.phone_app import PhoneApp

SCREENS = [
    ("todo", "待走访"),
    ("households", "村民"),
    ("visit", "记录走访"),
    ("checkin", "驻村签到"),
    ("records", "我的记录"),
    ("outbox", "待发送"),
]


@pytest.fixture
def phone_app(phone: BrowserContext, field_server) -> PhoneApp:  # type: ignore[no-untyped-def]
    return PhoneApp(phone.new_page(), field_server.base_url)


def test_the_login_screen(phone_app: PhoneApp, screenshot, assert_accessible) -> None:  # type: ignore[no-untyped-def]
    phone_app.open()
    expect(phone_app.heading).to_have_text("登录")
    screenshot(phone_app.page, "phone-login")
    assert_accessible(phone_app.page)


def test_each_main_screen(phone_app: PhoneApp, field_server, screenshot, assert_accessible) -> None:  # type: ignore[no-untyped-def]
    app = phone_app
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    app.record_visit(field_server.household_names[0], notes="了解到家里老人看病不便。", request="希望村卫生室每周开门")
    app.page.context.set_offline(True)
    app.record_visit(field_server.household_names[1], notes="讲解医保缴费政策。")
    expect(app.page.locator("#toast")).to_be_hidden(timeout=10_000)  # the "saved" note has gone
    for route, heading in SCREENS:
        app.page.goto(f"{field_server.base_url}/#/{route}")
        expect(app.heading).to_have_text(heading)
        app.page.wait_for_timeout(300)  # the GPS line and lists settle
        screenshot(app.page, f"phone-{route}")
        assert_accessible(app.page)


def test_screens_fit_a_small_phone_with_big_enough_targets(phone_app: PhoneApp, field_server) -> None:  # type: ignore[no-untyped-def]
    app = phone_app
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    for route, heading in SCREENS:
        app.page.goto(f"{field_server.base_url}/#/{route}")
        expect(app.heading).to_have_text(heading)
        sizes = app.page.evaluate(
            """() => ({
                scrollWidth: document.documentElement.scrollWidth,
                font: parseFloat(getComputedStyle(document.body).fontSize),
                small: [...document.querySelectorAll('button, a, input, select, textarea')]
                    .filter((el) => el.offsetParent !== null && !el.closest('.skip') && el.type !== 'radio')
                    .map((el) => [el.textContent.trim() || el.getAttribute('aria-label') || el.id,
                                  el.getBoundingClientRect()])
                    .filter(([, box]) => box.height < 44)
                    .map(([name, box]) => `${name}: ${Math.round(box.height)}px`),
            })"""
        )
        assert sizes["scrollWidth"] <= 360, f"{route} scrolls sideways"
        assert sizes["font"] >= 16
        assert sizes["small"] == [], f"{route}: touch targets under 44 px: {sizes['small']}"
