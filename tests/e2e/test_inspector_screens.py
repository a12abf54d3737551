"""An inspector's day: draw a sample, take it to the village with no signal, answer every
household, and see the answers arrive exactly once with the rates and denied visits they add up to.

The inspector uses the same app and the same outbox as the secretaries: answers are saved on the
phone with a UUID made once, sent (batched per inspection) when there is signal, and checked here
through the API and the database.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.e2e.field import Login
from tests.e2e.phone_app import READY, PhoneApp

INSPECTOR = Login("inspector", "field-inspector-pass-1", "赵督查")
SAMPLE_SIZE = 6
VISITED = 4  # households with home visits logged: the sample takes half of itself from them
NOTE = "老人耳背，由儿子代答。"
SLIP = {"reached": True, "knows": True, "recalls": True, "satisfied": "unsure"}

READ_OUTBOX = """() => new Promise((resolve, reject) => {
    const opening = indexedDB.open("zoufang");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
        const db = opening.result;
        const request = db.transaction("records").objectStore("records").getAll();
        request.onsuccess = () => { db.close(); resolve(request.result); };
        request.onerror = () => reject(request.error);
    };
})"""

SMALL_TARGETS = """() => ({
    scrollWidth: document.documentElement.scrollWidth,
    font: parseFloat(getComputedStyle(document.body).fontSize),
    small: [...document.querySelectorAll('button, a, input, select, textarea')]
        .filter((el) => el.offsetParent !== null && !el.closest('.skip'))
        // A radio button or checkbox is tapped through its label, which is the target that counts.
        .map((el) => (['radio', 'checkbox'].includes(el.type) && el.closest('label') ? el.closest('label') : el))
        .map((el) => [el.textContent.trim() || el.id, el.getBoundingClientRect()])
        .filter(([, box]) => box.height < 44)
        .map(([name, box]) => `${name}: ${Math.round(box.height)}px`),
})"""


def _fits_a_small_phone(page: Page) -> None:
    sizes = page.evaluate(SMALL_TARGETS)
    assert sizes["scrollWidth"] <= 360, f"{page.url} scrolls sideways"
    assert sizes["font"] >= 16
    assert sizes["small"] == [], f"{page.url}: touch targets under 44 px: {sizes['small']}"


def _log_in(phone: BrowserContext, server: Any) -> PhoneApp:
    """The inspector logs in and lands on 督查, with the app kept on the phone for the road."""
    app = PhoneApp(phone.new_page(), server.base_url)
    app.open()
    app.page.get_by_label("账号").fill(INSPECTOR.username)
    app.page.get_by_label("密码").fill(INSPECTOR.password)
    app.page.get_by_role("button", name="登录", exact=True).click()
    expect(app.heading).to_have_text("督查")
    app.page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
    return app


def _log_visits(server: Any, households: list[int]) -> None:
    """The secretary's home visits of the last days, sent as a phone would."""
    now = datetime.now(UTC)
    visits = [
        {
            "id": str(uuid.uuid4()),
            "kind": "home_visit",
            "household_id": household,
            "started_at": (now - timedelta(days=2 * n + 1, hours=3)).isoformat(),
            "lat": server.lat,
            "lon": server.lon,
        }
        for n, household in enumerate(households)
    ]
    answer = server.api("POST", "/sync", {"visits": visits, "checkins": []}, as_user=server.secretary.username)
    assert {r["status"] for r in answer["results"]} == {"created"}


def _plan(sample: list[dict[str, Any]], visited: set[int]) -> dict[int, dict[str, Any]]:
    """What each household says: one not met, one denying its logged visits, the others varied.

    Apart from the one who denies them, the households with logged visits remember them, so
    exactly one discrepancy is to be found.
    """
    with_visits = [h["household_id"] for h in sample if h["household_id"] in visited]
    without = [h["household_id"] for h in sample if h["household_id"] not in visited]
    assert len(with_visits) == SAMPLE_SIZE // 2, "the sample is stratified by logged visits"
    plan: dict[int, dict[str, Any]] = {
        with_visits[0]: {"reached": True, "knows": True, "recalls": False, "satisfied": "no"},
        without[0]: {"reached": False},
    }
    for household, (knows, satisfied) in zip(with_visits[1:], [(True, "yes"), (False, "unsure")], strict=True):
        plan[household] = {"reached": True, "knows": knows, "recalls": True, "satisfied": satisfied}
    for household, (knows, recalls, satisfied) in zip(
        without[1:], [(True, False, "yes"), (False, True, "no")], strict=True
    ):
        plan[household] = {"reached": True, "knows": knows, "recalls": recalls, "satisfied": satisfied}
    return plan


