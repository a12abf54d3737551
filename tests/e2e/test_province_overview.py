"""A province's administrator opens the overview: the counties first, one row each with its age
stated, then one click into a county's villages and back."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.field import FieldServer
from tests.e2e.phone_app import PhoneApp

SECOND_COUNTY = "520197000000"


def _a_second_county(server: FieldServer) -> None:
    """花溪县 with one village, 石头寨, nobody posted there yet."""
    api = server.api
    api("POST", "/regions", {"code": SECOND_COUNTY, "name": "花溪县", "level": "county"})
    api("POST", "/regions", {"code": "520197100000", "name": "青岩镇", "level": "town"})
    api("POST", "/regions", {"code": "520197100201", "name": "石头寨", "level": "village", "weak_lax": True})


def _log_in_as_admin(page: Page, server: FieldServer) -> PhoneApp:
    app = PhoneApp(page, server.base_url)
    app.log_in_to_overview(server.admin.username, server.admin.password)
    return app


def test_a_province_sees_its_counties_then_a_countys_villages(  # type: ignore[no-untyped-def]
    desk: BrowserContext, phone: BrowserContext, field_server: FieldServer, screenshot, assert_accessible
) -> None:
    _a_second_county(field_server)
    app = _log_in_as_admin(desk.new_page(), field_server)
    page = app.page
    counties = page.get_by_role("table", name="各县合计")
    rows = counties.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_text("共 2 个县")).to_be_visible()
    # 花溪县 (520197) before 云雾县 (520198): one village, nobody posted, so no coverage yet
    expect(rows.first).to_contain_text("花溪县")
    expect(rows.first.locator("td")).to_have_text(["0", "—", "0", "0", "0", "0", "1"])
    expect(rows.nth(1).locator("td").first).to_have_text("1")  # 云雾县: its one posted village
    screenshot(page, "desk-province-overview")
    assert_accessible(page)

    counties.get_by_role("link", name="云雾县").click()
    expect(page.get_by_role("table", name="各村情况").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("table", name="各村情况")).to_contain_text(field_server.village_name)
    with page.expect_download() as download:  # the file holds what is on screen: this county's villages
        page.get_by_role("button", name="导出 CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert field_server.village_name in exported
    assert "石头寨" not in exported
    page.get_by_role("link", name="返回各县合计").click()
    expect(counties.locator("tbody tr")).to_have_count(2)

    small = _log_in_as_admin(phone.new_page(), field_server).page
    expect(small.get_by_role("table", name="各县合计").locator("tbody tr")).to_have_count(2)
    screenshot(small, "phone-province-overview")
    assert_accessible(small)
