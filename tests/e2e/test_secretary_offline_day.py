"""A secretary's day without signal, on a phone-sized Chromium against a real ``zoufang serve``.

Each test checks what arrived on the server through its API (and, for what the API does not
show, in its database): everything exactly once, photos included, nothing lost.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, Route, expect

from tests.e2e.phone_app import PhoneApp, camera_photo


def _photos(tmp_path: Path, server, count: int) -> list[Path]:  # type: ignore[no-untyped-def]
    return [
        camera_photo(tmp_path, seed, taken_at=f"2026:11:30 09:1{seed}:00", lat=server.lat, lon=server.lon)
        for seed in range(1, count + 1)
    ]


def test_a_day_offline_arrives_exactly_once_when_back_online(phone: BrowserContext, field_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)

    phone.set_offline(True)
    names = field_server.household_names[:3]
    photos = _photos(tmp_path, field_server, 3)
    for i, (name, photo) in enumerate(zip(names, photos, strict=True)):
        app.record_visit(
            name, notes=f"{name}家：了解春耕准备情况。", photos=[photo], request="希望修通组上的路", sign=i == 0
        )
    app.check_in()
    expect(app.outbox_entries()).to_have_count(4)

    # The phone is switched off and on again, still with no signal: the app opens from its cache.
    app.page.reload()
    app.page.wait_for_selector("html[data-ready]")
    expect(app.heading).to_have_text("待发送")
    expect(app.outbox_entries()).to_have_count(4)
    expect(app.page.locator("#sync-chip")).to_contain_text("离线")

    # Back in signal: the phone sends on its own (the "立即发送" button is for the impatient).
    phone.set_offline(False)
    expect(app.page.get_by_text("全部记录都已发送。")).to_be_visible(timeout=30_000)
    expect(app.outbox_entries()).to_have_count(0)

    visits = field_server.api("GET", f"/visits?village_code={field_server.village_code}")["items"]
    assert sorted(v["notes"] for v in visits) == sorted(f"{n}家：了解春耕准备情况。" for n in names)
    assert all(v["user_id"] == field_server.secretary.user_id for v in visits)
    assert all(len(v["photo_ids"]) == 1 for v in visits)
    for visit in visits:
        photo = field_server.get_bytes(f"/photos/{visit['photo_ids'][0]}")
        assert photo[:2] == b"\xff\xd8"
    [signed] = [v for v in visits if v["signature_photo_id"]]
    assert signed["notes"].startswith(names[0])
    assert field_server.get_bytes(f"/photos/{signed['signature_photo_id']}")[:2] == b"\xff\xd8"
    checkins = field_server.api("GET", f"/checkins?village_code={field_server.village_code}")["items"]
    assert len(checkins) == 1
    requests = field_server.api("GET", f"/requests?scope={field_server.village_code}")["items"]
    assert [r["text"] for r in requests] == ["希望修通组上的路"] * 3

    # The photos were shrunk on the phone (EXIF gone), yet their capture time and position arrived.
    with sqlite3.connect(field_server.data_dir / "zoufang.db") as db:
        rows = db.execute(
            "SELECT width, height, taken_at, exif_lat, exif_lon FROM photo WHERE id != ?",
            [signed["signature_photo_id"]],
        ).fetchall()
    assert len(rows) == 3
    for width, height, taken_at, lat, lon in rows:
        assert max(width, height) == 1600
        assert taken_at is not None
        assert taken_at.startswith("2026-11-30 01:1")
        assert abs(lat - field_server.lat) < 0.001
        assert abs(lon - field_server.lon) < 0.001

    # The 待走访 list moved: the three visited households are no longer first.
    app.tab("待走访")
    first = app.page.locator(".list .row strong").first
    expect(first).not_to_have_text(names[0])


def test_a_record_the_server_refuses_stays_with_the_servers_reason(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    # A visit dated before the secretary's posting began: the server will not take it.
    before_posting = (datetime.now() - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M")
    app.record_visit(field_server.household_names[0], notes="补记去年的走访", when=before_posting)
    entry = app.outbox_entries().first
    expect(entry).to_contain_text("未接受", timeout=30_000)
    expect(entry).to_contain_text("服务器没有接受")
    reason = entry.locator(".error-text").inner_text()
    assert "派驻" in reason or "驻村" in reason, reason

    # Trying again does not drop it: it waits until the secretary fixes or discards it.
    app.send_now()
    expect(app.outbox_entries()).to_have_count(1)
    app.page.reload()
    app.page.wait_for_selector("html[data-ready]")
    expect(app.outbox_entries()).to_have_count(1)
    assert field_server.api("GET", f"/visits?village_code={field_server.village_code}")["items"] == []

    # Fixed: today's date, same record, and it goes through.
    app.page.get_by_role("link", name="修改").click()
    expect(app.heading).to_have_text("记录走访")
    app.page.get_by_label("走访时间").fill(datetime.now().strftime("%Y-%m-%dT%H:%M"))
    app.page.get_by_role("button", name="保存").click()
    expect(app.outbox_entries()).to_have_count(0, timeout=30_000)  # saved, then sent on its own
    expect(app.page.get_by_text("全部记录都已发送。")).to_be_visible()
    visits = field_server.api("GET", f"/visits?village_code={field_server.village_code}")["items"]
    assert [v["notes"] for v in visits] == ["补记去年的走访"]


def test_a_sync_cut_off_midway_finishes_on_reopening_without_duplicates(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server, tmp_path
) -> None:
    app = PhoneApp(phone.new_page(), field_server.base_url)
    app.log_in(field_server.secretary.username, field_server.secretary.password)
    phone.set_offline(True)
    names = field_server.household_names[3:5]
    for name, photo in zip(names, _photos(tmp_path, field_server, 2), strict=True):
        app.record_visit(name, notes=f"走访{name}", photos=[photo])

    # Back in signal, the phone sends on its own. The server stores the batch, but its answer
    # never reaches the phone, and the page is closed.
    def cut_off(route: Route) -> None:
        route.fetch()
        route.abort("connectionreset")

    app.page.route("**/api/v1/sync", cut_off)
    with app.page.expect_request("**/api/v1/sync"):
        phone.set_offline(False)
    app.page.wait_for_timeout(500)
    app.page.close()
    assert len(field_server.api("GET", f"/visits?village_code={field_server.village_code}")["items"]) == 2

    reopened = PhoneApp(phone.new_page(), field_server.base_url)
    reopened.open()
    expect(reopened.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)
    expect(reopened.outbox_entries()).to_have_count(0)
    visits = field_server.api("GET", f"/visits?village_code={field_server.village_code}")["items"]
    assert sorted(v["notes"] for v in visits) == sorted(f"走访{n}" for n in names)
    with sqlite3.connect(field_server.data_dir / "zoufang.db") as db:
        assert db.execute("SELECT count(*) FROM photo").fetchone() == (2,)
