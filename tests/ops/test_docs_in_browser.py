"""The API docs render in a real browser, from locally served assets only."""

from __future__ import annotations

import subprocess

from tests.browser import CHROMIUM_ARGS


def test_swagger_ui_renders_the_api(live_server: str, chromium: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [
            chromium,
            "--headless",
            *CHROMIUM_ARGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{live_server}/api/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = result.stdout
    assert "Unable to render this definition" not in dom
    assert "/api/v1/households" in dom, dom[-2000:]
    assert "/api/v1/imports/households" in dom
