"""A villager's request from the secretary's phone to 办结 at the county office, and back.

The secretary records a visit with a request on a phone; a second request, sent six weeks ago
from the same village, is overdue. The county supervisor, at a desk, sees the overdue cue on
the village page, tries to resolve without saying what was done, then resolves with the
resolution; the secretary's phone shows the request resolved, with the resolution, in 我的记录.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import BrowserContext, expect
from sqlalchemy import create_engine, update
from sqlmodel import col

from api.requests.models import VillagerRequest
from tests.e2e.phone_app import PhoneApp

ASKED = "村口的路灯坏了两个月，晚上看不清路"
DONE = "已联系镇供电所，12月5日换好两盏路灯"


def _an_overdue_request(server) -> None:  # type: ignore[no-untyped-def]
    """A request sent from the village weeks ago and never taken up (as if it arrived 40 days ago)."""
    request_id = str(uuid.uuid4())
    visit = {
        "id": str(uuid.uuid4()),
        "kind": "group_talk",
        "village_code": server.village_code,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests": [{"id": request_id, "category": "住房", "text": "二组危房改造还没有人来看"}],
    }
    server.api("POST", "/visits", visit, as_user=server.secretary.username)
    engine = create_engine(f"sqlite:///{server.data_dir / 'zoufang.db'}")
    try:
        with engine.begin() as conn:
            weeks_ago = datetime.now(UTC) - timedelta(days=40)
            conn.execute(
                update(VillagerRequest).where(col(VillagerRequest.id) == request_id).values(created_at=weeks_ago)
            )
    finally:
        engine.dispose()


def test_a_request_resolved_at_the_desk_shows_on_the_secretarys_phone(  # type: ignore[no-untyped-def]
    phone: BrowserContext, desk: BrowserContext, field_server, screenshot, assert_accessible
) -> None:
    _an_overdue_request(field_server)
    secretary = PhoneApp(phone.new_page(), field_server.base_url)
    secretary.log_in(field_server.secretary.username, field_server.secretary.password)
    secretary.record_visit(field_server.household_names[0], notes="老人说晚上出门不方便。", request=ASKED)
    expect(secretary.page.locator("#sync-chip")).to_have_text("已全部发送", timeout=30_000)

    office = PhoneApp(desk.new_page(), field_server.base_url)
    office.open()
    office.page.get_by_label("账号").fill(field_server.supervisor.username)
    office.page.get_by_label("密码").fill(field_server.supervisor.password)
    office.page.get_by_role("button", name="登录", exact=True).click()
    expect(office.heading).to_have_text("总览")

    # The village page counts the overdue request and lists both, oldest first.
    office.open(f"#/village?code={field_server.village_code}")
    expect(office.heading).to_have_text("村情")
    expect(office.page.get_by_text("未办结的群众诉求（2 条）")).to_be_visible()
    expect(office.page.get_by_role("link", name="1 条群众诉求超过 30 天未办结")).to_be_visible()
    listed = office.page.get_by_role("list", name="群众诉求").locator("li")
    expect(listed).to_have_count(2)
    expect(listed.first).to_contain_text("超过 30 天")
    expect(listed.nth(1)).to_contain_text(ASKED)
    expect(listed.nth(1)).to_contain_text(field_server.household_names[0])

    # The full list, narrowed to the village's new request by its category.
    office.page.get_by_role("link", name="在群众诉求中查看本村全部诉求").click()
    expect(office.heading).to_have_text("群众诉求")
    office.page.get_by_label("办理状态").select_option(label="待办理")
    office.page.get_by_label("类别").select_option(label="医疗卫生")
    office.page.get_by_role("button", name="筛选").click()
    expect(office.page.get_by_text("没有符合条件的群众诉求。")).to_be_visible()
    office.page.get_by_label("办理状态").select_option(label="未办结")
    office.page.get_by_label("类别").select_option(label="全部类别")
    office.page.get_by_label("等待时间").select_option(value="30")
    office.page.get_by_role("button", name="筛选").click()
    expect(office.page.get_by_role("list", name="群众诉求").locator("li")).to_have_count(1)
    office.page.get_by_label("等待时间").select_option(value="")
    office.page.get_by_role("button", name="筛选").click()
    item = office.page.locator("li.record", has_text=ASKED)
    expect(item).to_contain_text("待办理")

    item.get_by_role("button", name="开始办理").click()
    expect(item.get_by_text("办理中")).to_be_visible()
    expect(item).to_contain_text("李明 于")
    item.get_by_role("button", name="办结").click()  # opens the field for what was done
    item.get_by_role("button", name="办结").click()
    expect(item.get_by_role("alert")).to_have_text("办结前请写明办理结果。")
    office.page.evaluate("window.scrollTo(0, 0)")
    screenshot(office.page, "desk-requests")
    assert_accessible(office.page)
    item.get_by_label("办理结果（必填）").fill(DONE)
    item.get_by_role("button", name="办结").click()
    expect(office.page.locator("#toast")).to_have_text("已办结。")
    expect(item).to_have_count(0)  # no longer among the unresolved
    office.page.get_by_label("办理状态").select_option(label="已办结")
    office.page.get_by_role("button", name="筛选").click()
    expect(item).to_contain_text(f"办理结果：{DONE}")
    expect(item).to_contain_text("李明 于")
    screenshot(office.page, "desk-requests-resolved")

    office.open(f"#/village?code={field_server.village_code}")
    expect(office.page.get_by_text("未办结的群众诉求（1 条）")).to_be_visible()
    screenshot(office.page, "desk-village-requests", full_page=True)
    assert_accessible(office.page)

    # The secretary opens the app again later: 我的记录 shows the outcome.
    secretary.open()
    secretary.tab("记录")
    record = secretary.page.get_by_role("list", name="我的记录").locator("li.record", has_text="入户走访")
    expect(record).to_contain_text("已办结")
    expect(record).to_contain_text(f"办理结果：{DONE}")
    expect(secretary.page.locator("#toast")).to_be_hidden(timeout=10_000)
    screenshot(secretary.page, "phone-records-request-resolved")
    assert_accessible(secretary.page)
