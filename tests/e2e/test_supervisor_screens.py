"""A county supervisor's screens in the same app: the overview and the flags inbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from playwright.sync_api import BrowserContext, expect

from tests.e2e.phone_app import PhoneApp


def _log_in_as_supervisor(app: PhoneApp, server) -> None:  # type: ignore[no-untyped-def]
    app.open()
    app.page.get_by_label("账号").fill(server.supervisor.username)
    app.page.get_by_label("密码").fill(server.supervisor.password)
    app.page.get_by_role("button", name="登录", exact=True).click()
    expect(app.heading).to_have_text("总览")


def test_the_overview_shows_each_village_with_its_cue_and_exports(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server, screenshot, assert_accessible, tmp_path
) -> None:
    app = PhoneApp(phone.new_page(), field_server.base_url)
    _log_in_as_supervisor(app, field_server)
    village = app.page.get_by_role("list", name="各村情况").locator("li")
    expect(village).to_have_count(1)
    expect(village.first).to_contain_text(field_server.village_name)
    # Nobody has visited a household yet: coverage 0%, the red cue, in words as well as colour.
    expect(village.first).to_contain_text("0%")
    expect(village.first).to_contain_text("需关注")
    expect(app.page.get_by_role("table")).to_contain_text("石桥镇")
    expect(app.page.get_by_role("navigation", name="主菜单").get_by_role("link", name="待走访")).to_be_hidden()
    screenshot(app.page, "supervisor-overview")
    assert_accessible(app.page)

    with app.page.expect_download() as download:
        app.page.get_by_role("button", name="导出 Excel").click()
    path = tmp_path / "overview.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:2] == ["乡镇", "村"]
    assert sheet.cell(row=2, column=2).value == field_server.village_name

    # The quarterly bulletin of the last finished quarter, as Excel and as a page to print.
    bulletin = app.page.get_by_role("region", name="季度通报")
    expect(bulletin.get_by_label("季度")).to_contain_text("进行中")
    bulletin.scroll_into_view_if_needed()
    screenshot(app.page, "supervisor-bulletin")
    # The village was posted this quarter: only this quarter's bulletin ranks it.
    bulletin.get_by_label("季度").select_option(index=0)
    with app.page.expect_download() as download:
        bulletin.get_by_role("button", name="下载 Excel").click()
    path = tmp_path / "bulletin.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    assert book.sheetnames == ["概况", "乡镇排名", "村排名", "整顿整改", "问题清单"]
    assert [c.value for c in book["村排名"][2]][2] == field_server.village_name
    # The printable page opens in a tab of its own, its 打印 button one click from the dialog.
    with app.page.context.expect_page() as opened:
        bulletin.get_by_role("button", name="打开打印版").click()
    printable = opened.value
    expect(printable.get_by_role("heading", level=1)).to_contain_text("季度）")
    assert "size: A4" in printable.content()
    assert printable.evaluate("getComputedStyle(document.querySelector('h1')).textAlign") == "center"  # styled
    printable.evaluate("window.print = () => { window.printed = true; }")
    printable.get_by_role("button", name="打印").click()
    assert printable.evaluate("window.printed") is True
    printable.emulate_media(media="print")
    expect(printable.get_by_role("button", name="打印")).to_be_hidden()  # not on the paper
    screenshot(printable, "supervisor-bulletin-print")


def test_the_flags_inbox_resolves_a_flag_with_a_note(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server, screenshot, assert_accessible
) -> None:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    checkin = {"id": str(uuid.uuid4()), "village_code": field_server.village_code, "at": at, "lat": 26.7, "lon": 106.71}
    answer = field_server.api("POST", "/checkins", checkin, as_user=field_server.secretary.username)
    assert answer["checks"] == ["off_site"]

    app = PhoneApp(phone.new_page(), field_server.base_url)
    _log_in_as_supervisor(app, field_server)
    app.page.get_by_role("navigation", name="主菜单").get_by_role("link", name="问题提示").click()
    expect(app.heading).to_have_text("问题提示")
    flag = app.page.get_by_role("list", name="问题提示").locator("li").first
    expect(flag).to_contain_text("位置不在村里")
    expect(flag).to_contain_text("公里")
    screenshot(app.page, "supervisor-flags")
    assert_accessible(app.page)

    flag.get_by_role("button", name="已解决").click()
    expect(flag.get_by_role("alert")).to_have_text("驳回或解决一条提示时，请写明理由（处理说明）。")
    flag.get_by_label("处理说明").fill("电话核实：当天在县里开会，已补签。")
    flag.get_by_role("button", name="已解决").click()
    expect(app.page.get_by_text("没有待处理的问题提示。")).to_be_visible()
    [handled] = field_server.api("GET", "/flags?status=all", as_user=field_server.supervisor.username)["items"]
    assert (handled["status"], handled["note"]) == ("resolved", "电话核实：当天在县里开会，已补签。")


def test_village_and_secretary_pages_draw_their_charts(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server, screenshot, assert_accessible
) -> None:
    sec = field_server.secretary.username
    now = datetime.now(UTC)
    visits = [
        {
            "id": str(uuid.uuid4()),
            "kind": "home_visit",
            "household_id": household,
            "started_at": (now - timedelta(days=3 * n, hours=2)).isoformat(),
            "lat": field_server.lat + 0.001 * n,
            "lon": field_server.lon,
        }
        for n, household in enumerate(field_server.household_ids[:4])
    ]
    night = {
        "id": str(uuid.uuid4()),
        "village_code": field_server.village_code,
        "at": now.isoformat(),
        "lat": field_server.lat,
        "lon": field_server.lon,
    }
    field_server.api("POST", "/sync", {"visits": visits, "checkins": [night]}, as_user=sec)

    app = PhoneApp(phone.new_page(), field_server.base_url)
    _log_in_as_supervisor(app, field_server)
    app.page.get_by_role("link", name=field_server.village_name).click()
    expect(app.heading).to_have_text("村情")
    expect(app.page.get_by_text("走访 4/12 户")).to_be_visible()
    expect(app.page.get_by_role("img", name="4 次走访的位置，其中 0 次在村的范围外")).to_be_visible()
    expect(app.page.get_by_text("90 天内没有走访的农户（8 户）")).to_be_visible()
    screenshot(app.page, "supervisor-village", full_page=True)
    assert_accessible(app.page)

    app.page.get_by_role("link", name=field_server.secretary.display_name).click()
    expect(app.heading).to_have_text("驻村干部")
    expect(app.page.get_by_role("img", name="按星期和小时统计的走访次数")).to_be_visible()
    expect(app.page.locator(".chart .punch")).to_have_count(len({(v["started_at"]) for v in visits}), timeout=5_000)
    expect(app.page.get_by_role("img", name="近 90 天在村 1 天", exact=False)).to_be_visible()
    screenshot(app.page, "supervisor-secretary", full_page=True)
    assert_accessible(app.page)
