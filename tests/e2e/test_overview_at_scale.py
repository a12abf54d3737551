"""The overview as a county supervisor uses it: posted villages first and alone by default, the
worst of them one click away, a real table on a desk and cards on a phone, and a towns' table
that never breaks a word."""

from __future__ import annotations

import datetime as dt
import uuid

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.field import FieldServer, Login
from tests.e2e.phone_app import PhoneApp

WELL_KEPT = "520198101203"
UNPOSTED = "520198101204"


def _two_more_villages(server: FieldServer) -> None:
    """洞口村: posted, every household visited this week. 岩上村: weak-lax, nobody posted."""
    api = server.api
    api("POST", "/regions", {"code": WELL_KEPT, "name": "洞口村", "level": "village", "weak_lax": True})
    api("POST", "/regions", {"code": UNPOSTED, "name": "岩上村", "level": "village", "weak_lax": True})
    household = api("POST", "/households", {"village_code": WELL_KEPT, "household_no": "0001", "head_name": "潘德才"})
    api("POST", "/households", {"village_code": UNPOSTED, "household_no": "0001", "head_name": "田光荣"})
    keeper = server.add_user(Login("dongkou", "dongkou-pass-1", "石玉林"), role="secretary", scope=WELL_KEPT)
    start = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    posting = {"user_id": keeper.user_id, "village_code": WELL_KEPT, "position": "first_secretary"}
    api("POST", "/assignments", {**posting, "dispatch_unit": "县水务局", "start_date": start})
    visit = {
        "id": str(uuid.uuid4()),
        "kind": "home_visit",
        "household_id": household["id"],
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "notes": "了解春耕准备",
    }
    api("POST", "/visits", visit, as_user=keeper.username)


def _log_in(page: Page, server: FieldServer) -> PhoneApp:
    app = PhoneApp(page, server.base_url)
    app.log_in_to_overview(server.supervisor.username, server.supervisor.password)
    return app


def test_the_worst_posted_village_is_one_click_away_on_a_desk(  # type: ignore[no-untyped-def]
    desk: BrowserContext, field_server: FieldServer, screenshot, assert_accessible
) -> None:
    _two_more_villages(field_server)
    app = _log_in(desk.new_page(), field_server)
    page = app.page
    table = page.get_by_role("table", name="各村情况")
    rows = table.locator("tbody tr")

    expect(rows).to_have_count(2)  # the village nobody is posted to waits behind a switch
    expect(page.get_by_role("status").first).to_contain_text("另有 1 个村目前没有派驻")
    expect(rows.first).to_contain_text(field_server.village_name)  # 0% before 100%
    expect(page.get_by_role("list", name="各村情况")).to_be_hidden()  # the phone's cards
    totals = page.locator("table.totals")
    # 1 household visited of the posted villages' households; 岩上村's household is not counted
    posted_households = len(field_server.household_ids) + 1
    expect(totals.locator("tbody tr").first).to_contain_text(f"{round(100 / posted_households)}%")
    screenshot(page, "desk-overview")
    assert_accessible(page)

    page.get_by_role("button", name="覆盖率").click()  # reverse the order by its header
    expect(rows.first).to_contain_text("洞口村")
    page.get_by_label("也列出没有派驻的村").check()
    expect(rows).to_have_count(3)
    page.get_by_label("情况", exact=True).select_option("red")  # nobody checks in at either: both need a look
    expect(rows).to_have_count(2)
    expect(table).not_to_contain_text("岩上村")

    table.get_by_role("link", name=field_server.village_name).click()
    expect(app.heading).to_have_text("村情")


def test_the_towns_table_never_breaks_a_word_on_a_phone(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server: FieldServer, screenshot
) -> None:
    _two_more_villages(field_server)
    app = _log_in(phone.new_page(), field_server)
    expect(app.page.get_by_role("list", name="各村情况").locator("li")).to_have_count(2)
    screenshot(app.page, "phone-overview")

    broken = app.page.evaluate(
        """() => [...document.querySelectorAll('table.totals th, table.totals td')].filter((cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            return lines.size > 1;
        }).map((cell) => cell.textContent)"""
    )

    assert broken == []
