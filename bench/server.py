"""A real ``zoufang serve`` process that a run can start, kill with SIGKILL and start again.

The environment is the caller's minus every ``ZOUFANG_*`` variable, plus what the run sets,
so a developer's own settings never leak in. Output goes to a log file (a pipe nobody reads
would fill up and block the server); ``log_text`` reads it back.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

READY_WITHIN_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``python -m api.cli serve --port PORT [ARGS]`` with ``env``; several lives, one log.

    ``launcher`` replaces ``-m api.cli`` (bench/http_cost.py starts it under a profiler);
    ``code`` is a checkout whose ``api`` package is run instead of this one (``-m`` imports from
    the working folder first), to measure an earlier revision side by side.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        env: Mapping[str, str],
        port: int | None = None,
        args: Sequence[str] = (),
        launcher: Sequence[str] = ("-m", "api.cli"),
        code: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "serve.log"
        inherited = {name: value for name, value in os.environ.items() if not name.startswith("ZOUFANG_")}
        self.env = {**inherited, "ZOUFANG_DATA_DIR": str(data_dir), **env}
        self.args = list(args)
        self.launcher = list(launcher)
        self.code = code
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until ``/readyz`` answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, *self.launcher, "serve", "--port", str(self.port), *self.args]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.code)
        deadline = time.monotonic() + READY_WITHIN_S
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=2):
                    return
            except OSError:
                if self._process.poll() is not None:
                    raise RuntimeError(f"zoufang serve exited:\n{self.log_text()[-4000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"zoufang serve not ready in {READY_WITHIN_S} s:\n{self.log_text()[-4000:]}"
                    ) from None
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing; what a power cut or the OOM killer does."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
