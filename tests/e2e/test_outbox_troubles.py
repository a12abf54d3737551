"""When sending goes wrong: the server in trouble, an expired login, a full phone, a weak GPS.

Whatever happens, the record stays on the phone and the secretary is told in plain words.
"""

from __future__ import annotations

import json

from playwright.sync_api import BrowserContext, Route, expect

from tests.e2e.phone_app import PhoneApp

PROBLEM = "application/problem+json"


def _answer(status: int, title: str, *, retry_after: int | None = None, calls: list[str] | None = None):  # type: ignore[no-untyped-def]
    def handle(route: Route) -> None:
        if calls is not None:
            calls.append(route.request.url)
        body = {"type": "about:blank", "title": title, "status": status, "detail": title}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        route.fulfill(status=status, content_type=PROBLEM, headers=headers, body=json.dumps(body, ensure_ascii=False))

    return handle


def _visits(server) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return server.api("GET", f"/visits?village_code={server.village_code}")["items"]  # type: ignore[no-any-return]


def test_a_server_in_trouble_is_retried_later_and_nothing_is_lost(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    phone.route("**/api/v1/sync", _answer(503, "服务器正在维护，请稍后再试。"))
    app.record_visit(field_server.household_names[0], notes="服务器维护时记的走访")
    entry = app.outbox_entries().first
    expect(entry).to_contain_text("服务器正在维护", timeout=30_000)
    expect(entry).to_contain_text("自动重试")
    expect(entry).to_contain_text("待发送")
    assert _visits(field_server) == []

    phone.unroute("**/api/v1/sync")
    app.send_now()
    expect(app.page.get_by_text("全部记录都已发送。")).to_be_visible(timeout=30_000)
    assert [v["notes"] for v in _visits(field_server)] == ["服务器维护时记的走访"]


def test_a_busy_servers_retry_after_is_honoured(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    """A crowd of phones told "come back in ten minutes" does come back then, not every 20 seconds."""
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    calls: list[str] = []
    phone.route("**/api/v1/sync", _answer(503, "服务器正忙", retry_after=600, calls=calls))
    app.record_visit(field_server.household_names[0], notes="服务器正忙时记的走访")
    entry = app.outbox_entries().first
    expect(entry).to_contain_text("服务器正忙", timeout=30_000)

    next_at = app.page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("zoufang");
            open.onsuccess = () => {
                const get = open.result.transaction("records").objectStore("records").getAll();
                get.onsuccess = () => resolve(get.result.map((r) => r.next_at - Date.now()));
            };
        })"""
    )
    assert [round(ms / 1000) >= 590 for ms in next_at] == [True], next_at
    sent = len(calls)
    app.page.wait_for_timeout(25_000)  # longer than the timer's 20 s between rounds
    assert len(calls) == sent, "the phone should wait as long as the server asked"


def test_an_expired_login_keeps_the_records_until_the_secretary_logs_in_again(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server
) -> None:
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    phone.route("**/api/v1/sync", _answer(401, "登录已过期，请重新登录。"))
    app.record_visit(field_server.household_names[1], notes="登录过期前记的走访")
    banner = app.page.locator("#banners")
    expect(banner).to_contain_text("登录已过期", timeout=30_000)
    expect(app.outbox_entries()).to_have_count(1)

    phone.unroute("**/api/v1/sync")
    banner.get_by_role("button", name="重新登录").click()
    expect(app.heading).to_have_text("登录")
    app.page.get_by_label("账号").fill(field_server.secretary.username)
    app.page.get_by_label("密码").fill(field_server.secretary.password)
    app.page.get_by_role("button", name="登录", exact=True).click()
    expect(app.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)
    assert [v["notes"] for v in _visits(field_server)] == ["登录过期前记的走访"]


def test_a_full_phone_says_so_and_keeps_the_form(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    app = PhoneApp(phone.new_page(), field_server.base_url)
    # From the moment the test says so, every write to IndexedDB fails as on a full disk.
    app.page.add_init_script(
        """(() => {
            const put = IDBObjectStore.prototype.put;
            IDBObjectStore.prototype.put = function (...args) {
                if (window.diskIsFull) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
                return put.apply(this, args);
            };
        })()"""
    )
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    app.tab("待走访")
    app.page.get_by_role("link", name=field_server.household_names[2]).first.click()
    app.page.get_by_label("情况记录").fill("存储空间满时记的走访")
    app.page.evaluate("window.diskIsFull = true")
    app.page.get_by_role("button", name="保存").click()
    expect(app.page.get_by_role("alert")).to_contain_text("手机存储空间已满，这条记录没有保存")
    expect(app.heading).to_have_text("记录走访")
    expect(app.page.get_by_label("情况记录")).to_have_value("存储空间满时记的走访")

    # Space freed: the same form saves.
    app.page.evaluate("window.diskIsFull = false")
    app.page.get_by_role("button", name="保存").click()
    expect(app.heading).to_have_text("待走访")
    expect(app.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)
    assert [v["notes"] for v in _visits(field_server)] == ["存储空间满时记的走访"]


def test_a_poor_gps_fix_is_shown_with_a_warning(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    phone.set_geolocation({"latitude": field_server.lat, "longitude": field_server.lon, "accuracy": 850})
    app.tab("签到")
    expect(app.page.locator(".gps")).to_contain_text("定位精度较差（约 ±850 米）")


def test_households_are_found_offline_by_name_group_and_tag(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    phone.set_offline(True)
    app.tab("村民")
    search = app.page.get_by_label("查找农户")
    results = app.page.get_by_role("list", name="查找结果").locator("li")
    expect(results).to_have_count(12)
    search.fill("低保")
    expect(results).to_have_count(2)
    search.fill("三组 低保")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("罗永福")
    search.fill("秀英")
    expect(results).to_have_count(1)
    expect(app.page.get_by_role("status").filter(has_text="找到")).to_have_text("找到 1 户")


def test_half_an_emoji_left_by_the_keyboard_keeps_the_rest_of_the_words(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    """A keyboard can leave half of an emoji (a lone UTF-16 surrogate), which no server can keep."""
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    app.tab("待走访")
    app.page.get_by_role("link", name=field_server.household_names[2]).first.click()
    expect(app.heading).to_have_text("记录走访")
    app.page.get_by_label("情况记录").evaluate(
        """(field) => {
            field.value = "群众反映路灯坏了\\uD83D，已登记";
            field.dispatchEvent(new Event("input", { bubbles: true }));
        }"""
    )
    expect(app.page.locator(".gps")).to_contain_text("已定位")
    app.page.get_by_role("button", name="保存").click()
    expect(app.heading).to_have_text("待走访")

    expect(app.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)
    assert [v["notes"] for v in _visits(field_server)] == ["群众反映路灯坏了\ufffd，已登记"]
