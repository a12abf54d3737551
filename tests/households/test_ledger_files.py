"""The ledger's files: the template (``GET /imports/households/template``) and the rows an import
refused (``POST /imports/households/rejected``), each imported again as a county office would."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlmodel import Session

from api.households import schemas
from tests.factories import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, bearer, make_county, make_user
from tests.households.test_import_api import (
    HEADER,
    XLSX_TYPE,
    assert_problem,
    csv_bytes,
    households,
    upload,
)

TEMPLATE_URL = "/api/v1/imports/households/template"
REJECTED_URL = "/api/v1/imports/households/rejected"


def sheet_rows(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def xlsx_upload(client: TestClient, headers: dict[str, str], data: bytes) -> dict[str, Any]:
    response = upload(client, headers, data, filename="农户台账出错的行.xlsx", content_type=XLSX_TYPE)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def rejected_file(client: TestClient, headers: dict[str, str], rejected: list[dict[str, Any]]) -> Response:
    # As JSON escapes, which can carry half a character (httpx's own encoding cannot).
    body = json.dumps({"rows": rejected})
    return client.post(REJECTED_URL, headers={**headers, "Content-Type": "application/json"}, content=body)


def edited(data: bytes, fixes: dict[tuple[int, int], str]) -> bytes:
    """The workbook with some cells retyped, as someone fixing it in Excel would, and saved again."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    for (row, column), value in fixes.items():
        sheet.cell(row=row, column=column).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("format", ["xlsx", "csv"])
def test_the_template_has_the_headers_and_one_example_that_imports(
    client: TestClient, session: Session, format: str
) -> None:
    county = make_county(session)
    response = client.get(TEMPLATE_URL, params={"format": format}, headers=county.headers("county"))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f"attachment; filename*=UTF-8''{quote(f'农户台账模板.{format}')}"
    if format == "xlsx":
        assert response.headers["content-type"] == XLSX_TYPE
        header, example = sheet_rows(response.content)
    else:
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.content.startswith("\ufeff".encode())
        header, example = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert header == HEADER
    assert example[0] == VILLAGE_A1  # the first village the requester may import into
    assert all(isinstance(value, str) for value in example)

    result = upload(client, county.headers("county"), response.content, filename=f"模板.{format}").json()
    assert result == {"created": 1, "updated": 0, "unchanged": 0, "rejected": [], "ignored_columns": []}
    assert "示例" in households(session)[(VILLAGE_A1, example[1])].head_name


def test_the_template_is_an_xlsx_by_default_in_the_requesters_own_villages(
    client: TestClient, session: Session
) -> None:
    county = make_county(session)
    response = client.get(TEMPLATE_URL, headers=county.headers("town_b"))
    assert response.headers["content-type"] == XLSX_TYPE
    assert sheet_rows(response.content)[1][0] == VILLAGE_B1


def test_without_a_village_the_template_says_what_goes_there(client: TestClient, session: Session) -> None:
    admin = make_user(session, "admin", "admin", None)
    [_, example] = sheet_rows(client.get(TEMPLATE_URL, headers=bearer(admin)).content)
    assert "区划代码" in example[0]


