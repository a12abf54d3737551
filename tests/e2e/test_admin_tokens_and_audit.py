"""The county office's API tokens and the admin's audit log, in a desk browser and on a phone.

A county staffer issues a token for an inspection team, sees it once with a request to try it by,
and the token reads the API until it is revoked on the same screen. An admin then finds the reads
of personal data in the audit log, narrows them to one person and downloads them.
"""

from __future__ import annotations

import io
import math
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import BrowserContext, Dialog, Page, expect

from tests.e2e.field import FieldServer, Login
from tests.e2e.phone_app import PhoneApp

TOKEN_NAME = "县委督查组第四季度抽查"
SCRIPT_READ = "/api/v1/dashboard/villages?days=90"
PAGE = 100  # entries the audit screen shows before 加载更多
COUNTY_TIME = ZoneInfo("Asia/Shanghai")  # the desk browser's and the server's


def _log_in(app: PhoneApp, login: Login) -> None:
    app.open()
    app.page.get_by_label("账号").fill(login.username)
    app.page.get_by_label("密码").fill(login.password)
    app.page.get_by_role("button", name="登录", exact=True).click()
    expect(app.heading).to_have_text("总览")


def _open_from_the_hub(app: PhoneApp, card: str) -> None:
    app.tab("管理")
    expect(app.heading).to_have_text("管理")
    app.page.get_by_role("link", name=card).click()
    expect(app.heading).to_have_text(card)


def _accept_dialogs(page: Page) -> None:
    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def _script_read(server: FieldServer, token: str) -> httpx.Response:
    """What an inspection team's script does with the token: one read of the API."""
    return httpx.get(f"{server.base_url}{SCRIPT_READ}", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _token_screen_at_desk_width(page: Page, screenshot) -> None:  # type: ignore[no-untyped-def]
    """The screen in one window as tall as it is (no sticky header or tab bar drawn over it), into
    the artifacts; and its header and main area as a palette PNG small enough for the README
    (docs/screenshot-admin-tokens.png is copied from it by hand)."""
    expect(page.locator("#toast")).to_be_hidden(timeout=10_000)
    bottom = math.ceil(page.evaluate("document.querySelector('main').getBoundingClientRect().bottom + scrollY"))
    page.set_viewport_size({"width": 1366, "height": bottom + 80})
    page.evaluate("scrollTo(0, 0)")
    for_docs = screenshot(page, "admin-tokens").with_name("docs-admin-tokens.png")
    png = page.screenshot(clip={"x": 0, "y": 0, "width": 1366, "height": bottom})
    Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128).save(for_docs, optimize=True)
    assert for_docs.stat().st_size < 200_000


