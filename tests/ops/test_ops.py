"""Health, readiness, metrics, the OpenAPI document, offline API docs and the PWA shell."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from api.settings import Settings


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_database_and_photo_store(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "photo_store": "ok"}


def test_readyz_is_503_when_the_photo_store_cannot_be_written(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the photo folder should be")
    broken = settings.model_copy(update={"media_url": str(blocker / "media")})
    with TestClient(create_app(broken)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "photo_store" in response.json()["detail"]


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/api/v1/households/123")
    text = client.get("/metrics").text
    assert (
        'zoufang_http_requests_total{method="GET",route="/api/v1/households/{household_id}",status="401"} 1.0' in text
    )


def test_metrics_say_how_many_requests_wait_in_line(client: TestClient) -> None:
    text = client.get("/metrics").text
    assert "zoufang_requests_waiting 0.0" in text


def test_the_openapi_document_lists_each_operations_refusals_as_problems(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    def refusals(path: str, method: str) -> dict[str, object]:
        responses = paths[path][method]["responses"]
        return {code: answer for code, answer in responses.items() if int(code) >= 400}

    for code, answer in refusals("/api/v1/households/{household_id}", "patch").items():
        assert list(answer["content"]) == ["application/problem+json"], code  # type: ignore[index]
    assert {"401", "403", "404", "409", "413", "422", "503"} <= refusals(
        "/api/v1/households/{household_id}", "patch"
    ).keys()
    assert {"401", "403", "404", "413", "415", "422", "503"} <= refusals("/api/v1/photos", "post").keys()
    assert {"401", "413", "415"} <= refusals("/api/v1/imports/households", "post").keys()
    assert {"401", "422", "429", "503"} <= refusals("/api/v1/auth/token", "post").keys()
    assert {"401", "403", "404", "503"} <= refusals("/api/v1/me", "get").keys()
    assert "503" in refusals("/readyz", "get")
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert {"type", "title", "status", "detail", "errors"} <= schemas["Problem"]["properties"].keys()


def test_openapi_document_is_served(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/households" in spec["paths"]
    assert "/api/v1/auth/token" in spec["paths"]


def test_api_docs_use_only_locally_served_assets(client: TestClient) -> None:
    html = client.get("/api/docs").text
    assert "cdn" not in html.lower()
    assert "/api/docs/assets/swagger-ui-bundle.js" in html
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200


def test_pwa_shell_manifest_and_service_worker_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "走访" in page.text
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["lang"] == "zh-CN"
    worker = client.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"


def test_the_start_up_heap_is_frozen_while_serving_and_released_at_shutdown(settings: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000, "the modules, routes and models should be out of the collector's way"
    assert gc.get_freeze_count() == 0