def test_rejected_rows_carry_the_cells_of_the_columns_the_file_has(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [
        ["村代码", "户编号", "户主姓名", "联系电话", "身份证号"],
        [VILLAGE_A1, "0101", "欧阳秀兰", "1381234", "520199196001011234"],
        [VILLAGE_A1, "0102", "", "13812345678", ""],
        [VILLAGE_A1, "0103", "赵德福", "", ""],
    ]
    result = upload(client, county.headers("county"), csv_bytes(rows)).json()
    assert result["created"] == 1
    assert result["rejected"] == [
        {
            "row": 2,
            "reason": "联系电话“1381234”格式不正确",
            "values": {"村代码": VILLAGE_A1, "户编号": "0101", "户主姓名": "欧阳秀兰", "联系电话": "1381234"},
        },
        {
            "row": 3,
            "reason": "户主姓名为空",
            "values": {"村代码": VILLAGE_A1, "户编号": "0102", "户主姓名": "", "联系电话": "13812345678"},
        },
    ]


def test_the_rejected_rows_file_imports_again_once_fixed(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [
        [*HEADER, "序号"],
        [VILLAGE_A1, "0101", "欧阳秀兰", "第一村民小组", "桃源村上寨12号", "138-1234-567", "脱贫户", "1"],
        [VILLAGE_A1, "0102", "赵德福", "", "", "", "", "2"],
        [VILLAGE_A2, "0201", "钱淑芬", "", "白岩村5号", "", "低保户、" + "标" * 21, "3"],
    ]
    first = upload(client, county.headers("town_a"), csv_bytes(rows)).json()
    assert first["created"] == 1
    assert [r["row"] for r in first["rejected"]] == [2, 4]

    response = rejected_file(client, county.headers("town_a"), first["rejected"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_TYPE
    assert response.headers["content-disposition"] == f"attachment; filename*=UTF-8''{quote('农户台账出错的行.xlsx')}"
    header, bad_phone, bad_tags = sheet_rows(response.content)
    assert header == [*HEADER, "错误原因"]
    assert bad_phone == [*rows[1][:7], "原表第 2 行：联系电话“138-1234-567”格式不正确"]
    assert [value or "" for value in bad_tags[:7]] == rows[3][:7]  # an empty cell reads as None
    assert bad_tags[7].startswith("原表第 4 行：标签")

    unchanged = xlsx_upload(client, county.headers("town_a"), response.content)
    assert unchanged["created"] == 0
    assert [r["values"] for r in unchanged["rejected"]] == [r["values"] for r in first["rejected"]]
    assert unchanged["ignored_columns"] == []  # 错误原因 is the file's own column, not the ledger's

    fixed = edited(response.content, {(2, 6): "138-1234-5678", (3, 7): "低保户"})
    again = xlsx_upload(client, county.headers("town_a"), fixed)
    assert again == {"created": 2, "updated": 0, "unchanged": 0, "rejected": [], "ignored_columns": []}
    stored = households(session)
    assert stored[(VILLAGE_A1, "0101")].phone == "13812345678"
    assert stored[(VILLAGE_A2, "0201")].tags == ["低保户"]


def test_a_column_the_ledger_lacked_is_not_added_and_not_cleared(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [
        ["村代码", "户编号", "户主姓名", "标签"],
        [VILLAGE_A1, "0001", "王建国", "、".join(["标签"] * 3 + ["长" * 21])],
    ]
    first = upload(client, county.headers("county"), csv_bytes(rows)).json()
    data = rejected_file(client, county.headers("county"), first["rejected"]).content
    assert sheet_rows(data)[0] == ["村代码", "户编号", "户主姓名", "标签", "错误原因"]

    again = xlsx_upload(client, county.headers("county"), edited(data, {(2, 4): "脱贫户、监测户"}))
    assert (again["updated"], again["rejected"]) == (1, [])
    household = households(session)[(VILLAGE_A1, "0001")]
    assert household.tags == ["脱贫户", "监测户"]
    assert household.phone == "13712345678"  # no 联系电话 column came back to clear it


def test_formula_looking_values_stay_text(client: TestClient, session: Session) -> None:
    county = make_county(session)
    formulas = {
        "户主姓名": '=HYPERLINK("http://example.com","点击")',
        "村民小组": "+1+2",
        "住址": "@SUM(A1:A9)",
        "联系电话": "-1381234",
    }
    rejected = [
        {"row": 2, "reason": "联系电话格式不正确", "values": {"村代码": VILLAGE_A1, "户编号": "0101", **formulas}}
    ]
    response = rejected_file(client, county.headers("county"), rejected)
    assert response.status_code == 200, response.text

    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert not any(b"<f>" in archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = {str(c.value): c for c in sheet[2]}
    for value in formulas.values():
        assert cells[value].data_type == "s"

    again = xlsx_upload(client, county.headers("county"), response.content)
    assert [r["values"] for r in again["rejected"]] == [rejected[0]["values"]]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        pytest.param({"身份证号": "520199196001011234"}, "values", "不是台账的列：身份证号", id="not-a-ledger-column"),
        pytest.param({"住址": "一组\x0c3号"}, "住址", "控制字符", id="control-character"),
        pytest.param({"户主姓名": "刘\ud800"}, "户主姓名", "残缺", id="half-a-character"),
        pytest.param({"住址": "住" * 502}, "住址", "", id="too-long"),
    ],
)
def test_rejected_rows_are_checked(
    client: TestClient, session: Session, values: dict[str, str], field: str, words: str
) -> None:
    county = make_county(session)
    response = rejected_file(client, county.headers("county"), [{"row": 2, "reason": "示例", "values": values}])
    [error] = assert_problem(response, 422)["errors"]
    assert error["loc"][:4] == ["body", "rows", 0, "values"]
    assert error["loc"][-1] == field
    assert words in error["msg"]


def test_too_many_rejected_rows_are_refused_with_a_reason(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemas, "MAX_REJECTED_ROWS", 2)
    county = make_county(session)
    rows = [{"row": n, "reason": "户主姓名为空", "values": {"户编号": str(n)}} for n in range(2, 5)]
    body = assert_problem(rejected_file(client, county.headers("county"), rows), 422)
    assert "最多下载 2 行" in body["errors"][0]["msg"]
    assert rejected_file(client, county.headers("county"), rows[:2]).status_code == 200
    assert_problem(rejected_file(client, county.headers("county"), []), 422)


@pytest.mark.parametrize("who", ["secretary_a1", "inspector"])
def test_only_supervisors_get_the_ledger_files(client: TestClient, session: Session, who: str) -> None:
    county = make_county(session)
    assert_problem(client.get(TEMPLATE_URL, headers=county.headers(who)), 403)
    rows = [{"row": 2, "reason": "户主姓名为空", "values": {"户主姓名": ""}}]
    assert_problem(rejected_file(client, county.headers(who), rows), 403)
    assert_problem(client.get(TEMPLATE_URL), 401)
