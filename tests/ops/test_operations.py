"""What the county's IT staff watch: request ids, JSON access lines, metrics, a graceful stop."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bench.server import ServerProcess
from tests.factories import PASSWORD, VILLAGE_A1, jpeg, make_county
from tests.servers import QUIET
from tests.visits.test_visits import visit


def test_every_answer_carries_a_request_id(client: TestClient) -> None:
    made = client.get("/healthz").headers["x-request-id"]
    kept = client.get("/healthz", headers={"X-Request-ID": "caddy-7f3a.1"}).headers["x-request-id"]
    refused = client.get("/healthz", headers={"X-Request-ID": "a b<script>" + "x" * 200}).headers["x-request-id"]

    assert len(made) == 32
    assert kept == "caddy-7f3a.1"
    assert refused != "a b<script>" + "x" * 200
    assert len(refused) == 32


def test_each_request_is_one_json_line_without_query_or_token(
    client: TestClient, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    county = make_county(session)
    with caplog.at_level("INFO", logger="zoufang.access"):
        client.get("/api/v1/households?q=王", headers={**county.headers("county"), "X-Request-ID": "req-1"})
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "zoufang.access"]
    assert line["request_id"] == "req-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/households", 200)
    assert line["ms"] >= 0
    assert line["bytes"] > 0
    assert line["client"] == "testclient"
    assert "王" not in json.dumps(line, ensure_ascii=False)
    assert "Bearer" not in json.dumps(line)


def _metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " ") or line == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_sync_items_photos_and_flags(client: TestClient, session: Session) -> None:
    county = make_county(session)
    headers = county.headers("secretary_a1")
    data = jpeg(seed=5)
    photo_id = str(uuid.uuid4())
    upload = {"files": {"file": ("p.jpg", data, "image/jpeg")}, "data": {"id": photo_id}, "headers": headers}
    for _ in range(2):
        client.post("/api/v1/photos", **upload)  # type: ignore[arg-type]
    good, bad = visit(county), visit(county, notes="\x0c")
    client.post("/api/v1/sync", json={"visits": [good, bad, good]}, headers=headers)
    flag = {"village_code": VILLAGE_A1, "detail": "电话回访，群众反映很少见到书记"}
    client.post("/api/v1/flags", json=flag, headers=county.headers("county"))

    assert _metric(client, 'zoufang_photos_received_total{result="new"}') == 1
    assert _metric(client, 'zoufang_photos_received_total{result="sent again"}') == 1
    assert _metric(client, "zoufang_photo_bytes_received_total") == len(data)
    assert _metric(client, 'zoufang_sync_items_total{kind="visit",status="created"}') == 1
    assert _metric(client, 'zoufang_sync_items_total{kind="visit",status="unchanged"}') == 1
    assert _metric(client, 'zoufang_sync_items_total{kind="visit",status="rejected"}') == 1
    assert _metric(client, 'zoufang_flags{kind="manual",status="open"}') == 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(data_dir=tmp_path / "data", env=QUIET)
    process.start()
    yield process
    process.stop()


def test_a_stop_finishes_the_requests_in_progress(server: ServerProcess) -> None:
    """SIGTERM (a deployment's restart) lets a phone's slow upload finish instead of cutting it."""
    answers: list[httpx.Response] = []
    first_part_sent = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"username=nobody&"
        first_part_sent.set()
        time.sleep(2)  # one bar of signal
        yield b"password=" + PASSWORD.encode()

    def log_in() -> None:
        with httpx.Client(base_url=server.base, timeout=30) as http:
            answers.append(
                http.post(
                    "/api/v1/auth/token",
                    content=slow_body(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            )

    phone = threading.Thread(target=log_in)
    phone.start()
    assert first_part_sent.wait(timeout=10)
    time.sleep(0.3)
    assert server.pid is not None
    server._process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    phone.join(timeout=30)

    assert [a.status_code for a in answers] == [401]  # answered (an unknown user), not cut off
    # uvicorn ends by raising the signal again, so the exit status says how it was stopped.
    assert server._process.wait(timeout=30) in (0, -signal.SIGTERM)  # type: ignore[union-attr]
    assert "Finished server process" in server.log_text()
