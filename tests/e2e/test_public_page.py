"""The village's public side: the printed notice board, and a villager's message from the page to 办结.

The notice board must print on one A4 sheet, and its QR code must lead to the village's public
page: the code is read back from the SVG as the browser draws it (a point in each module, tested
against the drawn path) and compared with segno's own matrix for the page's address.

A villager, not logged in, opens the public page on a cheap phone, leaves a message and keeps the
receipt page; the secretary sees the message in 我的记录 on their phone; the county supervisor
resolves it at a desk; the villager's receipt page then says 已办结, with what was done.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import segno
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.conftest import watched
from tests.e2e.ledger import MEASURE, a_ledger
from tests.e2e.phone_app import PhoneApp

A4 = {"width": 794, "height": 1123}  # CSS pixels at 96 dpi
ASKED = "二组的自来水管冻裂了，已经停水三天"
DONE = "镇水务站已派人更换水管，12月6日恢复供水"


@pytest.fixture
def second_phone(browser: Browser) -> Iterator[BrowserContext]:
    """Another 360 px phone, the secretary's, beside the villager's."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="allow",
    )
    with watched(context):
        yield context


def test_the_notice_board_prints_on_one_a4_sheet_with_a_qr_code_to_the_public_page(  # type: ignore[no-untyped-def]
    browser: Browser, field_server, screenshot
) -> None:
    a_ledger(field_server)
    token = field_server._token(field_server.secretary.username)
    context = browser.new_context(
        viewport=A4,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        extra_http_headers={"Authorization": f"Bearer {token}"},
    )
    with watched(context):
        page = context.new_page()
        page.goto(f"{field_server.base_url}/api/v1/villages/{field_server.village_code}/notice?format=html")
        expect(page.get_by_role("heading", name="驻村第一书记公示牌")).to_be_visible()
        expect(page.locator("body")).to_contain_text(MEASURE)
        screenshot(page, "notice-poster", full_page=True)

        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="打印")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollHeight") <= A4["height"]
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "the notice board takes more than one sheet"

        url = f"{field_server.base_url}/v/{field_server.village_code}"
        expect(page.locator("body")).to_contain_text(url)
        drawn = page.evaluate(
            """() => {
                const svg = document.querySelector("svg[data-modules]");
                const path = svg.querySelector("path");
                const n = Number(svg.dataset.modules), quiet = Number(svg.dataset.quietZone);
                const point = svg.createSVGPoint();
                const rows = [];
                for (let y = 0; y < n; y += 1) {
                    const row = [];
                    for (let x = 0; x < n; x += 1) {
                        point.x = x + quiet + 0.5;
                        point.y = y + quiet + 0.5;
                        row.push(path.isPointInFill(point));
                    }
                    rows.push(row);
                }
                return rows;
            }"""
        )
        expected = [[bool(m) for m in row] for row in segno.make(url, error="m", micro=False).matrix]
        assert drawn == expected, "the printed QR code does not encode the public page's address"


def test_a_villagers_message_reaches_the_secretary_and_its_resolution_the_villager(  # type: ignore[no-untyped-def]
    phone: BrowserContext,
    second_phone: BrowserContext,
    desk: BrowserContext,
    field_server,
    screenshot,
    assert_accessible,
) -> None:
    a_ledger(field_server)
    village = field_server.village_code

    # The villager: no account, a phone, the page the QR code leads to.
    villager = phone.new_page()
    villager.goto(f"{field_server.base_url}/v/{village}")
    expect(villager.get_by_role("heading", level=1)).to_have_text(field_server.village_name)
    expect(villager.locator("body")).to_contain_text(field_server.secretary.display_name)
    expect(villager.locator("body")).to_contain_text(MEASURE)
    assert villager.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways on a phone"
    screenshot(villager, "public-page-phone", full_page=True)
    assert_accessible(villager)
    villager.get_by_label("类别").select_option(index=0)
    villager.get_by_label("留言内容").fill(ASKED)
    villager.get_by_label("姓名").fill("刘大姐")
    villager.get_by_role("button", name="提交留言").click()
    expect(villager.get_by_role("heading", level=1)).to_have_text("留言已收到")
    receipt = villager.url
    assert re.search(rf"/v/{village}/m/[23456789A-Z]{{8}}$", receipt), receipt
    screenshot(villager, "public-receipt-phone", full_page=True)
    assert_accessible(villager)

    # The secretary sees it in 我的记录.
    secretary = PhoneApp(second_phone.new_page(), field_server.base_url)
    secretary.log_in(field_server.secretary.username, field_server.secretary.password)
    secretary.tab("记录")
    messages = secretary.page.get_by_role("list", name="来自公开页留言")
    expect(messages).to_contain_text(ASKED)
    expect(messages).to_contain_text("待办理")
    messages.scroll_into_view_if_needed()
    screenshot(secretary.page, "phone-records-public-message")
    assert_accessible(secretary.page)

    # The county supervisor resolves it among the requests, where it is marked as from the page.
    office = PhoneApp(desk.new_page(), field_server.base_url)
    office.open()
    office.page.get_by_label("账号").fill(field_server.supervisor.username)
    office.page.get_by_label("密码").fill(field_server.supervisor.password)
    office.page.get_by_role("button", name="登录", exact=True).click()
    expect(office.heading).to_have_text("总览")
    office.open("#/requests?source=public_page")
    expect(office.heading).to_have_text("群众诉求")
    item = office.page.locator("li.record", has_text=ASKED)
    expect(item).to_contain_text("公开页留言")
    expect(item).to_contain_text("刘大姐")
    screenshot(office.page, "desk-requests-public-message")
    assert_accessible(office.page)
    item.get_by_role("button", name="办结").click()
    item.get_by_label("办理结果（必填）").fill(DONE)
    item.get_by_role("button", name="办结").click()
    expect(office.page.locator("#toast")).to_have_text("已办结。")

    # The villager looks again with the receipt.
    villager.goto(receipt)
    expect(villager.get_by_role("heading", level=1)).to_have_text("已办结")
    expect(villager.locator("body")).to_contain_text(DONE)
    screenshot(villager, "public-receipt-resolved-phone", full_page=True)
    assert_accessible(villager)
