"""A county office staffer runs the county from a browser: creates a secretary, posts them, sees
them at work on their phone, rotates them to a successor, resets a password and switches an
account off — and the phones feel each change."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Dialog, Page, expect

from tests.e2e.field import FieldServer
from tests.e2e.phone_app import PhoneApp

NEW_VILLAGE = "520198101202"
NEW_VILLAGE_NAME = "龙潭村"
HOUSEHOLDS = ("杨德明", "吴小花", "罗正祥")


def _a_village_without_a_secretary(server: FieldServer) -> None:
    server.api(
        "POST",
        "/regions",
        {
            "code": NEW_VILLAGE,
            "name": NEW_VILLAGE_NAME,
            "level": "village",
            "weak_lax": True,
            "lat": 26.45,
            "lon": 106.6,
        },
    )
    for number, name in enumerate(HOUSEHOLDS, start=1):
        server.api(
            "POST", "/households", {"village_code": NEW_VILLAGE, "household_no": f"{number:04d}", "head_name": name}
        )


def _accept_dialogs(page: Page) -> None:
    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def _log_in(app: PhoneApp, username: str, password: str) -> None:
    app.open()
    app.page.get_by_label("账号").fill(username)
    app.page.get_by_label("密码").fill(password)
    app.page.get_by_role("button", name="登录", exact=True).click()


def _create_secretary(office: PhoneApp, username: str, name: str, password: str) -> None:
    page = office.page
    office.tab("管理")
    page.get_by_role("link", name="人员").click()
    expect(office.heading).to_have_text("人员")
    page.get_by_text("＋ 新建账号").click()
    form = page.locator("details form")
    form.get_by_label("用户名（登录用，字母、数字）").fill(username)
    form.get_by_label("姓名", exact=True).fill(name)
    form.get_by_label("角色").select_option("secretary")
    form.get_by_label("管辖范围").select_option(NEW_VILLAGE)
    form.get_by_label("初始密码（至少 8 个字符）").fill(password)
    form.get_by_role("button", name="创建账号").click()
    expect(office.heading).to_have_text("人员信息")
    expect(page.locator("main").get_by_role("status")).to_contain_text("还需要“派驻到村”")


def _open_person(office: PhoneApp, name: str) -> None:
    office.open("#/people")
    expect(office.heading).to_have_text("人员")
    office.page.get_by_role("link", name=name, exact=True).click()
    expect(office.heading).to_have_text("人员信息")


def test_a_county_staffer_posts_rotates_resets_and_switches_off_secretaries(  # type: ignore[no-untyped-def]
    desk: BrowserContext, phone: BrowserContext, browser, field_server: FieldServer, screenshot, assert_accessible
) -> None:
    _a_village_without_a_secretary(field_server)
    office = PhoneApp(desk.new_page(), field_server.base_url)
    _accept_dialogs(office.page)
    _log_in(office, field_server.supervisor.username, field_server.supervisor.password)
    expect(office.heading).to_have_text("总览")
    expect(office.page.locator("#who")).to_have_text("李明 · 云雾县")

    # The county's villages: the new weak-lax village has no first secretary, and says so.
    office.tab("管理")
    expect(office.heading).to_have_text("管理")
    screenshot(office.page, "admin-hub")
    assert_accessible(office.page)
    office.page.get_by_role("link", name="村和派驻").click()
    row = office.page.locator(f"tr[data-village='{NEW_VILLAGE}']")
    expect(row).to_contain_text("没有第一书记")
    expect(office.page.get_by_role("status")).to_contain_text("1 个没有第一书记")

    # A new secretary, posted to the village a month ago.
    _create_secretary(office, "zhouhy", "周海燕", "first-pass-2026")
    page = office.page
    page.get_by_label("村（社区）").select_option(NEW_VILLAGE)
    page.get_by_label("派驻单位").fill("县审计局")
    month_ago = page.evaluate("new Date(Date.now() - 30 * 86400000).toISOString().slice(0, 10)")
    page.get_by_label("开始").fill(month_ago)
    page.get_by_role("button", name="派驻", exact=True).click()
    expect(page.get_by_role("table")).to_contain_text(NEW_VILLAGE_NAME)
    expect(page.get_by_role("table")).to_contain_text("县审计局")
    screenshot(page, "admin-person")
    assert_accessible(page)

    # On the secretary's phone: their village's households, nobody else's.
    secretary = PhoneApp(phone.new_page(), field_server.base_url)
    _log_in(secretary, "zhouhy", "first-pass-2026")
    expect(secretary.heading).to_have_text("待走访")
    for name in HOUSEHOLDS:
        expect(secretary.page.get_by_role("link", name=re.compile(name))).to_be_visible()
    expect(secretary.page.locator(".list")).not_to_contain_text("王德贵")

    # A successor takes over the village today: the history stays whole.
    _create_secretary(office, "wangjun", "王军", "second-pass-2026")
    office.open(f"#/place?code={NEW_VILLAGE}")
    expect(office.heading).to_have_text("村的情况")
    office.page.get_by_role("button", name="轮换").click()
    office.page.get_by_label("接任者", exact=True).select_option(label="王军（wangjun）")
    screenshot(office.page, "admin-place-rotation", full_page=True)
    assert_accessible(office.page)
    office.page.get_by_role("button", name="轮换", exact=True).last.click()
    history = office.page.get_by_role("table")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").first).to_contain_text("王军")
    expect(history.locator("tbody tr").first).to_contain_text("至今")
    expect(history.locator("tbody tr").last).to_contain_text("周海燕")
    expect(history.locator("tbody tr").last).not_to_contain_text("至今")
    office.open("#/places")
    expect(office.page.locator(f"tr[data-village='{NEW_VILLAGE}']")).to_contain_text("王军")
    expect(office.page.locator("#toast")).to_be_hidden()
    screenshot(office.page, "admin-places")

    # The successor's password is reset; their phone must choose a new one before anything else.
    office.open("#/people")
    expect(office.page.get_by_role("table")).to_contain_text("王军")
    expect(office.page.locator("#toast")).to_be_hidden()
    screenshot(office.page, "admin-people")
    assert_accessible(office.page)
    _open_person(office, "王军")
    office.page.get_by_role("button", name="重置密码").click()
    temporary = office.page.get_by_label("临时密码").inner_text()
    assert len(temporary) >= 10
    expect(office.page.locator("#toast")).to_be_hidden()
    screenshot(office.page, "admin-password-reset")
    successor_phone = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    try:
        successor = PhoneApp(successor_phone.new_page(), field_server.base_url)
        _log_in(successor, "wangjun", temporary)
        expect(successor.heading).to_have_text("账号")
        expect(successor.page.get_by_role("alert")).to_contain_text("密码已被重置")
        successor.tab("待走访")
        expect(successor.heading).to_have_text("账号")  # nowhere else until it is changed
        screenshot(successor.page, "account-must-change")
        successor.page.get_by_label("原密码").fill(temporary)
        successor.page.get_by_label("新密码", exact=True).fill("my-own-pass-2026")
        successor.page.get_by_label("再输入一次新密码").fill("my-own-pass-2026")
        successor.page.get_by_role("button", name="保存新密码").click()
        expect(successor.heading).to_have_text("待走访")
        expect(successor.page.get_by_role("link", name=re.compile(HOUSEHOLDS[0]))).to_be_visible()
    finally:
        successor_phone.close()

    # The first secretary leaves the service: the account is switched off and the phone refused.
    _open_person(office, "周海燕")
    office.page.get_by_role("button", name="停用账号").click()
    expect(office.page.get_by_role("button", name="重新启用")).to_be_visible()
    secretary.page.reload()
    expect(secretary.page.locator("#banners")).to_contain_text("登录已过期")
    secretary.page.get_by_role("button", name="重新登录").click()
    secretary.page.get_by_label("密码").fill("first-pass-2026")
    secretary.page.get_by_role("button", name="登录", exact=True).click()
    expect(secretary.page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    assert field_server.api("GET", "/visits?village_code=" + NEW_VILLAGE) is not None


def test_every_role_logs_out_from_its_account_screen(  # type: ignore[no-untyped-def]
    desk: BrowserContext, field_server: FieldServer, assert_accessible
) -> None:
    office = PhoneApp(desk.new_page(), field_server.base_url)
    _log_in(office, field_server.supervisor.username, field_server.supervisor.password)
    expect(office.heading).to_have_text("总览")

    office.page.locator("#who").click()
    expect(office.heading).to_have_text("账号")
    expect(office.page.get_by_text("管辖范围：云雾县")).to_be_visible()
    assert_accessible(office.page)
    office.page.get_by_role("button", name="退出登录").click()

    expect(office.heading).to_have_text("登录")
    expect(office.page.locator("#who")).to_be_hidden()
