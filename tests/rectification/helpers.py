"""Building a ledger through the API, as the county office and the phone do."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import County

API = "/api/v1"


def add_problem(client: TestClient, county: County, village: str, *, who: str = "town_a", **extra: Any) -> Any:
    body = {
        "category": "weak_economy",
        "description": "村集体经济收入不足 5 万元",
        "found_by": "县委组织部排查",
        "found_on": "2026-03-10",
        **extra,
    }
    response = client.post(f"{API}/villages/{village}/rectification/problems", json=body, headers=county.headers(who))
    assert response.status_code == 201, response.text
    return response.json()


def add_measure(
    client: TestClient, county: County, problem_id: int, *, deadline: dt.date, who: str = "town_a"
) -> dict[str, Any]:
    body = {
        "text": "发展食用菌种植",
        "target": "年底集体收入超过 10 万元",
        "deadline": deadline.isoformat(),
        "responsible": "first_secretary",
    }
    response = client.post(
        f"{API}/rectification/problems/{problem_id}/measures", json=body, headers=county.headers(who)
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def progress(
    measure_id: int, *, done: bool = False, text: str = "已联系农技站，建好两个大棚", **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "measure_id": measure_id,
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "text": text,
        "done": done,
        **extra,
    }


def ledger(client: TestClient, county: County, village: str, who: str = "town_a") -> dict[str, Any]:
    response = client.get(f"{API}/villages/{village}/rectification", headers=county.headers(who))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
