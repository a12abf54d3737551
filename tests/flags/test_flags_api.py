"""Flags through the API: who reads them where, filters and pages, handling them, raising
manual ones, and flags raised by real records arriving with their evidence."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.flags.models import Flag
from api.flags.schemas import FLAG_KINDS
from api.flags.service import Finding, raise_flags
from tests.auth.test_api_tokens import token_headers
from tests.factories import TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county
from tests.problems import assert_problem

FLAGS = "/api/v1/flags"
API_DIR = Path(__file__).resolve().parents[2] / "api"


def manual(client: TestClient, county: County, who: str = "county", **body: Any) -> Any:
    """Raise a manual flag through the API; returns the response."""
    payload = {"kind": "manual", "village_code": VILLAGE_A1, "detail": "电话回访：三户村民说半年没见过书记。", **body}
    return client.post(FLAGS, json=payload, headers=county.headers(who))


def raised(client: TestClient, county: County, village: str = VILLAGE_A1, who: str = "county") -> dict[str, Any]:
    response = manual(client, county, who, village_code=village)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def listed(client: TestClient, county: County, who: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(FLAGS, params={"limit": 500, **params}, headers=county.headers(who))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def patch(client: TestClient, county: County, flag_id: int, who: str = "town_a", **body: Any) -> Any:
    return client.patch(f"{FLAGS}/{flag_id}", json=body, headers=county.headers(who))


def off_site_checkin(client: TestClient, county: County) -> dict[str, Any]:
    """A check-in from the county town, about 9 km from 桃源村: raises ``off_site``."""
    body = {
        "id": str(uuid.uuid4()),
        "village_code": VILLAGE_A1,
        "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "lat": 26.58,
        "lon": 106.71,
        "accuracy_m": 20,
    }
    response = client.post("/api/v1/checkins", json=body, headers=county.headers("secretary_a1"))
    assert response.status_code == 201, response.text
    assert response.json()["checks"] == ["off_site"]
    return body


def rule_flags(session: Session, county: County, *kinds: str) -> None:
    """Flags as the dashboard rules raise them, one per kind, about secretary_a1 in 桃源村."""
    findings = [
        Finding(
            kind=kind,
            severity="medium",
            village_code=VILLAGE_A1,
            detail=f"{kind} 的说明",
            subject_id=f"{kind}-subject",
            user_id=county.users["secretary_a1"].id,
        )
        for kind in kinds
    ]
    raise_flags(session=session, findings=findings, now=datetime.now(UTC))
    session.commit()


def flag_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Flag)).one()


# Who reads what


def test_an_off_site_checkin_is_listed_with_its_evidence(client: TestClient, session: Session) -> None:
    county = make_county(session)
    checkin = off_site_checkin(client, county)

    [flag] = listed(client, county, "town_a")

    assert flag["kind"] == "off_site"
    assert flag["severity"] == "medium"
    assert flag["status"] == "open"
    assert flag["village_code"] == VILLAGE_A1
    assert flag["village_name"] == "桃源村"
    assert flag["user_id"] == county.users["secretary_a1"].id
    assert flag["user_display_name"] == "secretary_a1"
    assert flag["subject_id"] == checkin["id"]
    assert "签到" in flag["detail"]
    assert 8000 < flag["evidence"]["distance_m"] < 10000
    assert flag["evidence"]["lat"] == 26.58
    assert flag["raised_at"].endswith(("Z", "+00:00"))
    assert flag["note"] is None
    assert "dedupe_key" not in flag
    assert [f["id"] for f in listed(client, county, "county")] == [flag["id"]]
    assert [f["id"] for f in listed(client, county, "inspector")] == [flag["id"]]
    assert [f["id"] for f in listed(client, county, "admin")] == [flag["id"]]
    assert listed(client, county, "town_b") == []


def test_a_town_sees_only_its_own_flags(client: TestClient, session: Session) -> None:
    county = make_county(session)
    in_a1, in_a2, in_b1 = (raised(client, county, village)["id"] for village in (VILLAGE_A1, VILLAGE_A2, VILLAGE_B1))

    assert [f["id"] for f in listed(client, county, "town_a")] == [in_a2, in_a1]
    assert [f["id"] for f in listed(client, county, "town_b")] == [in_b1]
    assert [f["id"] for f in listed(client, county, "county")] == [in_b1, in_a2, in_a1]


def test_scope_narrows_but_never_widens(client: TestClient, session: Session) -> None:
    county = make_county(session)
    in_a1, in_a2, in_b1 = (raised(client, county, village)["id"] for village in (VILLAGE_A1, VILLAGE_A2, VILLAGE_B1))

    assert [f["id"] for f in listed(client, county, "county", scope=TOWN_A)] == [in_a2, in_a1]
    assert [f["id"] for f in listed(client, county, "county", scope=VILLAGE_B1)] == [in_b1]
    assert [f["id"] for f in listed(client, county, "town_a", scope=VILLAGE_A2)] == [in_a2]
    assert [f["id"] for f in listed(client, county, "town_a", scope=TOWN_A[:9])] == [in_a2, in_a1]
    for wider in (TOWN_B, VILLAGE_B1, "520199000000"):
        assert_problem(client.get(FLAGS, params={"scope": wider}, headers=county.headers("town_a")), 404)


@pytest.mark.parametrize("path", [FLAGS, "/api/v1/requests"])
@pytest.mark.parametrize("scope", ["abc", "5201991", "5201991002019"])
def test_a_malformed_scope_is_invalid_input(client: TestClient, session: Session, path: str, scope: str) -> None:
    county = make_county(session)

    body = assert_problem(client.get(path, params={"scope": scope}, headers=county.headers("town_a")), 422)

    assert body["errors"][0]["loc"] == ["query", "scope"]
    assert "区划代码" in body["errors"][0]["msg"]


def test_secretaries_neither_read_nor_handle_flags(client: TestClient, session: Session) -> None:
    county = make_county(session)
    off_site_checkin(client, county)
    [flag] = listed(client, county, "county")

    assert_problem(client.get(FLAGS, headers=county.headers("secretary_a1")), 403)
    assert_problem(client.get(f"{FLAGS}/{flag['id']}", headers=county.headers("secretary_a1")), 403)
    response = patch(client, county, flag["id"], "secretary_a1", status="dismissed", note="我当时就在村里")
    assert_problem(response, 403)
    assert_problem(manual(client, county, "secretary_a1"), 403)
    assert listed(client, county, "county")[0]["status"] == "open"


def test_an_inspection_teams_token_reads_flags_in_its_scope(client: TestClient, session: Session) -> None:
    county = make_county(session)
    in_a1, _in_b1 = (raised(client, county, village)["id"] for village in (VILLAGE_A1, VILLAGE_B1))
    headers = token_headers(client, county, who="inspector", scope=TOWN_A)

    response = client.get(FLAGS, headers=headers)

    assert response.status_code == 200, response.text
    assert [f["id"] for f in response.json()["items"]] == [in_a1]
    assert_problem(client.patch(f"{FLAGS}/{in_a1}", json={"status": "acknowledged"}, headers=headers), 403)


# Filters and pages


def test_kind_and_status_filters(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rule_flags(session, county, "low_coverage", "visit_gap")
    off_site_checkin(client, county)
    by_kind = {f["kind"]: f["id"] for f in listed(client, county, "town_a")}
    assert set(by_kind) == {"low_coverage", "visit_gap", "off_site"}

    assert [f["kind"] for f in listed(client, county, "town_a", kind="off_site")] == ["off_site"]
    both = listed(client, county, "town_a", kind=["off_site", "visit_gap"])
    assert sorted(f["kind"] for f in both) == ["off_site", "visit_gap"]
    assert listed(client, county, "town_a", kind="manual") == []

    assert patch(client, county, by_kind["visit_gap"], status="acknowledged").status_code == 200
    assert patch(client, county, by_kind["low_coverage"], status="dismissed", note="该村刚完成合并").status_code == 200
    assert [f["kind"] for f in listed(client, county, "town_a")] == ["off_site"]  # open by default
    assert [f["kind"] for f in listed(client, county, "town_a", status="acknowledged")] == ["visit_gap"]
    working = listed(client, county, "town_a", status=["open", "acknowledged"])
    assert sorted(f["kind"] for f in working) == ["off_site", "visit_gap"]
    assert len(listed(client, county, "town_a", status="all")) == 3
    assert [f["kind"] for f in listed(client, county, "town_a", status="dismissed", kind="low_coverage")] == [
        "low_coverage"
    ]


def test_an_unknown_kind_or_status_is_refused_clearly(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("town_a")

    body = assert_problem(client.get(FLAGS, params={"kind": "offsite"}, headers=headers), 422)
    assert body["errors"][0]["loc"] == ["query", "kind", 0]
    assert "未知的提示类型" in body["errors"][0]["msg"]
    assert "off_site" in body["errors"][0]["msg"]
    body = assert_problem(client.get(FLAGS, params={"status": "closed"}, headers=headers), 422)
    assert "未知的状态" in body["errors"][0]["msg"]


def test_pages_cover_every_flag_once_newest_first(client: TestClient, session: Session) -> None:
    county = make_county(session)
    made = [raised(client, county, VILLAGE_A1 if n % 2 else VILLAGE_A2)["id"] for n in range(5)]
    headers = county.headers("town_a")

    seen: list[int] = []
    sizes: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = client.get(FLAGS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [f["id"] for f in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sizes == [2, 2, 1]
    assert seen == sorted(made, reverse=True)
    assert_problem(client.get(FLAGS, params={"cursor": "not-a-cursor"}, headers=headers), 422)


# Handling a flag


def test_dismissing_or_resolving_needs_a_note(client: TestClient, session: Session) -> None:
    county = make_county(session)
    off_site_checkin(client, county)
    [flag] = listed(client, county, "town_a")

    for status in ("dismissed", "resolved"):
        for body in ({"status": status}, {"status": status, "note": "  \n "}):
            problem = assert_problem(patch(client, county, flag["id"], **body), 422)
            assert problem["errors"][0]["loc"] == ["body", "note"]
    too_long = patch(client, county, flag["id"], status="resolved", note="理" * 2001)
    assert assert_problem(too_long, 422)["errors"][0]["loc"] == ["body", "note"]

    response = patch(client, county, flag["id"], status="dismissed", note="  签到时在乡里开会，会议通知已核实。 ")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "dismissed"
    assert body["note"] == "签到时在乡里开会，会议通知已核实。"
    assert body["updated_at"] >= flag["updated_at"]
    assert body["evidence"] == flag["evidence"]

    acknowledged = patch(client, county, flag["id"], status="acknowledged")
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["note"] is None  # the note belongs to the status it explained


def test_the_same_judgement_twice_changes_nothing(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag = raised(client, county)

    first = patch(client, county, flag["id"], status="resolved", note="已约谈，补走访 12 户。")
    again = patch(client, county, flag["id"], status="resolved", note="已约谈，补走访 12 户。")

    assert first.status_code == 200, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    other_note = patch(client, county, flag["id"], status="resolved", note="已约谈，补走访 15 户。")
    assert other_note.json()["note"] == "已约谈，补走访 15 户。"


def test_a_flag_cannot_be_reopened_or_set_to_an_unknown_status(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag = raised(client, county)
    assert patch(client, county, flag["id"], status="acknowledged").status_code == 200

    body = assert_problem(patch(client, county, flag["id"], status="open", note="再看看"), 422)
    assert body["errors"][0]["loc"] == ["body", "status"]
    assert "open" in body["errors"][0]["msg"]
    assert_problem(patch(client, county, flag["id"], status="closed", note="x"), 422)
    assert_problem(patch(client, county, flag["id"], status="resolved", note="x", extra=1), 422)
    assert listed(client, county, "town_a", status="all")[0]["status"] == "acknowledged"


def test_a_flag_outside_ones_scope_is_not_found(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag = raised(client, county, VILLAGE_A1)

    assert_problem(patch(client, county, flag["id"], "town_b", status="dismissed", note="不是我们乡的"), 404)
    hidden = assert_problem(client.get(f"{FLAGS}/{flag['id']}", headers=county.headers("town_b")), 404)
    assert flag["detail"] not in str(hidden)
    shown = client.get(f"{FLAGS}/{flag['id']}", headers=county.headers("town_a"))
    assert shown.status_code == 200, shown.text
    assert shown.json() == flag
    assert_problem(patch(client, county, 999_999, status="acknowledged"), 404)
    assert_problem(patch(client, county, 2**31, status="acknowledged"), 422)
    assert listed(client, county, "county")[0]["status"] == "open"


def test_inspectors_and_the_county_may_handle_flags(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag = raised(client, county, VILLAGE_A2)

    response = patch(client, county, flag["id"], "inspector", status="acknowledged", note="下周入户核实")
    assert response.status_code == 200, response.text
    response = patch(client, county, flag["id"], "county", status="resolved", note="核实属实，已责令整改")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved"


# Raising a manual flag


def test_a_manual_flag_is_created_and_listed(client: TestClient, session: Session) -> None:
    county = make_county(session)
    secretary = county.users["secretary_a1"].id

    response = manual(client, county, "inspector", user_id=secretary, detail="  回访 10 户，4 户不认识书记。 ")

    assert response.status_code == 201, response.text
    flag = response.json()
    assert flag["kind"] == "manual"
    assert flag["severity"] == "medium"
    assert flag["status"] == "open"
    assert flag["village_code"] == VILLAGE_A1
    assert flag["user_id"] == secretary
    assert flag["user_display_name"] == "secretary_a1"
    assert flag["detail"] == "回访 10 户，4 户不认识书记。"
    raiser = county.users["inspector"]
    assert flag["evidence"] == {"raised_by": {"user_id": raiser.id, "display_name": "inspector", "role": "inspector"}}
    uuid.UUID(flag["subject_id"])
    assert [f["id"] for f in listed(client, county, "town_a", kind="manual")] == [flag["id"]]
    # Without a client id, every post is a new flag.
    assert (
        manual(client, county, "inspector", user_id=secretary, detail="回访 10 户，4 户不认识书记。").status_code == 201
    )
    assert flag_count(session) == 2


def test_a_manual_flag_resent_with_its_id_is_stored_once(client: TestClient, session: Session) -> None:
    county = make_county(session)
    flag_id = str(uuid.uuid4())

    first = manual(client, county, "town_a", id=flag_id)
    again = manual(client, county, "town_a", id=flag_id)
    other = manual(client, county, "town_a", id=flag_id, detail="另一件事")
    someone_else = manual(client, county, "county", id=flag_id)

    assert first.status_code == 201, first.text
    assert first.json()["subject_id"] == flag_id
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert_problem(other, 409)
    assert_problem(someone_else, 409)
    assert flag_count(session) == 1


def test_a_manual_flag_must_name_a_village_in_scope_and_its_secretary(client: TestClient, session: Session) -> None:
    county = make_county(session)

    assert_problem(manual(client, county, "town_a", village_code=VILLAGE_B1), 404)
    for code in ("520199100299", TOWN_A):  # no such village; a town, not a village
        body = assert_problem(manual(client, county, "town_a", village_code=code), 422)
        assert body["errors"][0]["loc"] == ["body", "village_code"]
    body = assert_problem(manual(client, county, "town_a", village_code="52019910020"), 422)
    assert body["errors"][0]["loc"] == ["body", "village_code"]
    not_posted_here = manual(client, county, "county", user_id=county.users["secretary_b1"].id)
    assert assert_problem(not_posted_here, 422)["errors"][0]["loc"] == ["body", "user_id"]
    no_such_user = manual(client, county, "county", user_id=999_999)
    assert assert_problem(no_such_user, 422)["errors"][0]["loc"] == ["body", "user_id"]
    assert flag_count(session) == 0


def test_a_manual_flag_needs_a_detail_and_the_manual_kind(client: TestClient, session: Session) -> None:
    county = make_county(session)

    body = assert_problem(manual(client, county, kind="off_site"), 422)
    assert body["errors"][0]["loc"] == ["body", "kind"]
    assert "只能手动提出 manual 类的提示" in body["errors"][0]["msg"]
    for detail in ("", "   ", "问" * 2001):
        body = assert_problem(manual(client, county, detail=detail), 422)
        assert body["errors"][0]["loc"] == ["body", "detail"]
    body = assert_problem(client.post(FLAGS, json={"village_code": VILLAGE_A1}, headers=county.headers("county")), 422)
    assert body["errors"][0]["loc"] == ["body", "detail"]
    assert_problem(manual(client, county, id="not-a-uuid"), 422)
    assert_problem(manual(client, county, severity="high"), 422)
    assert_problem(manual(client, county, detail="含\x00字符"), 422)
    assert manual(client, county, kind=None).status_code == 422
    without_kind = client.post(
        FLAGS, json={"village_code": VILLAGE_A1, "detail": "口头反映"}, headers=county.headers("county")
    )
    assert without_kind.status_code == 201, without_kind.text
    assert flag_count(session) == 1


# Keeping the known kinds in step with the rules


def test_every_kind_the_rules_raise_is_a_known_kind() -> None:
    raised_kinds: set[str] = set()
    for path in API_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding":
                for keyword in node.keywords:
                    if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                        raised_kinds.add(keyword.value.value)
    assert raised_kinds, "no Finding(kind=...) found: has the rule code moved?"
    assert raised_kinds <= set(FLAG_KINDS)
