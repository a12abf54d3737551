"""Real ``zoufang`` processes for the tests that need one: the command line and a served port.

The server's environment is the test run's minus every ``ZOUFANG_*`` variable, plus the data
folder and whatever a test adds, so a developer's own settings (a PostgreSQL URL, S3 photo
storage) never leak into a test server. Its output goes to a file beside the data rather than
a pipe: a pipe nobody reads fills up after some 64 KB of access log and then blocks the server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

READY_WITHIN_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a ``zoufang`` command over ``data_dir`` (SQLite and photos in it)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ZOUFANG_")}
    # The time rules and the photo sweep would work behind a test's back; tests that want them
    # ask for them.
    quiet = {"ZOUFANG_FLAG_RULES_INTERVAL_S": "0", "ZOUFANG_PHOTO_SWEEP_INTERVAL_S": "0"}
    return {**env, "ZOUFANG_DATA_DIR": str(data_dir), **quiet, **(extra or {})}


def run_cli(data_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``python -m api.cli ARGS`` over ``data_dir``; return its output, failing on an error."""
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=server_env(data_dir, env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"zoufang {args[0]} failed: {result.stdout}{result.stderr}"
    return result.stdout


@contextmanager
def running_server(data_dir: Path, *, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """``zoufang serve`` on a free port over ``data_dir``, ready to answer; yields its base URL.

    The server's output is in ``data_dir / "serve.log"``, and is shown when it fails to start.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = data_dir / "serve.log"
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    with (
        log_path.open("wb") as log,
        subprocess.Popen(command, env=server_env(data_dir, env), stdout=log, stderr=subprocess.STDOUT) as server,
    ):
        try:
            deadline = time.monotonic() + READY_WITHIN_S
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/readyz", timeout=2):
                        break
                except OSError:
                    output = log_path.read_text(errors="replace")
                    assert server.poll() is None, f"zoufang serve exited: {output}"
                    assert time.monotonic() < deadline, (
                        f"zoufang serve did not become ready within {READY_WITHIN_S} s: {output}"
                    )
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)
