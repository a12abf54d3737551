"""The village's public page, its messages and the printable notice board, without a login.

What a stranger can read must never name a household or hold a private phone, a username or an
id; what a stranger typed is shown escaped wherever it appears; messages pass through the rate
limits kept in the database, so two instances count the same posts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import segno
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.assignments.models import Assignment
from api.main import create_app
from api.ops.headers import PUBLIC_POLICY
from api.oversight.models import VisitDay
from api.public.models import PublicMonth, PublicPost
from api.public.notice import PAGE_POLICY, QUIET_ZONE
from api.public.service import RECEIPT_ALPHABET, month_counts
from api.rectification.models import RectificationMeasure, RectificationProblem
from api.requests.models import VillagerRequest
from api.settings import Settings
from tests.factories import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, jpeg, make_county, make_user, upload_photo
from tests.problems import assert_problem

PUBLIC = "/api/v1/public/villages"
SCRIPT = "<script>alert(1)</script>"


def arrange(session: Session) -> County:
    """The test county, with a named secretary who publishes a work phone, a team member, a
    ledger whose texts try to inject a script, and visits counted this month."""
    county = make_county(session)
    secretary = county.users["secretary_a1"]
    secretary.display_name = "赵书记"
    secretary.public_phone = "13500001111"
    session.add(secretary)
    member = make_user(session, "member_a1", "secretary", VILLAGE_A1, display_name="钱队员", phone="13600002222")
    assert member.id is not None
    assert secretary.id is not None
    session.add(
        Assignment(
            user_id=member.id,
            village_code=VILLAGE_A1,
            position="team_member",
            dispatch_unit="县农业局",
            start_date=dt.date(2026, 1, 1),
        )
    )
    now = dt.datetime.now(dt.UTC)
    problem = RectificationProblem(
        village_code=VILLAGE_A1,
        category="weak_economy",
        description=f"集体经济薄弱{SCRIPT}",
        found_by="县委组织部",
        found_on=dt.date(2026, 3, 1),
        created_by=secretary.id,
        created_at=now,
        updated_at=now,
    )
    session.add(problem)
    session.flush()
    assert problem.id is not None
    for text, state in ((f"办合作社{SCRIPT}", "done"), ("修路", "open")):
        session.add(
            RectificationMeasure(
                problem_id=problem.id,
                village_code=VILLAGE_A1,
                text=text,
                target="年收入 5 万元",
                deadline=dt.date(2026, 12, 31),
                responsible="first_secretary",
                status=state,
                created_at=now,
                updated_at=now,
            )
        )
    today = dt.datetime.now(Settings().tz).date()
    session.add(
        VisitDay(village_code=VILLAGE_A1, day=today.replace(day=1), user_id=secretary.id, visits=4, home_visits=3)
    )
    session.add(
        VisitDay(village_code=VILLAGE_A1, day=dt.date(2020, 1, 1), user_id=secretary.id, visits=9, home_visits=9)
    )
    session.commit()
    return county


def post(client: TestClient, village: str = VILLAGE_A1, **body: Any) -> Any:
    return client.post(f"{PUBLIC}/{village}/messages", json={"category": "道路水电", "text": "路灯坏了", **body})


def test_the_public_page_shows_the_people_and_the_plan_and_nothing_personal(
    client: TestClient, session: Session
) -> None:
    county = arrange(session)
    private = ["王建国", "李秀英", "张伟", "13712345678", "13912345678", "13600002222", "secretary_a1", "member_a1"]

    shown = client.get(f"{PUBLIC}/{VILLAGE_A1}")
    assert shown.status_code == 200, shown.text
    page = shown.json()
    assert page["village_name"] == "桃源村"
    assert page["town_name"] == "石门镇"
    assert page["secretary"] == {
        "display_name": "赵书记",
        "dispatch_unit": "县财政局",
        "phone": "13500001111",
        "has_portrait": False,
    }
    assert page["team"] == [{"display_name": "钱队员", "position": "工作队员", "dispatch_unit": "县农业局"}]
    assert page["home_visits_this_month"] == 3
    [problem] = page["problems"]
    assert problem["category_label"] == "集体经济薄弱"
    assert [m["status_label"] for m in problem["measures"]] == ["待乡镇确认", "未开始"]
    assert "id" not in str(page.keys())
    assert '"id"' not in shown.text

    html = client.get(f"/v/{VILLAGE_A1}")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["content-security-policy"] == PUBLIC_POLICY
    assert len(html.content) <= 15 * 1024
    assert 'lang="zh-CN"' in html.text
    assert 'name="viewport"' in html.text
    assert "赵书记" in html.text
    assert 'href="tel:13500001111"' in html.text
    assert "本月入户走访" in html.text
    for response in (shown, html):
        for secret in private:
            assert secret not in response.text, secret
    assert "<script" not in html.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.text
    assert county  # the households above exist, so their absence means something

    css = client.get("/v/public.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age" in css.headers["cache-control"]


def test_an_unknown_or_unposted_village_has_no_page(client: TestClient, session: Session) -> None:
    make_county(session)
    for code in (VILLAGE_A2, "520199100299"):  # no posting; no such village
        assert_problem(client.get(f"{PUBLIC}/{code}"), 404)
        assert_problem(post(client, code), 404)
        page = client.get(f"/v/{code}")
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "页面不存在" in page.text
    assert client.get("/v/not-a-code").status_code == 404
    assert_problem(client.get(f"{PUBLIC}/{VILLAGE_A1}/portrait"), 404)


def test_a_message_is_a_request_followed_by_its_receipt(client: TestClient, session: Session) -> None:
    county = arrange(session)
    sent = post(client, text=f"村口路灯坏了{SCRIPT}", name="孙大爷", phone="138-0000-1234")
    assert sent.status_code == 201, sent.text
    receipt = sent.json()["receipt"]
    assert len(receipt) == 8
    assert set(receipt) <= set(RECEIPT_ALPHABET)
    row = session.exec(select(VillagerRequest).where(VillagerRequest.receipt == receipt)).one()
    assert (row.source, row.visit_id, row.village_code, row.status) == ("public_page", None, VILLAGE_A1, "open")
    assert (row.sender_name, row.sender_phone) == ("孙大爷", "13800001234")

    status = f"{PUBLIC}/{VILLAGE_A1}/messages/{receipt}"
    assert client.get(status).json()["status"] == "received"
    assert client.get(status.lower()).json()["status"] == "received"
    assert_problem(client.get(f"{PUBLIC}/{VILLAGE_B1}/messages/{receipt}"), 404)
    assert_problem(client.get(f"{PUBLIC}/{VILLAGE_A1}/messages/ZZZZZZZZ"), 404)

    # The secretary sees it among the village's requests, without the receipt; the town with it.
    mine = client.get("/api/v1/requests", headers=county.headers("secretary_a1")).json()["items"]
    [listed] = [r for r in mine if r["id"] == row.id]
    assert listed["source"] == "public_page"
    assert listed["receipt"] is None
    assert listed["sender_name"] == "孙大爷"
    assert listed["sender_phone"] == "13800001234"  # left to be called back by whoever handles it
    assert listed["hidden"] is False
    assert listed["visit_id"] is None
    town = client.get("/api/v1/requests", params={"source": "public_page"}, headers=county.headers("town_a"))
    assert [r["receipt"] for r in town.json()["items"]] == [receipt]
    assert (
        client.get("/api/v1/requests", params={"source": "visit"}, headers=county.headers("town_a")).json()["items"]
        == []
    )
    # Inspectors read it with the phone masked, like a household's.
    inspected = client.get("/api/v1/requests", headers=county.headers("inspector")).json()["items"]
    assert [r["sender_phone"] for r in inspected if r["id"] == row.id] == ["138****1234"]

    handle = f"/api/v1/requests/{row.id}"
    assert client.patch(handle, json={"status": "in_progress"}, headers=county.headers("town_a")).status_code == 200
    assert client.get(status).json()["status"] == "in_progress"
    done = {"status": "resolved", "resolution": f"已修好{SCRIPT}"}
    assert client.patch(handle, json=done, headers=county.headers("secretary_a1")).status_code == 200
    answer = client.get(status).json()
    assert answer["status"] == "resolved"
    assert answer["resolution"] == f"已修好{SCRIPT}"
    assert answer["category"] == "道路水电"
    page = client.get(f"/v/{VILLAGE_A1}/m/{receipt}")
    assert page.status_code == 200
    assert "已办结" in page.text
    assert receipt in page.text
    assert "<script" not in page.text
    assert "已修好&lt;script&gt;" in page.text
    assert "孙大爷" not in page.text
    assert "13800001234" not in page.text

    # Hidden: out of the lists, on the supervisors' filter, and the sender reads "received".
    assert_problem(client.post(f"{handle}/hide", json={"reason": "x"}, headers=county.headers("secretary_a1")), 403)
    assert_problem(client.post(f"{handle}/hide", json={"reason": ""}, headers=county.headers("town_a")), 422)
    assert_problem(client.post(f"{handle}/hide", json={"reason": "广告"}, headers=county.headers("town_b")), 404)
    hidden = client.post(f"{handle}/hide", json={"reason": "辱骂他人"}, headers=county.headers("town_a"))
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hidden"] is True
    assert hidden.json()["hidden_reason"] == "辱骂他人"
    assert hidden.json()["hidden_by_name"] == "town_a"
    assert client.get(status).json() == {
        "status": "received",
        "resolution": None,
        "category": "道路水电",
        "created_at": answer["created_at"],
    }
    assert "已办结" not in client.get(f"/v/{VILLAGE_A1}/m/{receipt}").text
    assert client.get("/api/v1/requests", headers=county.headers("town_a")).json()["items"] == []
    on_filter = client.get("/api/v1/requests", params={"hidden": "true"}, headers=county.headers("county"))
    assert [r["id"] for r in on_filter.json()["items"]] == [row.id]
    assert_problem(
        client.get("/api/v1/requests", params={"hidden": "true"}, headers=county.headers("secretary_a1")), 403
    )
    shown = client.post(f"{handle}/unhide", headers=county.headers("county"))
    assert shown.json()["hidden"] is False
    assert client.get(status).json()["status"] == "resolved"


def test_messages_are_checked(client: TestClient, session: Session) -> None:
    arrange(session)
    assert_problem(post(client, text="字" * 501), 422)
    assert_problem(post(client, text="   "), 422)
    assert_problem(post(client, category="闲聊"), 422)
    assert_problem(post(client, phone="12345"), 422)
    assert_problem(post(client, name="名" * 51), 422)
    assert_problem(post(client, extra="x"), 422)
    assert post(client, text="字" * 500, name="", phone="").status_code == 201

    form = {"category": "住房", "text": "字" * 501, "name": "周", "phone": ""}
    page = client.post(f"/v/{VILLAGE_A1}", data=form, follow_redirects=False)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "留言内容太长了" in page.text
    assert "字" * 501 in page.text
    sent = client.post(f"/v/{VILLAGE_A1}", data={**form, "text": "房子漏雨"}, follow_redirects=False)
    assert sent.status_code == 303
    receipt_page = sent.headers["location"]
    assert re.fullmatch(rf"/v/{VILLAGE_A1}/m/[{RECEIPT_ALPHABET}]{{8}}", receipt_page)
    assert "留言已收到" in client.get(receipt_page).text
    assert session.exec(select(VillagerRequest).where(VillagerRequest.text == "房子漏雨")).one().category == "住房"


def test_a_filled_in_honeypot_is_answered_but_nothing_is_kept(client: TestClient, session: Session) -> None:
    arrange(session)
    fake = post(client, website="http://spam.example")
    assert fake.status_code == 201
    assert len(fake.json()["receipt"]) == 8
    assert session.exec(select(VillagerRequest)).all() == []
    assert session.exec(select(PublicPost)).all() == []
    assert session.exec(select(PublicMonth)).all() == []
    sent = client.post(
        f"/v/{VILLAGE_A1}", data={"category": "其他", "text": "广告", "website": "x"}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert session.exec(select(VillagerRequest)).all() == []


def limited(settings: Settings, **limits: Any) -> Settings:
    return settings.model_copy(update=limits)


def test_one_sender_is_limited_across_instances(settings: Settings, session: Session) -> None:
    arrange(session)
    shared = limited(settings, public_messages_per_address=2, public_message_window_s=600)
    with TestClient(create_app(shared)) as one, TestClient(create_app(shared)) as two:
        assert post(one).status_code == 201
        assert post(two).status_code == 201
        refused = assert_problem(post(one), 429)
        assert "分钟后再试" in refused["detail"]
        wait = int(post(two).headers["retry-after"])
        assert 0 < wait <= 600
        # Another address still gets through; the page says the same in words.
        with TestClient(create_app(shared), client=("10.0.0.9", 5000)) as other:
            assert post(other).status_code == 201
        page = one.post(f"/v/{VILLAGE_A1}", data={"category": "其他", "text": "再问一次"}, follow_redirects=False)
        assert page.status_code == 429
        assert "分钟后再试" in page.text
        assert page.headers["retry-after"]
    assert len(session.exec(select(VillagerRequest)).all()) == 3


def test_a_crowd_posting_at_once_gets_no_more_than_the_limit(settings: Settings, session: Session) -> None:
    """Posts racing each other are counted one after another, on both databases."""
    arrange(session)
    shared = limited(settings, public_messages_per_village=3, public_message_window_s=600)
    with contextlib.ExitStack() as stack:
        apps = [stack.enter_context(TestClient(create_app(shared), client=(f"10.0.1.{n}", 5000))) for n in range(12)]
        barrier = threading.Barrier(len(apps))

        def send(client: TestClient) -> int:
            barrier.wait()
            return int(post(client).status_code)

        with ThreadPoolExecutor(len(apps)) as pool:
            answers = list(pool.map(send, apps))
    assert sorted(answers) == [201] * 3 + [429] * 9
    assert len(session.exec(select(VillagerRequest)).all()) == 3


def test_a_village_is_limited_and_old_marks_are_purged(settings: Settings, session: Session) -> None:
    arrange(session)
    shared = limited(settings, public_messages_per_village=3, public_message_window_s=600)
    with contextlib.ExitStack() as stack:
        apps = [stack.enter_context(TestClient(create_app(shared), client=(f"10.0.0.{n}", 5000))) for n in range(5)]
        assert [post(c).status_code for c in apps[:3]] == [201, 201, 201]
        assert_problem(post(apps[3]), 429)
        assert post(apps[3], village=VILLAGE_B1).status_code == 201  # another village has room
        # Marks older than the window leave it (and the table) on the next post.
        old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=601)
        for mark in session.exec(select(PublicPost)).all():
            mark.at = old
            session.add(mark)
        session.commit()
        assert post(apps[4]).status_code == 201
        session.expire_all()
        assert len(session.exec(select(PublicPost)).all()) == 1


def test_views_and_messages_are_counted_by_month(client: TestClient, session: Session) -> None:
    arrange(session)
    for _ in range(3):
        assert client.get(f"/v/{VILLAGE_A1}").status_code == 200
    assert client.get(f"/v/{VILLAGE_B1}").status_code == 200
    assert client.get(f"/v/{VILLAGE_A2}").status_code == 404  # no page, no count
    assert post(client).status_code == 201
    assert post(client).status_code == 201
    today = dt.datetime.now(Settings().tz).date()
    counts = month_counts(session, [VILLAGE_A1, VILLAGE_B1, VILLAGE_A2], today)
    assert counts == {VILLAGE_A1: (3, 2), VILLAGE_B1: (1, 0)}
    assert month_counts(session, [VILLAGE_A1], dt.date(2020, 1, 15)) == {}
    assert month_counts(session, [], today) == {}


def svg_matrix(svg: str) -> list[list[bool]]:
    """The modules drawn by the notice's QR SVG: runs ``M x y h n v1 h-n z`` inside the quiet zone."""
    size = int(re.search(r'data-modules="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    matrix = [[False] * size for _ in range(size)]
    path = re.search(r'<path fill="#000" d="([^"]*)"', svg).group(1)  # type: ignore[union-attr]
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path):
        for dx in range(int(n)):
            matrix[int(y) - QUIET_ZONE][int(x) - QUIET_ZONE + dx] = True
    return matrix


def test_the_notice_board_carries_the_qr_of_the_public_page(settings: Settings, session: Session) -> None:
    county = arrange(session)
    url = f"https://zoufang.example.gov.cn/v/{VILLAGE_A1}"
    with TestClient(create_app(limited(settings, public_url="https://zoufang.example.gov.cn/"))) as client:
        photo = upload_photo(client, county.headers("secretary_a1"), jpeg(3))
        assert (
            client.patch(
                "/api/v1/me/public-profile", json={"portrait_photo_id": photo}, headers=county.headers("secretary_a1")
            ).status_code
            == 200
        )
        for who in ("secretary_a1", "town_a", "county", "admin"):
            notice = client.get(f"/api/v1/villages/{VILLAGE_A1}/notice", headers=county.headers(who))
            assert notice.status_code == 200, (who, notice.text)
        assert notice.headers["content-security-policy"] == PAGE_POLICY
        page = notice.text
        assert "驻村第一书记公示牌" in page
        assert "@page { size: A4 portrait" in page
        assert "打印" in page
        assert "赵书记" in page
        assert "13500001111" in page
        assert "县财政局" in page
        assert "钱队员" in page
        assert "data:image/jpeg;base64," in page
        assert "已完成 1/2 项措施" in page
        assert url in page
        assert "<script" not in page
        assert "&lt;script&gt;" in page
        for secret in ("王建国", "13712345678", "13912345678", "secretary_a1"):
            assert secret not in page
        svg = re.search(r"<svg.*?</svg>", page).group(0)  # type: ignore[union-attr]
        expected = [[bool(m) for m in row] for row in segno.make(url, error="m", micro=False).matrix]
        assert svg_matrix(svg) == expected

        cards = client.get(f"/api/v1/villages/{VILLAGE_A1}/contact-cards", headers=county.headers("town_a"))
        assert cards.status_code == 200
        assert cards.text.count('class="card"') == 10
        assert "有事请找我" in cards.text
        assert cards.text.count("<svg") == 10
        assert svg_matrix(re.search(r"<svg.*?</svg>", cards.text).group(0)) == expected  # type: ignore[union-attr]

        assert_problem(
            client.get(f"/api/v1/villages/{VILLAGE_A1}/notice?format=pdf", headers=county.headers("town_a")), 406
        )
        assert_problem(client.get(f"/api/v1/villages/{VILLAGE_A1}/notice", headers=county.headers("secretary_b1")), 404)
        assert_problem(client.get(f"/api/v1/villages/{VILLAGE_A1}/notice", headers=county.headers("town_b")), 404)
        assert_problem(client.get(f"/api/v1/villages/{VILLAGE_A1}/notice", headers=county.headers("inspector")), 403)
        assert_problem(client.get(f"/api/v1/villages/{VILLAGE_A1}/notice"), 401)
        assert_problem(client.get(f"/api/v1/villages/{VILLAGE_A2}/notice", headers=county.headers("county")), 404)


def test_the_notice_falls_back_to_the_requests_address(client: TestClient, session: Session) -> None:
    county = arrange(session)
    page = client.get(f"/api/v1/villages/{VILLAGE_A1}/notice", headers=county.headers("town_a")).text
    assert f"http://testserver/v/{VILLAGE_A1}" in page


def test_the_public_profile(client: TestClient, session: Session) -> None:
    county = arrange(session)
    me = county.headers("secretary_a1")
    profile = "/api/v1/me/public-profile"
    assert_problem(client.patch(profile, json={"public_phone": "12"}, headers=me), 422)
    assert_problem(client.patch(profile, json={"portrait_photo_id": "nope"}, headers=me), 422)
    theirs = upload_photo(client, county.headers("town_a"), jpeg(5))
    assert_problem(client.patch(profile, json={"portrait_photo_id": theirs}, headers=me), 422)
    mine = upload_photo(client, me, jpeg(6))
    changed = client.patch(profile, json={"public_phone": "0851-1234567", "portrait_photo_id": mine}, headers=me)
    assert changed.status_code == 200, changed.text
    assert changed.json()["public_phone"] == "08511234567"
    assert changed.json()["portrait_photo_id"] == mine
    shown = client.get("/api/v1/me", headers=me).json()
    assert (shown["public_phone"], shown["portrait_photo_id"]) == ("08511234567", mine)

    public = client.get(f"{PUBLIC}/{VILLAGE_A1}").json()["secretary"]
    assert public["phone"] == "08511234567"
    assert public["has_portrait"] is True
    portrait = client.get(f"{PUBLIC}/{VILLAGE_A1}/portrait")
    assert portrait.status_code == 200
    assert portrait.headers["content-type"] == "image/jpeg"
    assert f'src="/api/v1/public/villages/{VILLAGE_A1}/portrait"' in client.get(f"/v/{VILLAGE_A1}").text

    # Leaving a field out keeps it; null takes it down.
    assert client.patch(profile, json={"public_phone": None}, headers=me).json()["portrait_photo_id"] == mine
    cleared = client.patch(profile, json={"portrait_photo_id": None}, headers=me).json()
    assert (cleared["public_phone"], cleared["portrait_photo_id"]) == (None, None)
    assert_problem(client.get(f"{PUBLIC}/{VILLAGE_A1}/portrait"), 404)
    assert_problem(client.patch(profile, json={"public_phone": None}), 401)
