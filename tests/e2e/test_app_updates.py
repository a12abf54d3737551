"""A new version of the app reaches the phone without touching what waits in its outbox."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.e2e.phone_app import PhoneApp


def test_a_new_service_worker_version_keeps_the_outbox(phone: BrowserContext, custom_field_server) -> None:  # type: ignore[no-untyped-def]
    server = custom_field_server()
    app = PhoneApp(phone.new_page(), server.base_url)
    app.log_in(server.secretary.username, server.secretary.password)
    old_caches = app.page.evaluate("caches.keys()")

    # A visit waits: the server's sync endpoint cannot be reached from the field.
    phone.route("**/api/v1/sync", lambda route: route.abort("internetdisconnected"))
    app.record_visit(server.household_names[0], notes="等待发送的走访")
    expect(app.outbox_entries()).to_have_count(1)

    # The county deploys a new version; the phone notices and offers it instead of reloading.
    with (server.pwa_dir / "css" / "app.css").open("a", encoding="utf-8") as css:
        css.write("\n.top { border-bottom: 4px solid #7a0f0f; }\n")
    app.page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    banner = app.page.locator("#banners").get_by_text("新版本可用")
    expect(banner).to_be_visible(timeout=30_000)
    expect(app.outbox_entries()).to_have_count(1)  # nothing reloaded under the user's hand

    with app.page.expect_navigation():
        app.page.locator("#banners").get_by_role("button", name="更新").click()
    app.page.wait_for_selector("html[data-ready]")
    new_caches = app.page.evaluate("caches.keys()")
    assert len(new_caches) == 1, new_caches  # the old version's cache is gone
    assert new_caches != old_caches
    expect(app.outbox_entries()).to_have_count(1)
    expect(app.outbox_entries().first).to_contain_text("入户走访")

    phone.unroute("**/api/v1/sync")
    app.send_now()
    expect(app.page.get_by_text("全部记录都已发送。")).to_be_visible(timeout=30_000)
    visits = server.api("GET", f"/visits?village_code={server.village_code}")["items"]
    assert [v["notes"] for v in visits] == ["等待发送的走访"]
