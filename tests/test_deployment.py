"""The deployment files: what ``docker compose up`` would run, checked without a Docker engine.

No Docker engine runs on these machines, so the compose file is read as data and held to the
rules a county's server relies on; the Caddyfile is validated by Caddy itself (Debian's
package), with each of its three TLS modes.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import EXAMPLE_MARK, Settings
from tests.tools import required_tool

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
APIS = [name for name, service in SERVICES.items() if service.get("image", "").startswith("zoufang:")]
REQUIRED = re.compile(r"\$\{(\w+):\?")
EXAMPLE_ENV = dict(
    line.split("=", 1)
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)


def test_there_are_at_least_two_api_instances() -> None:
    assert len(APIS) >= 2, APIS


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_image_is_pinned(name: str) -> None:
    image = SERVICES[name]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository, f"{name}: {image} has no tag"
    assert re.search(r"\d", tag), f"{name}: {image} is not a fixed version"


def test_the_dockerfile_is_pinned_too() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+\.\d+-slim-\w+$", dockerfile, re.MULTILINE)
    assert re.search(r"pip install --no-cache-dir uv==\d", dockerfile)
    assert "uv sync --frozen" in dockerfile


@pytest.mark.parametrize("name", APIS)
def test_each_api_instance_is_watched_and_restarted(name: str) -> None:
    service = SERVICES[name]
    assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert service["restart"] == "unless-stopped"
    assert service["depends_on"]["db"]["condition"] == "service_healthy"


def test_every_long_running_service_restarts_and_every_volume_is_named() -> None:
    for name, service in SERVICES.items():
        if name != "buckets":  # a one-off job
            assert service["restart"] == "unless-stopped", name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith("./") or source in COMPOSE["volumes"], f"{name}: {volume}"


def test_every_zoufang_variable_of_the_compose_file_is_a_setting() -> None:
    settings = {f"ZOUFANG_{name.upper()}" for name in Settings.model_fields}
    for name in APIS:
        for variable in SERVICES[name]["environment"]:
            assert not variable.startswith("ZOUFANG_") or variable in settings, variable


def test_the_instances_share_their_data_key_and_photos() -> None:
    environments = [SERVICES[name]["environment"] for name in APIS]
    assert all(env == environments[0] for env in environments)
    shared = environments[0]
    assert shared["ZOUFANG_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert shared["ZOUFANG_MEDIA_URL"].startswith("s3://")
    assert shared["ZOUFANG_SECRET_KEY"].startswith("${ZOUFANG_SECRET_KEY:?")
    # Forwarded headers are believed from the proxy's fixed address only.
    proxy_address = SERVICES["proxy"]["networks"]["zoufang"]["ipv4_address"]
    assert shared["ZOUFANG_TRUSTED_PROXIES"] == proxy_address


def test_the_proxy_sends_to_every_instance() -> None:
    upstreams = SERVICES["proxy"]["environment"]["ZOUFANG_UPSTREAMS"].split()
    assert sorted(upstreams) == sorted(f"{name}:8000" for name in APIS)
    assert sorted(SERVICES["proxy"]["depends_on"]) == sorted(APIS)
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy {$ZOUFANG_UPSTREAMS}" in caddyfile
    assert "health_uri /readyz" in caddyfile


def test_no_secret_works_until_the_county_sets_its_own() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(REQUIRED.findall(text))
    assert {"ZOUFANG_SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD"} <= required
    assert required <= set(EXAMPLE_ENV), "every variable the compose file requires is in .env.example"
    for secret in ("ZOUFANG_SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD"):
        assert EXAMPLE_ENV[secret].startswith(EXAMPLE_MARK), secret  # so the service refuses it


@pytest.mark.parametrize("tls", ["internal", "/certs/zoufang.crt /certs/zoufang.key", "it@county.example.gov.cn"])
def test_caddy_accepts_the_caddyfile_in_each_tls_mode(tls: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ZOUFANG_SITE": "zoufang.county.lan",
        "ZOUFANG_TLS": tls,
        "ZOUFANG_UPSTREAMS": "api1:8000 api2:8000",
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [
            required_tool("caddy", "caddy"),
            "adapt",
            "--config",
            str(ROOT / "deploy" / "Caddyfile"),
            "--adapter",
            "caddyfile",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "api1:8000" in result.stdout
    assert "api2:8000" in result.stdout
