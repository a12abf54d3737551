"""``GET /api-tokens`` names who issued each token, and never shows a token itself."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.auth.test_api_tokens import TOKENS_URL, create_token
from tests.factories import TOWN_A, VILLAGE_A1, make_county


def test_each_listed_token_names_its_creator_and_none_carries_its_secret(client: TestClient, session: Session):
    county = make_county(session)
    for who, name in (("county", "李明"), ("town_a", "赵红")):
        county.users[who].display_name = name
        session.add(county.users[who])
    session.commit()
    issued = [
        create_token(client, county, who, scope).json() for who, scope in (("county", TOWN_A), ("town_a", VILLAGE_A1))
    ]

    response = client.get(TOKENS_URL, headers=county.headers("county"))

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(item["id"], item["created_by_name"]) for item in items] == [
        (issued[0]["id"], "李明"),
        (issued[1]["id"], "赵红"),
    ]
    assert all("token" not in item for item in items)
    assert all(created["token"] not in response.text for created in issued)
