"""The phone app's shell: what the service worker precaches, the message catalogue, the size budget."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.ops.pwa import ONLINE_ONLY, PACKAGED_PWA_DIR, shell_manifest
from api.settings import Settings

JS_DIR = PACKAGED_PWA_DIR / "js"
# What a phone downloads over one bar of signal: the shell as it crosses the link, gzipped by
# the server (api/ops/pwa.py), about a third of its size on disk.
SHELL_BUDGET_GZIP_BYTES = 45_000


def _modules() -> list[Path]:
    return sorted(JS_DIR.rglob("*.js"))


def _served_manifest(client: TestClient) -> dict[str, object]:
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["cache-control"] == "no-cache"
    match = re.match(r"self\.ZOUFANG_SHELL = (\{.*\});\n", worker.text)
    assert match, worker.text[:200]
    manifest: dict[str, object] = json.loads(match.group(1))
    return manifest


def test_service_worker_precaches_every_file_of_the_app(client: TestClient) -> None:
    manifest = _served_manifest(client)
    files = manifest["files"]
    assert isinstance(files, list)
    everything = {f"/{p.relative_to(PACKAGED_PWA_DIR).as_posix()}" for p in PACKAGED_PWA_DIR.rglob("*") if p.is_file()}
    online_only = {f for f in everything if f.removeprefix("/").startswith(ONLINE_ONLY)}
    assert "/js/supervise/overview.js" in online_only, "the supervisors' screens are served but not kept on phones"
    assert "/js/insecure.js" in online_only
    assert "/js/history.js" in online_only, "a secretary's records on the server need a signal anyway"
    assert set(files) == everything - {"/sw.js"} - online_only
    for path in files:
        assert client.get(path).status_code == 200, path


def test_any_change_to_the_app_is_a_new_cache_version(settings: Settings, tmp_path: Path) -> None:
    copy = tmp_path / "pwa"
    shutil.copytree(PACKAGED_PWA_DIR, copy)
    with TestClient(create_app(settings.model_copy(update={"pwa_dir": copy}))) as client:
        before = _served_manifest(client)["version"]
        assert _served_manifest(client)["version"] == before, "the version must be stable between requests"
        with (copy / "css" / "app.css").open("a", encoding="utf-8") as css:
            css.write("/* a county's own colours */\n")
        assert _served_manifest(client)["version"] != before


def test_the_shell_is_served_compressed(client: TestClient) -> None:
    response = client.get("/js/outbox.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"


def _static_imports(module: Path) -> set[Path]:
    """``module`` and every module it imports with a static ``import … from``, transitively."""
    found: set[Path] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        for target in re.findall(
            r'^import [^;]*? from "(\.{1,2}/[^"]+)";', current.read_text(encoding="utf-8"), re.M | re.S
        ):
            todo.append((current.parent / target).resolve())
    return found


def test_the_first_screen_needs_one_round_of_requests_after_the_page(client: TestClient) -> None:
    """Over a slow link each round trip costs 400 ms: index.html names every module the login
    screen needs (app.js's static imports and the login view), and nothing it does not."""
    html = client.get("/").text
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/([^"]+)">', html))
    needed = _static_imports(JS_DIR / "app.js") | {(JS_DIR / "views" / "login.js").resolve()}
    assert preloaded == {p.relative_to(PACKAGED_PWA_DIR.resolve()).as_posix() for p in needed}
    assert len(needed) < len(_modules()), "the other screens load when first opened"


def _keys(catalogue: Path) -> set[str]:
    return set(re.findall(r'^\s+"([\w.]+)": ', catalogue.read_text(encoding="utf-8"), re.M))


def test_every_message_the_app_shows_is_in_the_catalogue() -> None:
    """Every key a screen uses has words; the phones' screens find theirs in the precached
    catalogue, the supervisors' and the county office's (online-only) screens may also use
    their folder's own."""
    phone_catalogue = JS_DIR / "messages.js"
    own_catalogues = {folder: JS_DIR / folder / "messages.js" for folder in ("supervise", "admin")}
    phone_keys = _keys(phone_catalogue)
    for module in _modules():
        if module == phone_catalogue or module in own_catalogues.values():
            continue
        source = module.read_text(encoding="utf-8")
        own = own_catalogues.get(module.parent.name)
        available = phone_keys | _keys(own) if own else phone_keys
        assert set(re.findall(r'\bt\("([\w.]+)"', source)) - available == set(), module.name
        for prefix in set(re.findall(r"\bt\(`([\w.]+)\.\$\{", source)):
            assert any(key.startswith(f"{prefix}.") for key in available), (module.name, prefix)
    # The check kinds the server can answer with all have words on the phone.
    for kind in ("off_site", "implausible_pace", "duplicate_photo", "photo_time_mismatch"):
        assert f"check.{kind}" in phone_keys
    for kind in ("home_visit", "group_talk", "meeting", "service", "log"):
        assert f"kind.{kind}" in phone_keys


def test_the_app_shell_fits_the_budget_for_a_slow_link(settings: Settings) -> None:
    """What every phone downloads and keeps: HTML, JS and CSS (icons aside) under 45 KB on the wire."""
    files = shell_manifest(PACKAGED_PWA_DIR)["files"]
    assert isinstance(files, list)
    shell = [f for f in files if f.endswith((".html", ".js", ".css"))]
    with TestClient(create_app(settings)) as client:
        sent = 0
        for path in shell:
            response = client.get(path, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, path
            assert response.headers.get("content-encoding") == "gzip" or len(response.content) < 512, path
            sent += int(response.headers.get("content-length", len(response.content)))
    assert sent <= SHELL_BUDGET_GZIP_BYTES, f"{sent} bytes"