def test_a_county_staffer_issues_a_token_that_works_until_revoked(  # type: ignore[no-untyped-def]
    desk: BrowserContext, phone: BrowserContext, field_server: FieldServer, screenshot, assert_accessible
) -> None:
    desk.grant_permissions(["clipboard-read", "clipboard-write"], origin=field_server.base_url)
    office = PhoneApp(desk.new_page(), field_server.base_url)
    _accept_dialogs(office.page)
    _log_in(office, field_server.supervisor)
    _open_from_the_hub(office, "API 令牌")
    page = office.page

    expect(page.get_by_label("可读取的范围")).to_have_value(field_server.county_code)
    last_day = datetime.now(COUNTY_TIME).date() + timedelta(days=90)
    expect(page.get_by_label("有效期至（含当天）")).to_have_value(last_day.isoformat())
    page.get_by_label("名称（写明谁用、做什么）").fill(TOKEN_NAME)
    page.get_by_role("button", name="签发令牌").click()

    shown = page.get_by_role("region", name=f"新令牌：{TOKEN_NAME}")
    expect(shown).to_be_visible()
    expect(shown.get_by_role("alert")).to_contain_text("只显示这一次")
    token = shown.locator(".secret").inner_text().strip()
    assert token.startswith("zf_")
    expect(shown.locator("pre").first).to_have_text(
        f'curl -H "Authorization: Bearer {token}" "{field_server.base_url}{SCRIPT_READ}"'
    )
    expect(shown.locator("pre").last).to_contain_text("urllib.request.urlopen")
    shown.get_by_role("button", name="复制令牌").click()
    expect(page.locator("#toast")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == token
    row = page.get_by_role("table", name="已签发的令牌").locator("tr", has_text=TOKEN_NAME)
    expect(row).to_contain_text("云雾县")
    expect(row).to_contain_text(field_server.supervisor.display_name)
    expect(row).to_contain_text("有效")
    _token_screen_at_desk_width(page, screenshot)
    assert_accessible(page)

    [listed] = field_server.api("GET", "/api-tokens", as_user=field_server.supervisor.username)["items"]
    assert listed["created_by_name"] == field_server.supervisor.display_name
    assert datetime.fromisoformat(listed["expires_at"]) == datetime.combine(last_day, time(23, 59, 59), COUNTY_TIME)

    read = _script_read(field_server, token)
    assert read.status_code == 200, read.text
    assert [v["village_name"] for v in read.json()["items"]] == [field_server.village_name]

    # The list never shows a token again, on a phone as on the desk.
    small = PhoneApp(phone.new_page(), field_server.base_url)
    _log_in(small, field_server.supervisor)
    small.open("#/tokens")
    expect(small.page.get_by_role("table", name="已签发的令牌")).to_contain_text(TOKEN_NAME)
    assert token not in small.page.content()
    screenshot(small.page, "admin-tokens-phone", full_page=True)

    row.get_by_role("button", name="撤销").click()
    expect(row).to_contain_text("已撤销")
    expect(row.get_by_role("button", name="撤销")).to_have_count(0)
    assert _script_read(field_server, token).status_code == 401


def test_an_admin_finds_reads_in_the_audit_log_filters_them_and_downloads_them(  # type: ignore[no-untyped-def]
    desk: BrowserContext, phone: BrowserContext, field_server: FieldServer, screenshot, assert_accessible, tmp_path
) -> None:
    supervisor, secretary = field_server.supervisor, field_server.secretary
    household = field_server.household_ids[0]
    field_server.api("GET", f"/households/{household}", as_user=supervisor.username)
    for _ in range(PAGE):  # a page of the secretary's reads above the supervisor's
        field_server.api("GET", f"/households?village_code={field_server.village_code}", as_user=secretary.username)

    office = PhoneApp(desk.new_page(), field_server.base_url)
    _log_in(office, field_server.admin)
    _open_from_the_hub(office, "读取记录")
    page = office.page
    log = page.get_by_role("table", name="读取记录").locator("tbody tr")
    expect(log).to_have_count(PAGE)
    expect(log.first).to_contain_text(f"{secretary.display_name}{secretary.username}")
    expect(log.first).to_contain_text(f"农户列表，{len(field_server.household_ids)} 条")
    expect(log.first).to_contain_text(f"村代码：{field_server.village_code}")
    screenshot(page, "admin-audit")
    assert_accessible(page)
    page.get_by_role("button", name="加载更多").click()
    expect(log).to_have_count(PAGE + 1)
    expect(log.last).to_contain_text(f"{supervisor.display_name}{supervisor.username}")
    expect(log.last).to_contain_text(f"农户 #{household}")
    expect(page.get_by_role("button", name="加载更多")).to_have_count(0)
    everything = _download(page, "导出 CSV", tmp_path / "audit.csv").read_bytes()
    assert everything.startswith("\ufeff".encode())
    assert everything.decode("utf-8-sig").splitlines()[-1].split(",")[1:3] == [
        supervisor.username,
        supervisor.display_name,
    ]
    assert len(everything.decode("utf-8-sig").splitlines()) == 1 + PAGE + 1

    page.get_by_label("读取人").select_option(label=f"{supervisor.display_name}（{supervisor.username}）")
    page.get_by_role("button", name="查询").click()
    expect(log).to_have_count(1)
    expect(log).to_contain_text(supervisor.display_name)
    header, *rows = load_workbook(_download(page, "导出 Excel", tmp_path / "audit.xlsx"))["读取记录"].iter_rows(
        values_only=True
    )
    assert header[:3] == ("读取时间", "账号", "姓名")
    assert [(r[1], r[2], r[5], r[6]) for r in rows] == [
        (supervisor.username, supervisor.display_name, "农户", str(household))
    ]

    small = PhoneApp(phone.new_page(), field_server.base_url)
    _log_in(small, field_server.admin)
    small.open("#/audit")
    expect(small.page.get_by_role("table", name="读取记录").locator("tbody tr")).to_have_count(PAGE)
    screenshot(small.page, "admin-audit-phone", full_page=True)


def _download(page: Page, button: str, path: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    download.value.save_as(path)
    return path
