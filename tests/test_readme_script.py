"""The README's example script for inspection teams runs as written against a real server."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

from api.ops.pwa import PACKAGED_PWA_DIR
from tests.e2e.field import start_field_server

README = Path(__file__).resolve().parents[1] / "README.md"
MARK = "<!-- inspection-script:"


def readme_script() -> str:
    """The Python block right after the marker comment in the README."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index(MARK) :]
    match = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert match, "the README's inspection script block is missing"
    return match.group(1)


def test_the_readme_script_saves_a_month_of_visits_page_by_page(tmp_path: Path) -> None:
    # The script as written, for a month the field secretary was posted in (they were posted
    # 60 days ago), whatever today is.
    local = timezone(timedelta(hours=8))
    end = datetime.combine(datetime.now(local).date() - timedelta(days=5), time(), tzinfo=local)
    start = end - timedelta(days=30)
    script, replaced = re.subn(
        r'SINCE, UNTIL = ".+?", ".+?"', f'SINCE, UNTIL = "{start.isoformat()}", "{end.isoformat()}"', readme_script()
    )
    assert replaced == 1
    with start_field_server(tmp_path, pwa_dir=PACKAGED_PWA_DIR) as server:
        # Visits before, inside and after the month; more than one page of 500 inside it.
        inside = [start + timedelta(minutes=43 * n) for n in range(620)]
        outside = [start - timedelta(hours=1), end, end + timedelta(days=2)]
        for first in range(0, len(inside) + len(outside), 400):
            batch = (inside + outside)[first : first + 400]
            visits = [
                {
                    "id": str(uuid.uuid4()),
                    "kind": "log",
                    "village_code": server.village_code,
                    "started_at": at.astimezone(UTC).isoformat(),
                    "notes": "入户了解情况，记下诉求",
                }
                for at in batch
            ]
            server.api("POST", "/sync", {"visits": visits}, as_user="sec")
        token = server.api("POST", "/api-tokens", {"name": "督查组脚本", "scope_code": server.county_code})["token"]
        env = {**os.environ, "ZOUFANG_URL": server.base_url, "ZOUFANG_TOKEN": token}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr
    with (tmp_path / "visits.csv").open(encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.DictReader(saved))
    expected = inside
    assert done.stdout.strip() == f"saved {len(expected)} visits to visits.csv"
    assert len(rows) == len(expected) > 500
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(start <= datetime.fromisoformat(r["started_at"]) < end for r in rows)
    assert rows[0]["notes"] == "入户了解情况，记下诉求"
