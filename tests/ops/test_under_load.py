"""Many phones at once, on a real server: waiting or a deliberate 503, never a 5xx, never lost.

These run ``bench/`` at a size CI can afford: the burst of uploads that used to stall the
server (every thread waiting for a connection that a request waiting for a thread held), and
a field day of 30 phones over a link that drops answers and cuts uploads, the server killed
once, with every record, photo, counter and rollup checked afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.burst import run_burst
from bench.field_day import Plan, describe, run
from bench.phones import phone_photo
from tests.conftest import _postgres_server_url
from tests.loops import in_a_thread

DATABASES = ["sqlite", "postgresql"]


def _server_for(database: str) -> str | None:
    if database == "sqlite":
        return None
    url = _postgres_server_url()
    if not url:
        pytest.skip("set ZOUFANG_TEST_POSTGRES_URL to run the PostgreSQL load tests")
    return url


@pytest.mark.parametrize("database", DATABASES)
def test_eighty_phones_uploading_at_once_are_all_answered_without_a_server_error(database: str) -> None:
    postgres = _server_for(database)
    photos = [phone_photo(seed) for seed in range(8)]

    burst = in_a_thread(lambda: run_burst(database, "photos", 80, postgres, photos))

    answered = {status: n for status, n in burst.counts.items() if status[0].isdigit()}
    assert sum(answered.values()) == 80, burst.counts
    assert set(answered) <= {"201", "503"}, burst.counts
    assert burst.counts["201"] >= 1


@pytest.mark.parametrize("database", DATABASES)
def test_a_field_day_of_30_phones_over_a_bad_link_with_a_kill_loses_and_doubles_nothing(
    database: str, tmp_path: Path
) -> None:
    plan = Plan(database, phones=30, photos=2, visits=12, checkins=2, kills=1, postgres=_server_for(database))

    report = in_a_thread(lambda: run(plan, tmp_path))

    assert report.ok, describe(report)
    assert report.link["answer dropped"] + report.link["upload cut"] > 0, "the link should have done some damage"


def test_two_instances_on_one_database_and_one_s3_bucket_lose_and_double_nothing(tmp_path: Path, bucket: str) -> None:
    """A deployment's shape: two instances behind a balancer, PostgreSQL for data, S3 for photos.

    Both start at once on an empty database; phones' requests go to either, in turn (a photo
    uploaded through one, its visit synced through the other); one is killed mid-run and comes
    back. Every record and photo arrives once, and both instances answer the same.
    """
    plan = Plan(
        "postgresql",
        phones=12,
        photos=2,
        visits=8,
        checkins=2,
        kills=1,
        instances=2,
        media_url=f"s3://{bucket}/photos/county",
        postgres=_server_for("postgresql"),
    )

    report = in_a_thread(lambda: run(plan, tmp_path))

    assert report.ok, describe(report)
