"""``zoufang serve`` with every thread under cProfile, switched on and dumped by signals.

Run: ``python -m bench.profiled_serve FILE serve --port PORT ...`` (what ``bench/http_cost.py
--profile`` starts), then ``kill -USR1`` to start counting and ``kill -USR2`` to write FILE.

``python -m cProfile -m api.cli serve`` would not do: cProfile sees only the thread that
enabled it, which here is the event loop's, while the routes run in worker threads. So every
thread gets its own profiler as it starts (``threading.setprofile``), and the stats of all of
them are merged when written. Each profiler counts its thread's CPU time
(``time.thread_time``), not wall time, so threads waiting for work or for a lock add nothing
and the figures divide into CPU milliseconds per request. Counting starts at SIGUSR1 (the
profilers collected so far are cleared), so start-up, imports and warm-up requests are left
out; SIGUSR2 writes the merged stats to FILE (written whole, then renamed into place).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from api.cli import main

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _profile_this_thread(_frame: FrameType, _event: str, _arg: Any) -> None:
    """Called on a new thread's first event; replaces itself with a profiler for that thread."""
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _profiles.append(profile)
    profile.enable()


def _start(_signum: int, _frame: FrameType | None) -> None:
    with _lock:
        for profile in _profiles:
            profile.clear()  # the threads' profilers keep running, from zero
    _profile_this_thread(sys._getframe(), "call", None)  # signal handlers run in the main thread


class _Snapshot:
    """A profile's stats as ``pstats.Stats`` takes them, without its call to ``create_stats``."""

    def __init__(self, stats: dict[Any, Any]) -> None:
        self.stats = stats

    def create_stats(self) -> None:
        pass


def _write(out: Path) -> None:
    sys.setprofile(None)  # this (main) thread's profiler stops here: the merging is not counted
    merged: pstats.Stats | None = None
    with _lock:
        profiles = list(_profiles)
    for profile in profiles:
        # Not create_stats() (nor pstats.Stats(profile), which calls it): it disables the
        # profiler, which closes the calls still open in its thread (a thread waiting for work)
        # with this thread's clock, charging them another thread's CPU time.
        profile.snapshot_stats()
        if not profile.stats:
            continue
        stats = pstats.Stats(_Snapshot(profile.stats))  # type: ignore[arg-type]  # a Profile by duck typing
        merged = stats if merged is None else merged.add(stats)
    if merged is not None:
        partial = out.with_suffix(".partial")
        merged.dump_stats(partial)
        os.replace(partial, out)


def run(out: Path, argv: list[str]) -> int:
    threading.setprofile(_profile_this_thread)
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, lambda _signum, _frame: _write(out))
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2:]))
