"""Every answered read of households, visits and photos leaves one audit row; refused reads none."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.audit.models import AuditEntry
from tests.auth.test_api_tokens import create_token
from tests.factories import TOWN_A, VILLAGE_A1, County, jpeg, make_county, upload_photo
from tests.visits.test_visits import NOW, post, visit

USER_AGENT = "inspection-script/1.0"
SINCE = (NOW - timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Read:
    """One read of personal data, and what its audit row must say it read."""

    resource: str
    path: str
    params: dict[str, Any]
    record_id: str | None = None
    filters: dict[str, Any] | None = None
    row_count: int = 1


@dataclass
class Field:
    """A county with a home visit in village A1 that carries a photo."""

    county: County
    household_id: int
    visit_id: str
    photo_id: str

    def reads(self) -> dict[str, Read]:
        households, visits = "/api/v1/households", "/api/v1/visits"
        named = {"village_code": VILLAGE_A1, "q": "王"}
        return {
            "household list": Read("households", households, named, filters=named),
            "one household": Read("households", f"{households}/{self.household_id}", {}, str(self.household_id)),
            "visit list": Read("visits", visits, {"since": SINCE}, filters={"since": SINCE}),
            "one visit": Read("visits", f"{visits}/{self.visit_id}", {}, self.visit_id),
            "photo": Read("photos", f"/api/v1/photos/{self.photo_id}", {}, self.photo_id),
            "thumbnail": Read("photos", f"/api/v1/photos/{self.photo_id}/thumb", {}, self.photo_id),
        }


READS = ["household list", "one household", "visit list", "one visit", "photo", "thumbnail"]


@pytest.fixture
def field(client: TestClient, session: Session) -> Field:
    county = make_county(session)
    household_id = county.households[VILLAGE_A1].id
    assert household_id is not None
    photo_id = upload_photo(client, county.headers("secretary_a1"), jpeg())
    body = visit(county, photo_ids=[photo_id])
    assert post(client, county, body).status_code == 201
    return Field(county, household_id, body["id"], photo_id)


def entries(session: Session) -> list[AuditEntry]:
    """The audit rows, oldest first, read afresh."""
    session.expire_all()
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


@pytest.mark.parametrize("name", READS)
def test_a_users_read_is_logged_with_who_what_when_and_where(
    client: TestClient, session: Session, field: Field, name: str
) -> None:
    read = field.reads()[name]
    town_a = field.county.users["town_a"]
    headers = {**field.county.headers("town_a"), "User-Agent": USER_AGENT}
    before = datetime.now(UTC)
    response = client.get(read.path, params=read.params, headers=headers)
    assert response.status_code == 200, response.text
    [entry] = entries(session)
    assert before <= entry.at <= datetime.now(UTC)
    assert (entry.user_id, entry.token_id, entry.role) == (town_a.id, None, "town")
    assert (entry.resource, entry.record_id, entry.filters, entry.row_count) == (
        read.resource,
        read.record_id,
        read.filters,
        read.row_count,
    )
    assert (entry.client_addr, entry.user_agent) == ("testclient", USER_AGENT)


@pytest.mark.parametrize("name", READS)
def test_an_api_tokens_read_is_logged_under_the_token(
    client: TestClient, session: Session, field: Field, name: str
) -> None:
    read = field.reads()[name]
    created = create_token(client, field.county, "county", TOWN_A).json()
    headers = {"Authorization": f"Bearer {created['token']}", "User-Agent": USER_AGENT}
    assert client.get(read.path, params=read.params, headers=headers).status_code == 200
    [entry] = entries(session)
    assert (entry.user_id, entry.token_id, entry.role) == (None, created["id"], "api_token")
    assert (entry.resource, entry.record_id, entry.filters) == (read.resource, read.record_id, read.filters)


def test_a_list_is_one_row_with_the_number_of_records_it_returned(
    client: TestClient, session: Session, field: Field
) -> None:
    listed = client.get("/api/v1/households", headers=field.county.headers("county")).json()["items"]
    assert len(listed) == 3
    [entry] = entries(session)
    assert (entry.record_id, entry.filters, entry.row_count) == (None, {}, 3)


@pytest.mark.parametrize(
    ("who", "name", "status"),
    [
        ("town_b", "household list", 404),  # village A1 is outside town B
        ("town_b", "one household", 404),
        ("town_b", "one visit", 404),
        ("town_b", "photo", 404),
        ("town_b", "thumbnail", 404),
        (None, "visit list", 401),
    ],
)
def test_a_refused_read_writes_nothing(
    client: TestClient, session: Session, field: Field, who: str | None, name: str, status: int
) -> None:
    read = field.reads()[name]
    headers = field.county.headers(who) if who else {}
    assert client.get(read.path, params=read.params, headers=headers).status_code == status
    assert entries(session) == []


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/households/999999", {}, 404),
        ("/api/v1/visits/00000000-0000-4000-8000-000000000000", {}, 404),
        ("/api/v1/photos/00000000-0000-4000-8000-000000000000", {}, 404),
        ("/api/v1/visits", {"since": "yesterday"}, 422),
    ],
)
def test_a_read_of_nothing_writes_nothing(
    client: TestClient, session: Session, field: Field, path: str, params: dict[str, str], status: int
) -> None:
    assert client.get(path, params=params, headers=field.county.headers("admin")).status_code == status
    assert entries(session) == []


def test_reads_among_concurrent_writes_are_all_answered_and_logged(
    client: TestClient, session: Session, field: Field
) -> None:
    # On SQLite a transaction that reads and then writes fails at once when another writer got in
    # between; the audit row must queue for the lock instead.
    barrier = threading.Barrier(16)
    statuses: list[tuple[str, int]] = []

    def read() -> None:
        barrier.wait()
        statuses.append(("read", client.get("/api/v1/households", headers=field.county.headers("town_a")).status_code))

    def write(n: int) -> None:
        body = {"village_code": VILLAGE_A1, "household_no": f"{n + 100:04d}", "head_name": f"户主{n}"}
        barrier.wait()
        statuses.append(
            ("write", client.post("/api/v1/households", json=body, headers=field.county.headers("county")).status_code)
        )

    threads = [threading.Thread(target=read) for _ in range(8)]
    threads += [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [("read", 200)] * 8 + [("write", 201)] * 8
    assert len(entries(session)) == 8
