"""Looking after accounts: changing, switching off, resetting and changing passwords; nobody
grants more than they hold, and a secretary's reach is one village."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.auth.models import User
from api.visits.models import Visit
from tests.factories import COUNTY, PASSWORD, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county
from tests.problems import assert_problem

USERS = "/api/v1/users"


@pytest.fixture
def county(session: Session) -> County:
    return make_county(session)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def patch(client: TestClient, county: County, who: str, target: str, **changes: object) -> httpx.Response:
    return client.patch(f"{USERS}/{county.users[target].id}", json=changes, headers=county.headers(who))


def fresh(session: Session, county: County, who: str) -> User:
    session.rollback()  # a new snapshot: the requests committed in their own
    session.expire_all()
    user = session.get(User, county.users[who].id)
    assert user is not None
    return user


def test_a_county_office_changes_a_persons_name_phone_and_town(client: TestClient, session: Session, county: County):
    response = patch(client, county, "county", "town_a", display_name="赵春华", phone="13600001111", scope_code=TOWN_B)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["display_name"], body["scope_code"], body["role"]) == ("赵春华", TOWN_B, "town")
    assert body["phone"] == "136****1111"  # masked for everyone but admins
    stored = fresh(session, county, "town_a")
    assert (stored.display_name, stored.phone, stored.scope_code) == ("赵春华", "13600001111", TOWN_B)


@pytest.mark.parametrize(
    ("who", "target", "changes", "status"),
    [
        ("town_a", "secretary_a1", {"role": "county", "scope_code": COUNTY}, 403),
        ("town_a", "secretary_a1", {"role": "town", "scope_code": TOWN_A}, 403),
        ("county", "town_a", {"role": "admin"}, 403),
        ("county", "town_a", {"scope_code": "520199000000", "role": "county"}, 200),
        ("town_a", "town_b", {"display_name": "x"}, 404),
        ("town_a", "county", {"display_name": "x"}, 404),
        ("county", "admin", {"display_name": "x"}, 404),
        ("town_b", "secretary_a1", {"is_active": False}, 404),
        ("secretary_a1", "secretary_a1", {"display_name": "x"}, 403),
        ("inspector", "secretary_a1", {"display_name": "x"}, 403),
        ("town_a", "town_a", {"is_active": False}, 403),
        ("county", "county", {"scope_code": TOWN_A}, 403),
    ],
    ids=[
        "town-makes-county",
        "town-makes-town",
        "county-makes-admin",
        "county-makes-county",
        "other-town",
        "above-oneself",
        "county-on-admin",
        "other-towns-secretary",
        "secretary",
        "inspector",
        "self-deactivate",
        "self-rescope",
    ],
)
def test_nobody_grants_more_than_they_hold(
    client: TestClient, session: Session, county: County, who: str, target: str, changes: dict, status: int
):
    before = fresh(session, county, target).model_dump()

    response = patch(client, county, who, target, **changes)

    if status == 200:
        assert response.status_code == 200, response.text
        return
    assert_problem(response, status)
    assert fresh(session, county, target).model_dump() == before  # nothing half-written


@pytest.mark.parametrize(
    ("who", "roles"),
    [
        ("admin", ["admin", "county", "town", "secretary", "inspector"]),
        ("county", ["county", "town", "secretary", "inspector"]),
        ("town_a", ["secretary"]),
        ("secretary_a1", []),
        ("inspector", []),
    ],
)
def test_me_names_the_roles_one_may_hand_out(client: TestClient, county: County, who: str, roles: list[str]):
    """The screens offer exactly what the server would accept."""
    assert client.get("/api/v1/me", headers=county.headers(who)).json()["grantable_roles"] == roles


@pytest.mark.parametrize("scope", [TOWN_A, COUNTY], ids=["town", "county"])
def test_a_secretarys_scope_is_one_village_never_wider(client: TestClient, county: County, scope: str):
    created = client.post(
        USERS,
        json={
            "username": "wide",
            "display_name": "范围太宽",
            "role": "secretary",
            "scope_code": scope,
            "password": PASSWORD,
        },
        headers=county.headers("town_a" if scope == TOWN_A else "county"),
    )
    body = assert_problem(created, 422)
    assert body["errors"][0]["loc"] == ["body", "scope_code"]
    assert "只能是一个村" in body["detail"]

    widened = patch(client, county, "county", "secretary_b1", scope_code=TOWN_B)
    assert_problem(widened, 422)


def test_a_serving_secretarys_scope_moves_only_with_the_posting(client: TestClient, session: Session, county: County):
    response = patch(client, county, "town_a", "secretary_a1", scope_code=VILLAGE_A2)

    body = assert_problem(response, 422)
    assert "目前驻在桃源村" in body["detail"]
    assert fresh(session, county, "secretary_a1").scope_code == VILLAGE_A1


def test_a_deactivated_account_is_refused_at_once_and_its_records_stay(
    client: TestClient, session: Session, county: County
):
    phone = log_in(client, "secretary_a1")
    sent = client.post(
        "/api/v1/visits",
        json={
            "id": "0b0c5b1e-0000-4000-8000-000000000001",
            "kind": "log",
            "village_code": VILLAGE_A1,
            "started_at": "2026-06-01T09:00:00+08:00",
            "notes": "驻村日志",
        },
        headers=phone,
    )
    assert sent.status_code == 201, sent.text

    off = patch(client, county, "town_a", "secretary_a1", is_active=False)

    assert off.status_code == 200, off.text
    assert off.json()["is_active"] is False
    assert_problem(client.get("/api/v1/me", headers=phone), 401)
    assert_problem(client.post("/api/v1/auth/token", data={"username": "secretary_a1", "password": PASSWORD}), 401)
    assert session.exec(select(Visit).where(Visit.user_id == county.users["secretary_a1"].id)).all()
    listed = client.get(USERS, params={"is_active": "false"}, headers=county.headers("county")).json()["items"]
    assert [u["username"] for u in listed] == ["secretary_a1"]

    on = patch(client, county, "town_a", "secretary_a1", is_active=True)
    assert on.status_code == 200, on.text
    assert client.get("/api/v1/me", headers=log_in(client, "secretary_a1")).status_code == 200


def test_a_password_reset_gives_a_one_time_password_that_must_be_changed(
    client: TestClient, session: Session, county: County
):
    old_phone = log_in(client, "secretary_a1")

    response = client.post(
        f"{USERS}/{county.users['secretary_a1'].id}/password-reset", headers=county.headers("town_a")
    )

    assert response.status_code == 200, response.text
    temporary = response.json()["temporary_password"]
    assert len(temporary) >= 10
    assert_problem(client.get("/api/v1/me", headers=old_phone), 401)  # whoever knew the old one is out
    new_phone = log_in(client, "secretary_a1", temporary)
    assert client.get("/api/v1/me", headers=new_phone).json()["must_change_password"] is True
    assert "temporary" not in str(client.get(USERS, headers=county.headers("town_a")).json())


def test_changing_ones_password_keeps_this_session_and_ends_the_others(client: TestClient, county: County):
    laptop = log_in(client, "county")
    phone = log_in(client, "county")
    url = "/api/v1/me/password"

    wrong_old = client.post(
        url, json={"old_password": "not-it-at-all", "new_password": "new-pass-2026"}, headers=laptop
    )
    same = client.post(url, json={"old_password": PASSWORD, "new_password": PASSWORD}, headers=laptop)
    short = client.post(url, json={"old_password": PASSWORD, "new_password": "short"}, headers=laptop)
    username = client.post(url, json={"old_password": PASSWORD, "new_password": "county"}, headers=laptop)
    assert assert_problem(wrong_old, 422)["errors"][0]["loc"] == ["body", "old_password"]
    for refused in (same, short, username):
        assert assert_problem(refused, 422)["errors"][0]["loc"] == ["body", "new_password"]
    assert client.get("/api/v1/me", headers=phone).status_code == 200  # refusals changed nothing

    changed = client.post(url, json={"old_password": PASSWORD, "new_password": "new-pass-2026"}, headers=laptop)

    assert changed.status_code == 200, changed.text
    laptop = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=laptop).json()["must_change_password"] is False
    assert_problem(client.get("/api/v1/me", headers=phone), 401)
    log_in(client, "county", "new-pass-2026")


def test_a_town_cannot_reset_someone_above_it_or_outside_it(client: TestClient, county: County):
    for target in ("county", "town_b", "secretary_b1", "admin"):
        assert_problem(
            client.post(f"{USERS}/{county.users[target].id}/password-reset", headers=county.headers("town_a")), 404
        )
    assert_problem(
        client.post(f"{USERS}/{county.users['town_a'].id}/password-reset", headers=county.headers("town_a")), 403
    )
    log_in(client, "county")  # untouched


def test_people_are_found_by_name_role_town_and_state(client: TestClient, county: County):
    def names(**params: str) -> list[str]:
        response = client.get(USERS, params=params, headers=county.headers("county"))
        assert response.status_code == 200, response.text
        return sorted(u["username"] for u in response.json()["items"])

    assert names(role="secretary") == ["secretary_a1", "secretary_b1"]
    assert names(scope=TOWN_A) == ["secretary_a1", "town_a"]
    assert names(q="b1") == ["secretary_b1"]
    assert names(scope=VILLAGE_B1, is_active="true") == ["secretary_b1"]
    assert_problem(client.get(USERS, params={"scope": "520199"}, headers=county.headers("town_a")), 404)


def test_one_account_is_read_within_scope(client: TestClient, county: County):
    url = f"{USERS}/{county.users['secretary_a1'].id}"

    assert client.get(url, headers=county.headers("town_a")).json()["username"] == "secretary_a1"
    assert_problem(client.get(url, headers=county.headers("town_b")), 404)
    assert_problem(client.get(url, headers=county.headers("secretary_a1")), 403)
    assert_problem(client.get(f"{USERS}/{county.users['admin'].id}", headers=county.headers("county")), 404)


def test_guessing_the_old_password_is_throttled_like_a_login(client: TestClient, county: County, settings):
    headers = county.headers("county")
    url = "/api/v1/me/password"
    for _ in range(settings.login_max_failures):
        wrong = client.post(
            url, json={"old_password": "a-wrong-guess", "new_password": "new-pass-2026"}, headers=headers
        )
        assert_problem(wrong, 422)

    right = client.post(url, json={"old_password": PASSWORD, "new_password": "new-pass-2026"}, headers=headers)

    assert_problem(right, 429)
    assert right.headers["retry-after"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # nothing changed
