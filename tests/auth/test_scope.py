"""Who sees and changes what: every role against places inside and outside its scope."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.auth.models import User
from api.auth.principal import Principal
from api.errors import InvalidInput, NotFound
from api.households.models import Household
from tests.factories import (
    COUNTY,
    PASSWORD,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    make_county,
)
from tests.problems import assert_problem

HOUSEHOLDS_URL = "/api/v1/households"
USERS_URL = "/api/v1/users"
REGIONS_URL = "/api/v1/regions"
ALL_VILLAGES = {VILLAGE_A1, VILLAGE_A2, VILLAGE_B1}

VISIBLE_VILLAGES = {
    "admin": ALL_VILLAGES,
    "county": ALL_VILLAGES,
    "inspector": ALL_VILLAGES,
    "town_a": {VILLAGE_A1, VILLAGE_A2},
    "town_b": {VILLAGE_B1},
    "secretary_a1": {VILLAGE_A1},
    "secretary_b1": {VILLAGE_B1},
}


def new_user(**overrides: Any) -> dict[str, Any]:
    return {
        "username": "new_secretary",
        "display_name": "刘书记",
        "phone": "13612345678",
        "role": "secretary",
        "scope_code": VILLAGE_A2,
        "password": PASSWORD,
    } | overrides


@pytest.mark.parametrize("who", sorted(VISIBLE_VILLAGES))
def test_the_household_list_holds_exactly_the_scope(client: TestClient, session: Session, who: str):
    county = make_county(session)

    response = client.get(HOUSEHOLDS_URL, headers=county.headers(who))

    assert response.status_code == 200, response.text
    assert {item["village_code"] for item in response.json()["items"]} == VISIBLE_VILLAGES[who]
    assert len(response.json()["items"]) == len(VISIBLE_VILLAGES[who])


@pytest.mark.parametrize("who", sorted(VISIBLE_VILLAGES))
def test_one_household_is_readable_inside_the_scope_and_a_404_outside(client: TestClient, session: Session, who: str):
    county = make_county(session)

    for village, household in county.households.items():
        response = client.get(f"{HOUSEHOLDS_URL}/{household.id}", headers=county.headers(who))
        if village in VISIBLE_VILLAGES[who]:
            assert response.status_code == 200, response.text
            assert response.json()["head_name"] == household.head_name
        else:
            body = assert_problem(response, 404)
            assert household.head_name not in str(body)


@pytest.mark.parametrize(
    ("who", "village", "status"),
    [
        ("secretary_a1", VILLAGE_A1, 200),
        ("secretary_a1", VILLAGE_A2, 404),
        ("secretary_a1", VILLAGE_B1, 404),
        ("town_a", VILLAGE_A2, 200),
        ("town_a", VILLAGE_B1, 404),
        ("county", VILLAGE_B1, 200),
    ],
)
def test_filtering_by_a_village_outside_the_scope_is_a_404(
    client: TestClient, session: Session, who: str, village: str, status: int
):
    county = make_county(session)

    response = client.get(HOUSEHOLDS_URL, params={"village_code": village}, headers=county.headers(who))

    assert response.status_code == status, response.text
    if status == 200:
        assert [item["id"] for item in response.json()["items"]] == [county.households[village].id]
    else:
        assert_problem(response, status)


@pytest.mark.parametrize(
    ("who", "village", "status"),
    [
        ("secretary_a1", VILLAGE_A1, 201),
        ("secretary_a1", VILLAGE_B1, 404),
        ("town_a", VILLAGE_A2, 201),
        ("town_a", VILLAGE_B1, 404),
        ("county", VILLAGE_B1, 201),
        ("admin", VILLAGE_A2, 201),
        ("inspector", VILLAGE_A1, 403),
        ("inspector", VILLAGE_B1, 403),
    ],
)
def test_creating_a_household_inside_and_outside_the_scope(
    client: TestClient, session: Session, who: str, village: str, status: int
):
    county = make_county(session)

    response = client.post(
        HOUSEHOLDS_URL, json={"village_code": village, "head_name": "赵大山"}, headers=county.headers(who)
    )

    assert response.status_code == status, response.text
    stored = session.exec(select(Household).where(Household.head_name == "赵大山")).all()
    if status == 201:
        assert [h.village_code for h in stored] == [village]
    else:
        assert_problem(response, status)
        assert stored == []


@pytest.mark.parametrize(
    ("who", "village", "status"),
    [
        ("secretary_a1", VILLAGE_A1, 200),
        ("secretary_a1", VILLAGE_A2, 404),
        ("town_a", VILLAGE_B1, 404),
        ("town_b", VILLAGE_B1, 200),
        ("inspector", VILLAGE_A1, 403),
    ],
)
def test_changing_a_household_inside_and_outside_the_scope(
    client: TestClient, session: Session, who: str, village: str, status: int
):
    county = make_county(session)
    household = county.households[village]

    response = client.patch(f"{HOUSEHOLDS_URL}/{household.id}", json={"address": "新址"}, headers=county.headers(who))

    assert response.status_code == status, response.text
    session.expire_all()
    stored = session.get(Household, household.id)
    assert stored is not None
    assert (stored.address == "新址") is (status == 200)


@pytest.mark.parametrize(
    ("who", "phone"),
    [
        ("admin", "13712345678"),
        ("county", "137****5678"),
        ("town_a", "137****5678"),
        ("secretary_a1", "137****5678"),
        ("inspector", "137****5678"),
    ],
)
def test_household_phones_are_masked_for_everyone_but_admin(client: TestClient, session: Session, who: str, phone: str):
    county = make_county(session)
    household_id = county.households[VILLAGE_A1].id

    listed = client.get(HOUSEHOLDS_URL, params={"village_code": VILLAGE_A1}, headers=county.headers(who))
    one = client.get(f"{HOUSEHOLDS_URL}/{household_id}", headers=county.headers(who))

    assert [item["phone"] for item in listed.json()["items"]] == [phone]
    assert one.json()["phone"] == phone


def test_a_created_households_phone_is_masked_in_the_reply(client: TestClient, session: Session):
    county = make_county(session)

    response = client.post(
        HOUSEHOLDS_URL,
        json={"village_code": VILLAGE_A1, "head_name": "赵大山", "phone": "13598765432"},
        headers=county.headers("secretary_a1"),
    )

    assert response.status_code == 201, response.text
    assert response.json()["phone"] == "135****5432"


@pytest.mark.parametrize(
    ("who", "phone"), [("admin", "13912345678"), ("county", "139****5678"), ("town_a", "139****5678")]
)
def test_user_phones_are_masked_for_everyone_but_admin(client: TestClient, session: Session, who: str, phone: str):
    county = make_county(session)

    response = client.get(USERS_URL, headers=county.headers(who))

    assert response.status_code == 200, response.text
    phones = {item["username"]: item["phone"] for item in response.json()["items"]}
    assert phones["secretary_a1"] == phone


def test_a_created_users_phone_is_masked_in_the_reply(client: TestClient, session: Session):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(), headers=county.headers("town_a"))

    assert response.status_code == 201, response.text
    assert response.json()["phone"] == "136****5678"


@pytest.mark.parametrize(
    ("who", "usernames"),
    [
        ("admin", {"admin", "county", "town_a", "town_b", "secretary_a1", "secretary_b1", "inspector"}),
        ("county", {"county", "town_a", "town_b", "secretary_a1", "secretary_b1", "inspector"}),
        ("town_a", {"town_a", "secretary_a1"}),
        ("town_b", {"town_b", "secretary_b1"}),
    ],
)
def test_the_user_list_holds_exactly_the_scope(client: TestClient, session: Session, who: str, usernames: set[str]):
    county = make_county(session)

    response = client.get(USERS_URL, headers=county.headers(who))

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {item["username"] for item in items} == usernames
    assert all("password_hash" not in item for item in items)


def test_the_user_list_filters_by_role(client: TestClient, session: Session):
    county = make_county(session)

    response = client.get(USERS_URL, params={"role": "secretary"}, headers=county.headers("county"))

    assert {item["username"] for item in response.json()["items"]} == {"secretary_a1", "secretary_b1"}
    assert_problem(client.get(USERS_URL, params={"role": "mayor"}, headers=county.headers("county")), 422)


@pytest.mark.parametrize("who", ["secretary_a1", "inspector"])
def test_the_user_list_is_refused_to_people_who_do_not_manage_people(client: TestClient, session: Session, who: str):
    county = make_county(session)

    assert_problem(client.get(USERS_URL, headers=county.headers(who)), 403)


def test_a_town_creates_a_secretary_in_the_town_who_can_then_log_in(client: TestClient, session: Session):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(), headers=county.headers("town_a"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in ("username", "display_name", "role", "scope_code", "is_active")} == {
        "username": "new_secretary",
        "display_name": "刘书记",
        "role": "secretary",
        "scope_code": VILLAGE_A2,
        "is_active": True,
    }
    assert "password" not in body
    assert "password_hash" not in body
    login = client.post("/api/v1/auth/token", data={"username": "new_secretary", "password": PASSWORD})
    assert login.status_code == 200, login.text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["scope_code"] == VILLAGE_A2


@pytest.mark.parametrize("scope", [VILLAGE_B1, TOWN_B, COUNTY])
def test_a_town_cannot_create_a_user_outside_the_town(client: TestClient, session: Session, scope: str):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(scope_code=scope), headers=county.headers("town_a"))

    assert response.status_code in (403, 404), response.text
    assert_problem(response, response.status_code)
    assert session.exec(select(User).where(User.username == "new_secretary")).first() is None


@pytest.mark.parametrize(
    ("who", "role", "scope"),
    [
        ("town_a", "county", TOWN_A),
        ("town_a", "town", TOWN_A),
        ("town_a", "inspector", TOWN_A),
        ("town_a", "admin", None),
        ("county", "admin", None),
    ],
)
def test_roles_above_ones_own_cannot_be_created(
    client: TestClient, session: Session, who: str, role: str, scope: str | None
):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(role=role, scope_code=scope), headers=county.headers(who))

    assert_problem(response, 403)
    assert session.exec(select(User).where(User.username == "new_secretary")).first() is None


@pytest.mark.parametrize("who", ["secretary_a1", "inspector"])
def test_people_who_do_not_manage_people_cannot_create_users(client: TestClient, session: Session, who: str):
    county = make_county(session)

    assert_problem(client.post(USERS_URL, json=new_user(scope_code=VILLAGE_A1), headers=county.headers(who)), 403)


@pytest.mark.parametrize(("role", "scope"), [("town", TOWN_B), ("inspector", COUNTY), ("county", COUNTY)])
def test_the_county_staffs_its_county(client: TestClient, session: Session, role: str, scope: str):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(role=role, scope_code=scope), headers=county.headers("county"))

    assert response.status_code == 201, response.text
    assert response.json()["role"] == role


def test_an_admin_creates_an_admin_without_scope(client: TestClient, session: Session):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(role="admin", scope_code=None), headers=county.headers("admin"))

    assert response.status_code == 201, response.text
    assert response.json()["scope_code"] is None


def test_a_user_other_than_admin_needs_a_scope(client: TestClient, session: Session):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(scope_code=None), headers=county.headers("admin"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "scope_code"]


def test_a_scope_that_names_no_region_is_a_422(client: TestClient, session: Session):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(scope_code="520199100299"), headers=county.headers("town_a"))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "scope_code"]


def test_a_duplicate_username_is_a_409_problem(client: TestClient, session: Session):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(username="secretary_a1"), headers=county.headers("county"))

    body = assert_problem(response, 409)
    assert body["type"] == "/problems/conflict"
    assert len(session.exec(select(User).where(User.username == "secretary_a1")).all()) == 1


def test_a_wrongly_typed_user_is_a_422_problem_listing_each_field(client: TestClient, session: Session):
    county = make_county(session)
    body = new_user(role=123)
    del body["password"]

    response = client.post(USERS_URL, json=body, headers=county.headers("county"))

    problem = assert_problem(response, 422)
    assert problem["type"] == "/problems/validation"
    assert all(set(error) >= {"loc", "msg"} and error["msg"] for error in problem["errors"])
    assert {tuple(error["loc"]) for error in problem["errors"]} == {("body", "role"), ("body", "password")}


@pytest.mark.parametrize(
    "overrides",
    [{"display_name": "刘\x00书记"}, {"username": "with space"}, {"password": "short"}, {"phone": "12345"}],
    ids=["nul-in-name", "bad-username", "short-password", "bad-phone"],
)
def test_bad_user_fields_are_422_problems(client: TestClient, session: Session, overrides: dict[str, str]):
    county = make_county(session)

    response = client.post(USERS_URL, json=new_user(**overrides), headers=county.headers("county"))

    problem = assert_problem(response, 422)
    assert [error["loc"][1] for error in problem["errors"]] == list(overrides)


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("admin", {COUNTY, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1}),
        ("county", {COUNTY, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1}),
        ("town_a", {TOWN_A, VILLAGE_A1, VILLAGE_A2}),
        ("secretary_a1", {VILLAGE_A1}),
        ("secretary_b1", {VILLAGE_B1}),
    ],
)
def test_the_region_list_holds_exactly_the_scope(client: TestClient, session: Session, who: str, codes: set[str]):
    county = make_county(session)

    response = client.get(REGIONS_URL, headers=county.headers(who))

    assert response.status_code == 200, response.text
    assert {item["code"] for item in response.json()["items"]} == codes


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("town_a", VILLAGE_A2, 200),
        ("town_a", VILLAGE_B1, 404),
        ("town_a", COUNTY, 404),
        ("county", VILLAGE_B1, 200),
        ("secretary_a1", VILLAGE_A1, 403),
        ("secretary_a1", VILLAGE_B1, 403),
        ("inspector", VILLAGE_A1, 403),
    ],
)
def test_changing_a_region_inside_and_outside_the_scope(
    client: TestClient, session: Session, who: str, code: str, status: int
):
    county = make_county(session)

    response = client.patch(f"{REGIONS_URL}/{code}", json={"plan": "一村一策：修路"}, headers=county.headers(who))

    assert response.status_code == status, response.text
    if status != 200:
        assert_problem(response, status)
    plan = client.get(f"{REGIONS_URL}/{code}", headers=county.headers("admin")).json()["plan"]
    assert (plan == "一村一策：修路") is (status == 200)


def _principal(role: str, scope: str | None) -> Principal:
    return Principal.for_user(User(username=role, display_name=role, role=role, scope_code=scope, password_hash="x"))


@pytest.mark.parametrize(
    ("role", "scope", "wanted", "prefix"),
    [
        ("town", TOWN_A, None, "520199100"),
        ("town", TOWN_A, TOWN_A, "520199100"),
        ("town", TOWN_A, VILLAGE_A1, "520199100201"),
        ("town", TOWN_A, "520199100", "520199100"),
        ("county", COUNTY, TOWN_B, "520199101"),
        ("secretary", VILLAGE_A1, VILLAGE_A1, "520199100201"),
        ("admin", None, None, ""),
        ("admin", None, TOWN_B, "520199101"),
    ],
)
def test_narrowing_inside_the_scope_gives_the_narrower_prefix(
    role: str, scope: str | None, wanted: str | None, prefix: str
):
    assert _principal(role, scope).narrow(wanted) == prefix


@pytest.mark.parametrize(
    ("role", "scope", "wanted"),
    [
        ("town", TOWN_A, COUNTY),
        ("town", TOWN_A, TOWN_B),
        ("town", TOWN_A, VILLAGE_B1),
        ("town", TOWN_A, "520000000000"),
        ("secretary", VILLAGE_A1, VILLAGE_A2),
        ("secretary", VILLAGE_A1, TOWN_A),
        ("county", COUNTY, "520198000000"),
    ],
)
def test_widening_or_leaving_the_scope_is_not_found(role: str, scope: str | None, wanted: str):
    with pytest.raises(NotFound):
        _principal(role, scope).narrow(wanted)


@pytest.mark.parametrize("wanted", ["not-a-code", "52019910"])
def test_a_scope_that_is_no_code_is_invalid_input(wanted: str):
    with pytest.raises(InvalidInput):
        _principal("town", TOWN_A).narrow(wanted)


def test_an_admin_has_no_scope(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = {
        "username": "scoped-admin",
        "display_name": "某",
        "role": "admin",
        "scope_code": TOWN_A,
        "password": "a-long-password",
    }
    body_problem = assert_problem(client.post("/api/v1/users", headers=county.headers("admin"), json=body), 422)
    assert body_problem["errors"][0]["loc"] == ["body", "scope_code"]