def _answer(page: Page, says: dict[str, Any], note: str | None = None) -> None:
    """Fill in the 入户核查 form the way an inspector taps it."""

    def tap(question: str, choice: str) -> None:
        page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()

    tap("见到本人了吗？", "见到了" if says["reached"] else "没见到")
    if says["reached"]:
        tap("知道第一书记吗？", "知道" if says["knows"] else "不知道")
        tap("记得书记来走访过吗？", "记得" if says["recalls"] else "不记得")
        tap("满意吗？", {"yes": "满意", "no": "不满意", "unsure": "说不清"}[says["satisfied"]])
    else:
        expect(page.get_by_role("group", name="知道第一书记吗？")).to_be_hidden()
    if note:
        page.get_by_label("备注（可不填）").fill(note)


def _open_and_answer(app: PhoneApp, household: dict[str, Any], says: dict[str, Any], note: str | None = None) -> None:
    """From the checklist, open a household's form and fill it in (not yet saved)."""
    app.page.get_by_role("link", name=household["head_name"]).click()
    expect(app.heading).to_have_text("入户核查")
    expect(app.page.locator("form .card")).to_contain_text(household["head_name"])
    _answer(app.page, says, note)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def test_an_inspection_answered_offline_arrives_exactly_once(  # type: ignore[no-untyped-def]
    phone: BrowserContext, field_server, screenshot, assert_accessible
) -> None:
    server = field_server
    visited = server.household_ids[:VISITED]
    _log_visits(server, visited)
    server.add_user(INSPECTOR, role="inspector")

    # The inspector logs in and lands on 督查; the app is kept on the phone for the road.
    app = _log_in(phone, server)
    expect(app.page.get_by_text("还没有督查抽查。")).to_be_visible()

    # A new open inspection of six households, then its sample downloaded to the phone. The
    # form comes first; the village is picked by town, among the villages someone is posted to.
    expect(app.page.locator("main form").first).to_contain_text("发起督查")
    expect(app.page.get_by_label("乡镇")).to_have_value(server.town_code)
    expect(app.page.get_by_label("抽查的村")).to_have_value(server.village_code)
    app.page.get_by_label("抽查户数").fill(str(SAMPLE_SIZE))
    expect(app.page.get_by_label("方式")).to_have_value("open")
    app.page.get_by_role("button", name="开始抽查").click()
    item = app.page.get_by_role("list", name="督查").locator("li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"石桥镇 · {server.village_name} · 明察")
    expect(item).to_contain_text(f"抽查 {SAMPLE_SIZE} 户 · 已答 0 户")
    item.get_by_role("button", name="下载到手机").click()
    expect(item.get_by_role("link", name="核查清单")).to_be_visible()
    expect(app.page.locator("#toast")).to_be_hidden(timeout=10_000)
    screenshot(app.page, "inspector-inspections", full_page=True)
    assert_accessible(app.page)
    _fits_a_small_phone(app.page)

    [summary] = server.api("GET", "/inspections", as_user=INSPECTOR.username)["items"]
    inspection_id = summary["id"]
    sample = server.api("GET", f"/inspections/{inspection_id}", as_user=INSPECTOR.username)["households"]
    plan = _plan(sample, set(visited))
    names = {h["household_id"]: h["head_name"] for h in sample}

    item.get_by_role("link", name="核查清单").click()
    expect(app.heading).to_have_text("核查清单")
    rows = app.page.get_by_role("list", name="核查清单").locator("li")
    expect(rows).to_have_count(SAMPLE_SIZE)
    for n, household in enumerate(sample):
        expect(rows.nth(n)).to_contain_text(household["head_name"])
        expect(rows.nth(n)).to_contain_text(household["address"])
        expect(rows.nth(n)).to_contain_text("待核查")

    # In the mountains: no signal from here on. Every household is answered on the phone.
    phone.set_offline(True)
    shown = False
    for n, household in enumerate(sample):
        hid = household["household_id"]
        if n == 1:
            # A slip of the finger, put right before it was sent: the same answer, amended.
            _open_and_answer(app, household, SLIP)
            app.page.get_by_role("button", name="保存").click()
            expect(rows.nth(n)).to_contain_text("✓ 已核查")
            [slip] = [r for r in app.page.evaluate(READ_OUTBOX) if r["body"].get("household_id") == hid]
        _open_and_answer(app, household, plan[hid], note=NOTE if n == 0 else None)
        if plan[hid]["reached"] and not shown:
            shown = True
            expect(app.page.locator("#toast")).to_be_hidden(timeout=10_000)
            screenshot(app.page, "inspector-answer", full_page=True)
            assert_accessible(app.page)
            _fits_a_small_phone(app.page)
        app.page.get_by_role("button", name="保存").click()
        expect(app.heading).to_have_text("核查清单")
        expect(rows.nth(n)).to_contain_text("✓ 已核查")
        if n == 1:
            [fixed] = [r for r in app.page.evaluate(READ_OUTBOX) if r["body"].get("household_id") == hid]
            assert fixed["id"] == slip["id"] == fixed["body"]["id"]
            assert fixed["body"] != slip["body"]
            assert fixed["body"]["reached"] is plan[hid]["reached"]
    expect(app.page.get_by_text(f"已核查 {SAMPLE_SIZE}/{SAMPLE_SIZE} 户，{SAMPLE_SIZE} 户待发送")).to_be_visible()

    # The phone is switched off and on, still without signal: the checklist and its marks are there.
    app.page.reload()
    app.page.wait_for_selector(READY)
    expect(app.heading).to_have_text("核查清单")
    expect(rows).to_have_count(SAMPLE_SIZE)
    for n in range(SAMPLE_SIZE):
        expect(rows.nth(n)).to_contain_text("✓ 已核查")
        expect(rows.nth(n)).to_contain_text("待发送")
    expect(app.page.locator("#sync-chip")).to_contain_text("离线")
    screenshot(app.page, "inspector-checklist-offline", full_page=True)
    assert_accessible(app.page)
    _fits_a_small_phone(app.page)
    entries = app.outbox_entries()
    expect(entries).to_have_count(SAMPLE_SIZE)
    expect(entries.first).to_contain_text("督查 · ")
    screenshot(app.page, "inspector-outbox-offline")
    assert_accessible(app.page)
    assert server.api("GET", f"/inspections/{inspection_id}")["answered"] == 0
    queued = [r for r in app.page.evaluate(READ_OUTBOX) if r["type"] == "answer"]
    assert sorted(r["body"]["household_id"] for r in queued) == sorted(names)
    assert all(r["state"] == "pending" and r["inspection_id"] == inspection_id for r in queued)

    # Back in signal: the phone sends on its own, all six answers in one request.
    posted: list[list[dict[str, Any]]] = []

    def record(request: Request) -> None:
        if request.url.endswith(f"/inspections/{inspection_id}/answers"):
            body = request.post_data_json
            assert body is not None
            posted.append(body["answers"])

    app.page.on("requestfinished", record)
    phone.set_offline(False)
    expect(app.page.get_by_text("全部记录都已发送。")).to_be_visible(timeout=30_000)
    expect(entries).to_have_count(0)
    assert [len(batch) for batch in posted] == [SAMPLE_SIZE]
    assert {a["id"] for a in posted[0]} == {r["id"] for r in queued}

    # On the server: every answer exactly once, under the phone's own ids.
    with sqlite3.connect(server.data_dir / "zoufang.db") as db:
        stored = db.execute(
            "SELECT id, household_id, reached, knows_secretary, recalls_visit, satisfied, note "
            "FROM inspection_answer WHERE inspection_id = ?",
            [inspection_id],
        ).fetchall()
    assert len(stored) == SAMPLE_SIZE
    assert {str(uuid.UUID(row[0])) for row in stored} == {r["id"] for r in queued}
    for _, household, reached, knows, recalls, satisfied, note in stored:
        says = plan[household]
        assert bool(reached) == says["reached"]
        if says["reached"]:
            assert (bool(knows), bool(recalls), satisfied) == (says["knows"], says["recalls"], says["satisfied"])
        else:
            assert (knows, recalls, satisfied) == (None, None, None)
        assert note == (NOTE if household == sample[0]["household_id"] else None)

    # The rates are what the answers add up to.
    reached = [h for h, says in plan.items() if says["reached"]]
    knows = sum(plan[h]["knows"] for h in reached)
    logged = [h for h in reached if h in visited]
    recalls = sum(plan[h]["recalls"] for h in logged)
    satisfied = sum(plan[h]["satisfied"] == "yes" for h in reached)
    result = server.api("GET", f"/inspections/{inspection_id}", as_user=INSPECTOR.username)
    assert (result["answered"], result["reached"]) == (SAMPLE_SIZE, SAMPLE_SIZE - 1)
    assert result["awareness_rate"] == _rate(knows, len(reached))
    assert result["recall_rate"] == _rate(recalls, len(logged))
    assert result["satisfaction_rate"] == _rate(satisfied, len(reached))
    counts = ("knows_secretary_count", "logged_visits_count", "recalls_visit_count", "satisfied_count")
    assert [result[c] for c in counts] == [knows, len(logged), recalls, satisfied]
    [denier] = [h for h in logged if not plan[h]["recalls"]]
    assert [(d["household_id"], d["logged_visits_90d"]) for d in result["discrepancies"]] == [(denier, 1)]
    flags = server.api("GET", "/flags?kind=visit_denied&status=all", as_user=INSPECTOR.username)["items"]
    assert [(f["subject_id"], f["user_id"]) for f in flags] == [(f"{inspection_id}:{denier}", server.secretary.user_id)]

    # The results screen shows the same, and publishes them.
    app.tab("督查")
    expect(app.heading).to_have_text("督查")
    expect(item).to_contain_text(f"已答 {SAMPLE_SIZE} 户")
    item.get_by_role("link", name="督查结果").click()
    expect(app.heading).to_have_text("督查结果")
    expect(
        app.page.get_by_text(f"抽查 {SAMPLE_SIZE} 户，已答 {SAMPLE_SIZE} 户，见到 {len(reached)} 户。")
    ).to_be_visible()
    rates = app.page.locator("li.record")
    expect(rates.filter(has_text="知晓率")).to_contain_text(f"{round(100 * knows / len(reached))}%")
    expect(rates.filter(has_text="知晓率")).to_contain_text(f"见到的 {len(reached)} 户中 {knows} 户知道第一书记")
    expect(rates.filter(has_text="回访率")).to_contain_text(f"{round(100 * recalls / len(logged))}%")
    expect(rates.filter(has_text="回访率")).to_contain_text(f"记有走访的 {len(logged)} 户中 {recalls} 户记得书记来过")
    expect(rates.filter(has_text="满意率")).to_contain_text(f"{round(100 * satisfied / len(reached))}%")
    expect(rates.filter(has_text="满意率")).to_contain_text(f"见到的 {len(reached)} 户中 {satisfied} 户满意")
    denied = app.page.get_by_role("list", name="群众否认的走访（1 户）").locator("li")
    expect(denied).to_have_count(1)
    expect(denied).to_contain_text(names[denier])
    expect(denied).to_contain_text("记有 1 次入户走访")
    each = app.page.get_by_role("list", name="各户的答复").locator("li")
    expect(each).to_have_count(SAMPLE_SIZE)
    expect(each.filter(has_text=names[denier])).to_contain_text("不记得")
    expect(app.page.locator("#toast")).to_be_hidden(timeout=10_000)
    screenshot(app.page, "inspector-results", full_page=True)
    assert_accessible(app.page)
    _fits_a_small_phone(app.page)

    app.page.once("dialog", lambda dialog: dialog.accept())
    app.page.get_by_role("button", name="公布结果").click()
    expect(app.page.get_by_text("已于", exact=False)).to_contain_text("公布")
    assert server.api("GET", f"/inspections/{inspection_id}")["published_at"] is not None


def test_an_answer_the_server_refuses_stays_with_its_words(phone: BrowserContext, field_server) -> None:  # type: ignore[no-untyped-def]
    server = field_server
    server.add_user(INSPECTOR, role="inspector")
    body = {"village_code": server.village_code, "sample_size": 2, "seed": 7}
    created = server.api("POST", "/inspections", body, as_user=INSPECTOR.username)
    first = created["households"][0]
    # Another phone of the team has answered the first household already.
    other = {"id": str(uuid.uuid4()), "household_id": first["household_id"], "reached": False}
    server.api("POST", f"/inspections/{created['id']}/answers", {"answers": [other]}, as_user=INSPECTOR.username)

    app = _log_in(phone, server)
    item = app.page.get_by_role("list", name="督查").locator("li")
    item.get_by_role("button", name="下载到手机").click()
    item.get_by_role("link", name="核查清单").click()
    _open_and_answer(app, first, {"reached": True, "knows": False, "recalls": False, "satisfied": "unsure"})
    app.page.get_by_role("button", name="保存").click()
    expect(app.heading).to_have_text("核查清单")

    # Sent at once, and refused: the answer stays on the phone with the server's own words.
    entry = app.outbox_entries().first
    expect(entry).to_contain_text("未接受", timeout=30_000)
    expect(entry).to_contain_text(f"服务器没有接受：这户已经有回答（编号 {other['id']}）")
    app.send_now()
    expect(app.outbox_entries()).to_have_count(1)
    app.tab("督查")
    item.get_by_role("link", name="核查清单").click()
    expect(app.page.get_by_role("list", name="核查清单").locator("li").first).to_contain_text("未接受")
    assert server.api("GET", f"/inspections/{created['id']}")["answered"] == 1
