"""The flags inbox with more than a page of flags: a county supervisor finds the reused photo
through its chip, judges it with both photos side by side, reads its trail, and acknowledges a
selection of the rest at once; at a desk and on a phone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.field import FieldServer
from tests.e2e.phone_app import PhoneApp
from tests.factories import jpeg

OFF_SITE = {"lat": 26.7, "lon": 106.71}  # about 13 km from the village
OFF_SITE_CHECKINS = 60  # more than a page (50) of the inbox


def _upload_photo(server: FieldServer) -> str:
    """A photo uploaded by the secretary's phone; returns its id."""
    login = server.http.post(
        "/api/v1/auth/token", data={"username": server.secretary.username, "password": server.secretary.password}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    photo_id = str(uuid.uuid4())
    response = server.http.post(
        "/api/v1/photos", data={"id": photo_id}, files={"file": ("p.jpg", jpeg(seed=5), "image/jpeg")}, headers=headers
    )
    assert response.status_code == 201, response.text
    return photo_id


def _visit(server: FieldServer, household: int, at: datetime, photo_id: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "home_visit",
        "household_id": household,
        "started_at": at.isoformat(),
        "lat": server.lat,
        "lon": server.lon,
        "photo_ids": [photo_id],
    }


def _flags_page_two_deep(server: FieldServer) -> None:
    """A photo used on two visits (a duplicate_photo flag), then more off-site check-ins than a
    page holds, so the reused photo is on the second page and first found through its chip."""
    sec = server.secretary.username
    now = datetime.now(UTC).replace(microsecond=0)
    photo = _upload_photo(server)
    first, second = server.household_ids[:2]
    for household, hours_ago, checks in ((first, 8, []), (second, 7, ["duplicate_photo"])):
        visit = _visit(server, household, now - timedelta(hours=hours_ago), photo)
        answer = server.api("POST", "/sync", {"visits": [visit]}, as_user=sec)
        assert [r["checks"] for r in answer["results"]] == [checks], answer
    checkins = [
        {
            "id": str(uuid.uuid4()),
            "village_code": server.village_code,
            "at": (now - timedelta(minutes=n)).isoformat(),
            **OFF_SITE,
        }
        for n in range(OFF_SITE_CHECKINS, 0, -1)
    ]
    for batch in (checkins[:30], checkins[30:]):
        server.api("POST", "/sync", {"checkins": batch}, as_user=sec)


def _open_inbox(app: PhoneApp, server: FieldServer, route: str = "#/flags") -> None:
    app.open()
    app.page.get_by_label("账号").fill(server.supervisor.username)
    app.page.get_by_label("密码").fill(server.supervisor.password)
    app.page.get_by_role("button", name="登录", exact=True).click()
    expect(app.heading).to_have_text("总览")
    app.page.goto(f"{server.base_url}/{route}")
    expect(app.heading).to_have_text("问题提示")


def _photos_shown(page: Page) -> None:
    """Both thumbnails of the reused photo have loaded, side by side."""
    images = page.locator(".thumbs.two img")
    expect(images).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.thumbs.two img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    first, second = (images.nth(n).bounding_box() for n in range(2))
    assert first is not None
    assert second is not None
    assert first["y"] == second["y"]
    assert second["x"] > first["x"] + first["width"] - 1


def test_a_supervisor_finds_judges_and_acknowledges_flags_at_a_desk(  # type: ignore[no-untyped-def]
    desk: BrowserContext, field_server, screenshot, assert_accessible
) -> None:
    _flags_page_two_deep(field_server)
    app = PhoneApp(desk.new_page(), field_server.base_url)
    _open_inbox(app, field_server)
    page = app.page
    inbox = page.get_by_role("list", name="问题提示")
    cards = inbox.locator("> li")
    expect(cards).to_have_count(50)
    expect(inbox.locator("li[data-kind=duplicate_photo]")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("共 61 条，最新的在前；已列出 50 条。")
    chips = page.get_by_role("navigation", name="按类型筛选")
    expect(chips.get_by_role("link", name="全部类型 61")).to_have_attribute("aria-current", "true")
    screenshot(page, "flags-inbox-desk")
    assert_accessible(page)

    # The reused photo, reached through its chip; the filter is in the address.
    chips.get_by_role("link", name="照片与以前的照片相同 1").click()
    expect(cards).to_have_count(1)
    assert "kind=duplicate_photo" in page.url
    card = cards.first
    _photos_shown(page)
    expect(card.get_by_role("link", name="高坡村")).to_have_attribute(
        "href", f"#/village?code={field_server.village_code}"
    )
    expect(card.get_by_role("link", name=field_server.secretary.display_name)).to_have_attribute(
        "href", f"#/secretary?id={field_server.secretary.user_id}"
    )
    card.get_by_label("处理说明").fill("先打电话问问村民")
    card.get_by_role("button", name="确认，去核实").click()
    expect(card.locator(".badge")).to_have_text("核实中")
    card.get_by_text("处理记录（2）").click()
    trail = card.locator(".trail li")
    expect(trail.nth(0)).to_contain_text("系统 提出")
    expect(trail.nth(1)).to_contain_text(f"{field_server.supervisor.display_name} 待处理 → 核实中：先打电话问问村民")
    card.evaluate("card => window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - 120)")
    screenshot(page, "flags-duplicate-photo-desk")
    assert_accessible(page)

    # Back to every kind: three off-site flags acknowledged at once; the next page on request.
    chips.get_by_role("link", name="全部类型 61").click()
    expect(cards).to_have_count(50)
    for n in range(3):
        cards.nth(n).get_by_role("checkbox").check()
    page.get_by_role("button", name="批量确认（3）").click()
    expect(page.locator("#toast")).to_have_text("已确认 3 条。")
    expect(inbox.locator(".badge", has_text="核实中")).to_have_count(3)
    page.get_by_role("button", name="加载更多").click()
    expect(cards).to_have_count(61)
    expect(page.get_by_role("button", name="加载更多")).to_be_hidden()
    acknowledged = field_server.api("GET", "/flags?status=acknowledged", as_user=field_server.supervisor.username)
    assert sorted(f["kind"] for f in acknowledged["items"]) == ["duplicate_photo", "off_site", "off_site", "off_site"]


def test_a_link_opens_a_filtered_inbox_on_a_phone(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server, screenshot, assert_accessible
) -> None:
    _flags_page_two_deep(field_server)
    app = PhoneApp(phone.new_page(), field_server.base_url)
    _open_inbox(app, field_server, "#/flags?kind=duplicate_photo&status=all")
    page = app.page
    cards = page.get_by_role("list", name="问题提示").locator("> li")
    expect(cards).to_have_count(1)
    expect(page.get_by_label("状态")).to_have_value("all")
    _photos_shown(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    screenshot(page, "flags-duplicate-photo-phone", full_page=True)
    assert_accessible(page)

    page.goto(f"{field_server.base_url}/#/flags")
    expect(cards).to_have_count(50)
    screenshot(page, "flags-inbox-phone")
