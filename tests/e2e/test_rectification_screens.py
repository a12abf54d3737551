"""A progress report on the rectification ledger, from a phone with no signal to the town's desk.

The county has entered a problem and a measure for the field village. The secretary opens 整改
once with a signal (the ledger is kept on the phone), loses the signal, reopens the app, reports
the measure done with a photo: it waits in the outbox and shows on the measure as waiting. Back
online, the outbox sends it, exactly once. The town supervisor, at a desk, sees the measure
waiting for confirmation on the village page, cannot send it back without a reason, and confirms
it; the secretary's phone then shows it complete, with no way left to report on it. The county,
at another desk, cannot return the village's rectification without a reason, and accepts it.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import watched
from tests.e2e.field import Login
from tests.e2e.ledger import MEASURE, a_ledger, measure_now
from tests.e2e.phone_app import PhoneApp, camera_photo

TOWN = Login("town", "field-town-pass-1", "赵乡长")
REPORT = "合作社已重新登记，与县农投公司签了收购协议。"


def test_progress_reported_offline_is_sent_once_and_confirmed_by_the_town(  # type: ignore[no-untyped-def]
    phone: BrowserContext,
    desk: BrowserContext,
    browser: Browser,
    field_server,
    screenshot,
    assert_accessible,
    tmp_path: Path,
) -> None:
    measure = a_ledger(field_server)
    field_server.add_user(TOWN, role="town", scope=field_server.town_code)

    secretary = PhoneApp(phone.new_page(), field_server.base_url)
    secretary.log_in(field_server.secretary.username, field_server.secretary.password)
    secretary.tab("整改")
    expect(secretary.heading).to_have_text("整改")
    item = secretary.page.locator(f'li[data-measure="{measure["id"]}"]')
    expect(item).to_contain_text(MEASURE)
    expect(item).to_contain_text("未开始")

    # No signal: the app and the ledger open from the phone.
    phone.set_offline(True)
    secretary.page.reload()
    secretary.page.wait_for_selector("html[data-ready]")
    expect(secretary.heading).to_have_text("整改")
    expect(secretary.page.get_by_role("status").filter(has_text="离线")).to_be_visible()
    item.get_by_role("button", name="报告进展").click()
    item.get_by_label("进展情况").fill(REPORT)
    photo = camera_photo(tmp_path, 7, taken_at="2026:12:01 10:00:00", lat=field_server.lat, lon=field_server.lon)
    item.locator("input[type=file][multiple]").set_input_files(str(photo))
    expect(item.locator(".thumbs img")).to_have_count(1)
    item.get_by_label("已完成，请乡镇确认").check()
    screenshot(secretary.page, "phone-rectify-form")
    assert_accessible(secretary.page)
    item.get_by_role("button", name="保存").click()
    expect(secretary.page.locator("#toast")).to_have_text("已保存，有信号时自动发送。")
    expect(item).to_contain_text(f"待发送的进展：{REPORT}")
    expect(secretary.page.locator("#sync-chip")).to_contain_text("1 条待发送")
    screenshot(secretary.page, "phone-rectify-offline")
    assert_accessible(secretary.page)
    assert measure_now(field_server, measure["id"])["progress"] == []

    # The signal returns: the outbox sends the report, with its photo, once.
    phone.set_offline(False)
    expect(secretary.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)
    secretary.page.locator("#sync-chip").click()  # a second send changes nothing
    expect(secretary.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)
    sent = measure_now(field_server, measure["id"])
    assert sent["status"] == "done"
    assert [(p["text"], p["marks_done"], len(p["photo_ids"])) for p in sent["progress"]] == [(REPORT, True, 1)]

    # The town confirms it at the desk.
    office = _village_page(desk.new_page(), field_server, TOWN)
    ledger = office.page.locator("section", has=office.page.locator("#ledger-title"))
    entry = ledger.locator(f'li[data-measure="{measure["id"]}"]')
    expect(entry).to_contain_text("待乡镇确认")
    expect(entry).to_contain_text(REPORT)
    expect(entry).to_contain_text("附照片 1 张")
    entry.get_by_role("button", name="退回").click()  # opens the field for the reason
    entry.get_by_role("button", name="退回").click()
    expect(entry.get_by_role("alert")).to_have_text("请写明退回原因。")
    entry.scroll_into_view_if_needed()
    screenshot(office.page, "desk-village-rectification")
    assert_accessible(office.page)
    entry.get_by_role("button", name="确认完成").click()
    expect(office.page.locator("#toast")).to_have_text("已确认完成。")
    expect(entry).to_contain_text("已完成")
    expect(entry.get_by_role("button", name="确认完成")).to_have_count(0)
    expect(ledger).to_contain_text("乡镇已确认 1 项")
    ledger.get_by_text("整改记录").click()
    expect(ledger.get_by_role("list", name="整改记录")).to_contain_text("乡镇确认完成")
    screenshot(office.page, "desk-village-rectification-confirmed", full_page=True)
    assert measure_now(field_server, measure["id"])["status"] == "confirmed"

    # The secretary's phone shows it complete.
    secretary.page.reload()
    expect(item).to_contain_text("已完成")
    expect(item.get_by_role("button", name="报告进展")).to_have_count(0)
    screenshot(secretary.page, "phone-rectify-confirmed")

    # The county accepts the village's rectification, once it has said why it would not return it.
    with watched(browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")) as county_desk:
        county = _village_page(county_desk.new_page(), field_server, field_server.supervisor)
        verdict = county.page.get_by_role("region", name="整改验收")
        expect(verdict).to_contain_text("全部措施已由乡镇确认完成，可以验收。")
        verdict.get_by_role("button", name="退回整改").click()
        expect(verdict.get_by_role("alert")).to_have_text("请写明退回原因。")
        verdict.get_by_role("button", name="验收通过").click()
        expect(county.page.locator("#toast")).to_have_text("整改已验收通过。")
        expect(county.page.locator("section", has=county.page.locator("#ledger-title"))).to_contain_text("已验收")
        assert_accessible(county.page)
    ledger_now = field_server.api("GET", f"/villages/{field_server.village_code}/rectification")
    assert ledger_now["rectification_status"] == "accepted"
    assert ledger_now["history"][0]["action"] == "accepted"


def _village_page(page: Page, server, login: Login) -> PhoneApp:  # type: ignore[no-untyped-def]
    """``login`` signed in at a desk, on the field village's page."""
    office = PhoneApp(page, server.base_url)
    office.open()
    office.page.get_by_label("账号").fill(login.username)
    office.page.get_by_label("密码").fill(login.password)
    office.page.get_by_role("button", name="登录", exact=True).click()
    expect(office.heading).to_have_text("总览")
    office.open(f"#/village?code={server.village_code}")
    expect(office.heading).to_have_text("村情")
    return office
