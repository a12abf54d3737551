"""Every error, ours or the framework's, reaches the client as RFC 9457 problem+json."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session

from api.main import create_app
from api.settings import Settings
from tests.factories import make_county
from tests.problems import assert_problem


def test_unauthenticated_is_a_401_problem_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/households")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/no-such-thing"), 404)


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    assert_problem(client.delete("/api/v1/me"), 405)


def test_forbidden_is_a_403_problem(client: TestClient, session: Session) -> None:
    county = make_county(session)
    assert_problem(client.get("/api/v1/users", headers=county.headers("secretary_a1")), 403)


def test_validation_errors_list_each_field_in_words(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = assert_problem(
        client.post(
            "/api/v1/households",
            headers=county.headers("admin"),
            json={"village_code": "12ab", "head_name": "", "lat": "north", "tags": "脱贫户"},
        ),
        422,
    )
    fields = {tuple(item["loc"][1:]) for item in body["errors"]}
    assert {("village_code",), ("head_name",), ("lat",), ("tags",)} <= fields
    assert all(item["msg"] for item in body["errors"])
    assert any("区划代码" in item["msg"] for item in body["errors"])


def test_malformed_json_is_a_422_problem(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = client.post(
        "/api/v1/households",
        headers={**county.headers("admin"), "Content-Type": "application/json"},
        content=b'{"village_code": ',
    )
    assert_problem(response, 422)


@pytest.mark.parametrize("path", ["/api/v1/households/not-a-number", "/api/v1/households?limit=0"])
def test_bad_path_and_query_values_are_422_problems(client: TestClient, session: Session, path: str) -> None:
    county = make_county(session)
    assert_problem(client.get(path, headers=county.headers("admin")), 422)


def test_a_database_out_of_reach_is_a_503_problem_without_internals(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings)
    app.state.engine = create_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'zoufang.db'}")
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/households", headers={"Authorization": "Bearer zf_looked-up-in-the-database"})
    body = assert_problem(response, 503)
    assert response.headers["retry-after"].isdigit()
    assert "sqlite" not in str(body).lower()


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals: /srv/zoufang/key")

    monkeypatch.setattr("api.auth.principal.read_access_token", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        body = assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer x.y.z"}), 500)
    assert "secret" not in str(body)
