"""我的记录 on a new phone: the secretary's own records of the last 90 days come from the server.

The records are sent through the API as the secretary, as another phone would have sent them;
the browser is a phone that never saw them, which then records a visit of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Response, expect

from tests.e2e.phone_app import READY, PhoneApp

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENT = "已送达"


def _sent_from_another_phone(server) -> None:  # type: ignore[no-untyped-def]
    """Two visits and a check-in made on the secretary's old phone, already on the server."""
    now = datetime.now(SHANGHAI)
    place = {"village_code": server.village_code, "lat": server.lat, "lon": server.lon, "accuracy_m": 15}

    def ago(days: int) -> str:
        return (now - timedelta(days=days)).isoformat(timespec="seconds")

    visits = [
        {
            "kind": "home_visit",
            "household_id": server.household_ids[2],
            "started_at": ago(3),
            "notes": "帮他家申请临时救助。",
            "requests": [{"id": str(uuid.uuid4()), "category": "社会保障", "text": "希望尽快批下救助金"}],
        },
        {"kind": "group_talk", "started_at": ago(10), "notes": "二组村民小组会，讲解医保政策。"},
    ]
    for visit in visits:
        server.api("POST", "/visits", {"id": str(uuid.uuid4()), **place, **visit}, as_user="sec")
    server.api("POST", "/checkins", {"id": str(uuid.uuid4()), **place, "at": ago(1)}, as_user="sec")


def test_a_new_phone_lists_the_records_the_server_has(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server, screenshot, assert_accessible
) -> None:
    _sent_from_another_phone(field_server)
    app = PhoneApp(phone.new_page(), field_server.base_url)
    downloads: list[Response] = []
    app.page.on("response", lambda r: downloads.append(r) if "/api/v1/visits?" in r.url else None)
    app.log_in(field_server.secretary.username, field_server.secretary.password)

    # A visit made on this phone, sent at once: on the phone and on the server both.
    app.record_visit(field_server.household_names[0], notes="了解到家里老人看病不便。")
    expect(app.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)

    app.tab("记录")
    rows = app.page.get_by_role("list", name="我的记录").locator("li")
    labels = ["入户走访 · 张富贵", "驻村签到 · 高坡村", "入户走访 · 王德明", "小组座谈"]
    expect(rows.locator("strong")).to_have_text(labels)  # each once, newest first
    expect(rows.locator(".badge")).to_have_text([SENT] * len(labels))
    expect(rows.nth(2)).to_contain_text("1 条诉求")
    expect(rows.nth(2)).to_contain_text("帮他家申请临时救助。")
    expect(app.page.get_by_text("正在读取服务器上")).to_have_count(0)

    # The download asked for this secretary's own records of the last 90 days, and it held the
    # visit this phone sent, which is still listed only once.
    [download] = downloads
    query = parse_qs(urlsplit(download.url).query)
    assert query["user_id"] == [str(field_server.secretary.user_id)]
    since = datetime.fromisoformat(query["since"][0])
    assert abs(since - (datetime.now(SHANGHAI) - timedelta(days=90))) < timedelta(minutes=5)
    downloaded: list[dict[str, Any]] = download.json()["items"]
    assert any(v["household_id"] == field_server.household_ids[0] for v in downloaded)

    expect(app.page.locator("#toast")).to_be_hidden(timeout=10_000)  # the "saved" note has gone
    screenshot(app.page, "phone-records-new-phone")
    assert_accessible(app.page)

    # Opened again with no signal: what is on the phone, and a word on what could not be read.
    phone.set_offline(True)
    app.page.reload()
    app.page.wait_for_selector(READY)
    expect(app.heading).to_have_text("我的记录")
    expect(app.page.get_by_text("暂时读不到服务器上近 90 天的记录")).to_be_visible()
    expect(rows.locator("strong")).to_have_text(labels[:1])
    expect(rows.locator(".badge")).to_have_text([SENT])
    screenshot(app.page, "phone-records-offline")

    # Back in signal, the next time 我的记录 opens it has them all again.
    phone.set_offline(False)
    app.tab("待走访")
    app.tab("记录")
    expect(rows.locator("strong")).to_have_text(labels)
    expect(app.page.get_by_text("暂时读不到服务器上")).to_have_count(0)
