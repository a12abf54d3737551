"""``GET /audit/export``: every matching read as CSV or XLSX, with names, safe to open in Excel, admins only.

Also the names that ``GET /audit`` now carries beside the ids.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from api import spreadsheets
from api.audit import reading
from api.audit.models import AuditEntry
from api.auth.models import ApiToken, User
from tests.auth.test_api_tokens import create_token
from tests.factories import COUNTY, TOWN_A, VILLAGE_A1, County, make_county
from tests.problems import assert_problem

EXPORT_URL = "/api/v1/audit/export"
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 17:00 in the county
PHOTO = "0b7e5a52-5d3c-4d55-9a57-2f9f3b8f1c21"
# What a reader controls and a spreadsheet program would run: it must arrive as text.
HOSTILE_AGENT = '=HYPERLINK("http://evil.example","点击")'
HOSTILE_TOKEN_NAME = "@SUM(1)督查脚本"
LIST_FILTERS = {"village_code": VILLAGE_A1, "q": "王"}


@dataclass
class Log:
    """Four logged reads a day apart: town_a (赵红) twice, an inspector's list, and a token's photo."""

    county: County
    token_id: int

    def user_id(self, who: str) -> int:
        user_id = self.county.users[who].id
        assert user_id is not None
        return user_id


def _renamed(session: Session, user: User, name: str) -> User:
    user.display_name = name
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def log(session: Session) -> Log:
    county = make_county(session)
    town_a = _renamed(session, county.users["town_a"], "赵红")
    inspector = _renamed(session, county.users["inspector"], "-督查组长")
    token = ApiToken(
        name=HOSTILE_TOKEN_NAME, token_hash="0" * 64, scope_code=TOWN_A, created_by=county.users["county"].id
    )
    session.add(token)
    session.commit()
    assert token.id is not None
    reads: list[dict[str, Any]] = [
        {"user_id": town_a.id, "role": "town", "resource": "households", "record_id": "11"},
        {"user_id": inspector.id, "role": "inspector", "resource": "visits", "filters": LIST_FILTERS, "row_count": 3},
        {
            "token_id": token.id,
            "role": "api_token",
            "resource": "photos",
            "record_id": PHOTO,
            "user_agent": HOSTILE_AGENT,
        },
        {"user_id": town_a.id, "role": "town", "resource": "visits", "record_id": "13", "client_addr": "10.0.0.9"},
    ]
    for day, read in enumerate(reads):
        session.add(AuditEntry(at=DAY + timedelta(days=day), **{"row_count": 1, **read}))
        session.commit()
    return Log(county, token.id)


def export_log(client: TestClient, log: Log, **params: Any) -> httpx.Response:
    response = client.get(EXPORT_URL, params=params, headers=log.county.headers("admin"))
    assert response.status_code == 200, response.text
    return response


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # Excel reads Chinese from a CSV only with it
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_names_who_read_what_newest_first(client: TestClient, log: Log) -> None:
    response = export_log(client, log)

    assert "attachment; filename*=UTF-8''" in response.headers["content-disposition"]
    rows = csv_rows(response)
    assert [row["记录编号"] for row in rows] == ["13", PHOTO, "", "11"]
    newest, by_token, listed, oldest = rows
    assert (newest["读取时间"], newest["账号"], newest["姓名"], newest["API 令牌"]) == (
        "2026-11-05 17:00:00",
        "town_a",
        "赵红",
        "",
    )
    assert (newest["角色"], newest["读取内容"], newest["客户端地址"]) == ("乡镇督导", "走访记录", "10.0.0.9")
    assert (by_token["账号"], by_token["角色"], by_token["读取内容"]) == ("", "API 令牌", "照片")
    assert json.loads(listed["列表的筛选条件"]) == LIST_FILTERS
    assert listed["返回条数"] == "3"
    assert (oldest["读取时间"], oldest["读取内容"]) == ("2026-11-02 17:00:00", "农户")


def test_text_that_a_spreadsheet_would_run_stays_text_in_the_csv(client: TestClient, log: Log) -> None:
    rows = {row["记录编号"]: row for row in csv_rows(export_log(client, log))}

    assert rows[PHOTO]["API 令牌"] == "'" + HOSTILE_TOKEN_NAME
    assert rows[PHOTO]["浏览器或程序"] == "'" + HOSTILE_AGENT
    assert rows[""]["姓名"] == "'-督查组长"


def test_the_xlsx_holds_the_same_rows_as_text_and_times(client: TestClient, log: Log) -> None:
    response = export_log(client, log, format="xlsx")

    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content))["读取记录"]
    header, *rows = list(sheet.iter_rows())
    assert [cell.value for cell in header][:4] == ["读取时间", "账号", "姓名", "API 令牌"]
    assert sheet.freeze_panes == "A2"
    assert [row[0].value for row in rows] == [
        DAY.replace(tzinfo=None) + timedelta(days=d, hours=8) for d in (3, 2, 1, 0)
    ]
    agent = next(cell for row in rows for cell in row if cell.value == HOSTILE_AGENT)
    assert (agent.data_type, agent.quotePrefix) == ("s", True)
    token_name = rows[1][3]
    assert (token_name.value, token_name.data_type) == (HOSTILE_TOKEN_NAME, "s")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda log: {"user_id": log.user_id("town_a")}, ["13", "11"]),
        (lambda log: {"token_id": log.token_id}, [PHOTO]),
        (lambda log: {"resource": "visits"}, ["13", ""]),
        (lambda log: {"user_id": log.user_id("county")}, []),
        (lambda log: {"since": "2026-11-03T17:00:00+08:00", "until": DAY + timedelta(days=3)}, [PHOTO, ""]),
    ],
    ids=["person", "token", "kind", "nobody", "dates"],
)
def test_the_export_keeps_the_lists_filters(
    client: TestClient, log: Log, params: Callable[[Log], dict[str, Any]], expected: list[str]
) -> None:
    rows = csv_rows(export_log(client, log, **params(log)))

    assert [row["记录编号"] for row in rows] == expected


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_log_longer_than_a_chunk_is_exported_whole_and_in_order(
    client: TestClient, log: Log, monkeypatch: pytest.MonkeyPatch, format: str
) -> None:
    monkeypatch.setattr(reading, "CHUNK", 2)
    monkeypatch.setattr(spreadsheets, "SHEET_ROWS", 3)  # a sheet holds one chunk of two, not two

    response = export_log(client, log, format=format)

    if format == "csv":
        record_ids = [row["记录编号"] for row in csv_rows(response)]
    else:
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["读取记录", "读取记录（2）"]
        record_ids = [row[6] or "" for sheet in book for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert record_ids == ["13", PHOTO, "", "11"]


def test_the_list_names_who_read_too(client: TestClient, log: Log) -> None:
    response = client.get("/api/v1/audit", headers=log.county.headers("admin"))

    items = response.json()["items"]
    assert [(e["username"], e["user_display_name"], e["token_name"]) for e in items] == [
        ("town_a", "赵红", None),
        (None, None, HOSTILE_TOKEN_NAME),
        ("inspector", "-督查组长", None),
        ("town_a", "赵红", None),
    ]
    assert {"user_id", "token_id", "role", "resource", "record_id", "filters", "row_count"} <= items[0].keys()


@pytest.mark.parametrize("who", ["county", "town_a", "inspector"])
def test_only_admins_export_the_log(client: TestClient, log: Log, who: str) -> None:
    headers = log.county.headers(who)

    assert_problem(client.get(EXPORT_URL, headers=headers), 403)
    assert_problem(client.get(EXPORT_URL, params={"format": "pdf"}, headers=headers), 403)


def test_an_api_token_cannot_export_the_log_even_an_admins(client: TestClient, log: Log) -> None:
    created = create_token(client, log.county, "admin", COUNTY)
    assert created.status_code == 201, created.text

    assert_problem(client.get(EXPORT_URL, headers={"Authorization": f"Bearer {created.json()['token']}"}), 403)


def test_the_export_needs_a_login(client: TestClient, log: Log) -> None:
    assert_problem(client.get(EXPORT_URL), 401)


@pytest.mark.parametrize(("params", "field"), [({"format": "pdf"}, "format"), ({"since": "yesterday"}, "since")])
def test_a_bad_export_request_is_a_422_naming_the_field(
    client: TestClient, log: Log, params: dict[str, str], field: str
) -> None:
    body = assert_problem(client.get(EXPORT_URL, params=params, headers=log.county.headers("admin")), 422)

    assert [error["loc"] for error in body["errors"]] == [["query", field]]
