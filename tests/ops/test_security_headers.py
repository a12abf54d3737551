"""Security headers on everything the service sends: pages, scripts, data, photos, refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.bulletins.quarters import Quarter
from tests.factories import jpeg, make_county

EVERYWHERE = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


def assert_everywhere(headers: dict[str, str] | object) -> None:
    for name, value in EVERYWHERE.items():
        assert headers[name] == value, name  # type: ignore[index]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]  # type: ignore[index]


def directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/index.html", "/sw.js", "/js/app.js", "/api/docs", "/api/docs/start/init.js"])
def test_pages_and_scripts_run_only_the_services_own_code(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200, path
    assert_everywhere(response.headers)
    policy = directives(response.headers["content-security-policy"])
    assert policy["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]
    assert policy["object-src"] == "object-src 'none'"
    assert policy["base-uri"] == "base-uri 'none'"


def test_no_page_carries_an_inline_script(client: TestClient) -> None:
    for path in ("/", "/api/docs"):
        html = client.get(path).text
        assert "<script>" not in html.replace(" ", "").lower(), path
        assert '<script type="module">' not in html


def test_only_the_apps_page_may_ask_for_the_location_and_the_camera(client: TestClient) -> None:
    app_page = client.get("/").headers["permissions-policy"]
    docs = client.get("/api/docs").headers["permissions-policy"]
    data = client.get("/healthz").headers["permissions-policy"]

    assert "geolocation=(self)" in app_page
    assert "camera=(self)" in app_page
    for other in (docs, data):
        assert "geolocation=()" in other
        assert "camera=()" in other


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/healthz", "/readyz", "/metrics", "/manifest.webmanifest"])
def test_data_may_load_nothing(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert_everywhere(response.headers)
    assert directives(response.headers["content-security-policy"])["default-src"] == "default-src 'none'"


def test_refusals_carry_the_headers_too(client: TestClient) -> None:
    for response in (client.get("/api/v1/me"), client.get("/no/such/page"), client.post("/api/v1/sync", content=b"{")):
        assert response.status_code >= 400
        assert_everywhere(response.headers)


def test_photos_are_served_in_a_sandbox(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("secretary_a1")
    photo_id = str(uuid.uuid4())
    upload = client.post(
        "/api/v1/photos", files={"file": ("a.jpg", jpeg(seed=3), "image/jpeg")}, data={"id": photo_id}, headers=headers
    )
    assert upload.status_code == 201, upload.text

    for path in (f"/api/v1/photos/{photo_id}", f"/api/v1/photos/{photo_id}/thumb"):
        response = client.get(path, headers=headers)
        assert response.headers["content-type"] == "image/jpeg"
        assert_everywhere(response.headers)
        policy = directives(response.headers["content-security-policy"])
        assert "sandbox" in policy
        assert policy["default-src"] == "default-src 'none'"


def test_the_printable_bulletin_allows_its_own_style_and_no_script(client: TestClient, session: Session) -> None:
    county = make_county(session)
    quarter = Quarter.of(datetime.now(UTC).date())

    response = client.get(f"/api/v1/bulletins/{quarter}?format=html", headers=county.headers("county"))

    assert response.status_code == 200, response.text
    assert_everywhere(response.headers)
    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "default-src 'none'"
    assert policy["style-src"].startswith("style-src 'sha256-")
    assert "script-src" not in policy
