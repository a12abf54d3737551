"""Real ``zoufang`` processes for the tests that need one: the command line and a served port.

The environment is the test run's minus every ``ZOUFANG_*`` variable, plus the data folder and
whatever a test adds, so a developer's own settings (a PostgreSQL URL, S3 photo storage) never
leak into a test server; the time rules and the photo sweep, which would work behind a test's
back, are off unless a test asks for them. The server itself is ``bench.server.ServerProcess``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.server import ServerProcess

QUIET = {"ZOUFANG_FLAG_RULES_INTERVAL_S": "0", "ZOUFANG_PHOTO_SWEEP_INTERVAL_S": "0"}


def server_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a ``zoufang`` command over ``data_dir`` (SQLite and photos in it)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ZOUFANG_")}
    return {**env, "ZOUFANG_DATA_DIR": str(data_dir), **QUIET, **(extra or {})}


def _cli(data_dir: Path, args: Sequence[str], env: Mapping[str, str] | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=server_env(data_dir, env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_cli(data_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``python -m api.cli ARGS`` over ``data_dir``; return its output, failing on an error."""
    result = _cli(data_dir, args, env)
    assert result.returncode == 0, f"zoufang {args[0]} failed: {result.stdout}{result.stderr}"
    return result.stdout


def run_cli_refused(data_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``python -m api.cli ARGS`` expecting its refusal (exit status 2); return what it said."""
    result = _cli(data_dir, args, env)
    assert result.returncode == 2, f"zoufang {args[0]} did not refuse: {result.stdout}{result.stderr}"
    return result.stderr


@contextmanager
def running_server(data_dir: Path, *, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """``zoufang serve`` on a free port over ``data_dir``, ready to answer; yields its base URL.

    The server's output is in ``data_dir / "serve.log"``, and is shown when it fails to start.
    """
    server = ServerProcess(data_dir=data_dir, env={**QUIET, **(env or {})})
    server.start()
    try:
        yield server.base
    finally:
        server.stop()
