"""Importing a household ledger (导入农户台账) through ``POST /api/v1/imports/households``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from api.households import spreadsheet
from api.households.models import Household
from tests.factories import TOWN_A, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, County, make_county
from tests.problems import assert_problem as shared_assert_problem

URL = "/api/v1/imports/households"
HEADER = ["村代码", "户编号", "户主姓名", "村民小组", "住址", "联系电话", "标签"]
LEDGER = [
    [VILLAGE_A1, "0101", "欧阳秀兰", "第一村民小组", "桃源村上寨12号", "13812345678", "脱贫户、留守老人"],
    [VILLAGE_A1, "0102", "赵德福", "第二村民小组", "桃源村下寨3号", "", "低保户"],
    [VILLAGE_A2, "0201", "钱淑芬", "", "白岩村5号", "0851-86123456", ""],
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "".join(",".join(row) + "\r\n" for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes,
    *,
    filename: str = "台账.csv",
    content_type: str = "text/csv",
    field: str = "file",
) -> Response:
    return client.post(URL, headers=headers, files={field: (filename, data, content_type)})


def households(session: Session) -> dict[tuple[str, str | None], Household]:
    session.expire_all()
    return {(h.village_code, h.household_no): h for h in session.exec(select(Household))}


def household_count(session: Session) -> int:
    return session.exec(select(func.count(col(Household.id)))).one()


PROBLEM_TYPES = {
    401: "/problems/not-authenticated",
    403: "/problems/forbidden",
    413: "/problems/payload-too-large",
    415: "/problems/unsupported-file",
    422: "/problems/validation",
}


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    body = shared_assert_problem(response, status)
    assert body["type"] == PROBLEM_TYPES[status]
    return body


def test_a_good_csv_creates_households(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = upload(client, county.headers("county"), csv_bytes([HEADER, *LEDGER]))
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0, "rejected": [], "ignored_columns": []}

    stored = households(session)
    assert len(stored) == 3 + 3
    first = stored[(VILLAGE_A1, "0101")]
    assert first.head_name == "欧阳秀兰"
    assert first.group_name == "第一村民小组"
    assert first.address == "桃源村上寨12号"
    assert first.phone == "13812345678"
    assert first.tags == ["脱贫户", "留守老人"]
    assert first.visit_count == 0
    assert first.last_visit_at is None
    assert stored[(VILLAGE_A1, "0102")].phone is None
    assert stored[(VILLAGE_A2, "0201")].phone == "085186123456"
    assert stored[(VILLAGE_A2, "0201")].group_name is None

    listed = client.get("/api/v1/households", params={"village_code": VILLAGE_A1}, headers=county.headers("admin"))
    assert listed.status_code == 200
    by_no = {item["household_no"]: item for item in listed.json()["items"]}
    assert set(by_no) == {"0001", "0101", "0102"}
    assert by_no["0101"]["head_name"] == "欧阳秀兰"
    assert by_no["0101"]["phone"] == "13812345678"
    assert by_no["0101"]["tags"] == ["脱贫户", "留守老人"]
    assert by_no["0101"]["visit_count"] == 0
    assert by_no["0101"]["last_visit_at"] is None


def test_imported_phones_are_masked_for_supervisors(client: TestClient, session: Session) -> None:
    county = make_county(session)
    upload(client, county.headers("county"), csv_bytes([HEADER, *LEDGER]))
    listed = client.get("/api/v1/households", params={"q": "欧阳秀兰"}, headers=county.headers("town_a")).json()
    assert [item["phone"] for item in listed["items"]] == ["138****5678"]


def test_the_response_has_exactly_the_result_fields(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = upload(client, county.headers("admin"), csv_bytes([HEADER, LEDGER[0]])).json()
    assert set(body) == {"created", "updated", "unchanged", "rejected", "ignored_columns"}
    assert isinstance(body["rejected"], list)
    assert isinstance(body["ignored_columns"], list)


def test_importing_the_same_file_twice_creates_nothing_new(client: TestClient, session: Session) -> None:
    county = make_county(session)
    data = csv_bytes([HEADER, *LEDGER])
    first = upload(client, county.headers("county"), data).json()
    assert first["created"] == 3
    before = {key: (h.id, h.updated_at) for key, h in households(session).items()}

    second = upload(client, county.headers("county"), data)
    assert second.status_code == 200
    assert second.json() == {"created": 0, "updated": 0, "unchanged": 3, "rejected": [], "ignored_columns": []}
    assert {key: (h.id, h.updated_at) for key, h in households(session).items()} == before


def test_a_changed_phone_updates_the_existing_household(client: TestClient, session: Session) -> None:
    county = make_county(session)
    existing_id = county.households[VILLAGE_A1].id
    touched_at = county.households[VILLAGE_A1].updated_at
    untouched_at = county.households[VILLAGE_A2].updated_at
    rows = [
        HEADER,
        [VILLAGE_A1, "0001", "王建国", "", "", "13700001111", "脱贫户"],
        [VILLAGE_A2, "0001", "李秀英", "", "", "", ""],
    ]
    response = upload(client, county.headers("town_a"), csv_bytes(rows))
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 1, "rejected": [], "ignored_columns": []}

    stored = households(session)
    assert len(stored) == 3
    changed = stored[(VILLAGE_A1, "0001")]
    assert changed.id == existing_id
    assert changed.phone == "13700001111"
    assert changed.updated_at > touched_at
    assert stored[(VILLAGE_A2, "0001")].updated_at == untouched_at


def test_a_column_the_file_does_not_have_is_left_alone(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [["村代码", "户编号", "户主姓名", "村民小组"], [VILLAGE_A1, "0001", "王建国", "第一村民小组"]]
    response = upload(client, county.headers("county"), csv_bytes(rows))
    assert response.json()["updated"] == 1
    household = households(session)[(VILLAGE_A1, "0001")]
    assert household.group_name == "第一村民小组"
    assert household.phone == "13712345678"
    assert household.tags == ["脱贫户"]


def test_bad_rows_are_rejected_with_reasons_and_good_rows_kept(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [
        HEADER,
        [VILLAGE_A1, "0101", "欧阳秀兰", "", "", "13812345678", ""],  # 2
        [VILLAGE_A1, "0102", "", "", "", "", ""],  # 3
        ["520199100299", "0103", "孙大勇", "", "", "", ""],  # 4
        [VILLAGE_B1, "0104", "周小梅", "", "", "", ""],  # 5
        [VILLAGE_A1, "0105", "吴国强", "", "", "1381234", ""],  # 6
        [VILLAGE_A2, "0201", "郑海燕", "", "", "", ""],  # 7
        [VILLAGE_A1, "0101", "冯春生", "", "", "", ""],  # 8
        ["", "0106", "陈立新", "", "", "", ""],  # 9
        [VILLAGE_A1, "", "褚丽", "", "", "", ""],  # 10
        [TOWN_A, "0107", "卫东", "", "", "", ""],  # 11
        ["52019910020X", "0108", "蒋平", "", "", "", ""],  # 12
    ]
    response = upload(client, county.headers("town_a"), csv_bytes(rows))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 2
    assert body["updated"] == 0
    reasons = {item["row"]: item["reason"] for item in body["rejected"]}
    assert [item["row"] for item in body["rejected"]] == [3, 4, 5, 6, 8, 9, 10, 11, 12]
    assert "户主姓名" in reasons[3]
    assert "520199100299" in reasons[4]
    assert "不存在" in reasons[4]
    assert VILLAGE_B1 in reasons[5]
    assert "管辖范围" in reasons[5]
    assert "联系电话" in reasons[6]
    assert "1381234" in reasons[6]
    assert "0101" in reasons[8]
    assert "第 2 行" in reasons[8]
    assert "村代码" in reasons[9]
    assert "户编号" in reasons[10]
    assert "村级" in reasons[11]
    assert "区划代码" in reasons[12]

    stored = households(session)
    assert stored[(VILLAGE_A1, "0101")].head_name == "欧阳秀兰"
    assert stored[(VILLAGE_A2, "0201")].head_name == "郑海燕"
    assert len(stored) == 3 + 2
    assert {h.head_name for h in stored.values()}.isdisjoint({"孙大勇", "周小梅", "吴国强", "冯春生", "陈立新", "卫东"})


def test_a_code_outside_the_scope_is_refused_whether_or_not_it_exists(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [HEADER, [VILLAGE_B1, "0101", "周小梅", "", "", "", ""], ["520199101299", "0102", "孙大勇", "", "", "", ""]]
    body = upload(client, county.headers("town_a"), csv_bytes(rows)).json()
    assert body["created"] == 0
    assert [item["reason"] for item in body["rejected"]] == [
        f"村代码 {VILLAGE_B1} 不在您的管辖范围内",
        "村代码 520199101299 不在您的管辖范围内",
    ]


def test_every_row_rejected_is_still_a_success(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [HEADER, [VILLAGE_B1, "0101", "周小梅", "", "", "", ""]]
    response = upload(client, county.headers("town_a"), csv_bytes(rows))
    assert response.status_code == 200
    assert response.json()["created"] == 0
    assert len(response.json()["rejected"]) == 1
    assert household_count(session) == 3


def test_overlong_fields_and_tags_are_rejected(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [
        HEADER,
        [VILLAGE_A1, "0101", "欧" * 51, "", "", "", ""],
        [VILLAGE_A1, "0102", "赵德福", "", "住" * 201, "", ""],
        [VILLAGE_A1, "0103", "钱淑芬", "", "", "", "标" * 21],
        [VILLAGE_A1, "0104", "孙大勇", "", "", "", "、".join(f"标签{n}" for n in range(21))],
        [VILLAGE_A1, "0105", "李四", "", "", "", "、".join(f"标签{n}" for n in range(20))],
    ]
    body = upload(client, county.headers("county"), csv_bytes(rows)).json()
    reasons = {item["row"]: item["reason"] for item in body["rejected"]}
    assert set(reasons) == {2, 3, 4, 5}
    assert "户主姓名" in reasons[2]
    assert "住址" in reasons[3]
    assert "标签" in reasons[4]
    assert "标签" in reasons[5]
    assert body["created"] == 1
    assert len(households(session)[(VILLAGE_A1, "0105")].tags) == 20


def test_tags_are_split_on_chinese_and_latin_separators(client: TestClient, session: Session) -> None:
    county = make_county(session)
    data = (
        "村代码,户编号,户主姓名,标签\r\n"
        f'{VILLAGE_A1},0101,欧阳秀兰,"脱贫户、低保户,留守老人，五保户；残疾人;老党员"\r\n'
        f'{VILLAGE_A1},0102,赵德福," 脱贫户 、、 脱贫户 ,"\r\n'
        f"{VILLAGE_A1},0103,钱淑芬,\r\n"
    ).encode()
    response = upload(client, county.headers("county"), data)
    assert response.json()["created"] == 3
    stored = households(session)
    assert stored[(VILLAGE_A1, "0101")].tags == ["脱贫户", "低保户", "留守老人", "五保户", "残疾人", "老党员"]
    assert stored[(VILLAGE_A1, "0102")].tags == ["脱贫户"]
    assert stored[(VILLAGE_A1, "0103")].tags == []
    listed = client.get("/api/v1/households", params={"q": "欧阳"}, headers=county.headers("county")).json()
    assert listed["items"][0]["tags"] == ["脱贫户", "低保户", "留守老人", "五保户", "残疾人", "老党员"]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_utf8_bom_files_import_the_same_households(client: TestClient, session: Session, encoding: str) -> None:
    county = make_county(session)
    rows = [HEADER, *LEDGER]
    gbk = upload(client, county.headers("county"), csv_bytes(rows, encoding))
    assert gbk.json()["created"] == 3
    stored = households(session)
    assert [stored[(row[0], row[1])].head_name for row in LEDGER] == ["欧阳秀兰", "赵德福", "钱淑芬"]
    assert stored[(VILLAGE_A1, "0101")].address == "桃源村上寨12号"
    assert stored[(VILLAGE_A1, "0101")].tags == ["脱贫户", "留守老人"]

    bom = upload(client, county.headers("county"), csv_bytes(rows, "utf-8-sig"))
    assert bom.json() == {"created": 0, "updated": 0, "unchanged": 3, "rejected": [], "ignored_columns": []}


def test_a_ledger_with_a_title_line_and_excel_numbers(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows: list[list[Any]] = [
        ["青山县石门镇农户台账（2026年）"],
        HEADER,
        [int(VILLAGE_A1), 101.0, "欧阳秀兰", None, None, 13812345678.0, None],
    ]
    response = upload(client, county.headers("county"), xlsx_bytes(rows), filename="台账.xlsx", content_type=XLSX_TYPE)
    assert response.json()["created"] == 1
    household = households(session)[(VILLAGE_A1, "101")]
    assert household.phone == "13812345678"


def test_xlsx_with_extra_columns_is_imported(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows: list[list[Any]] = [
        ["序号", *HEADER, "身份证号"],
        [1, *LEDGER[0], "520199196001011234"],
        [2, *LEDGER[1], "520199197002022345"],
    ]
    response = upload(client, county.headers("county"), xlsx_bytes(rows), filename="台账.xlsx", content_type=XLSX_TYPE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 2
    assert body["ignored_columns"] == ["序号", "身份证号"]
    assert households(session)[(VILLAGE_A1, "0101")].head_name == "欧阳秀兰"


def test_xlsx_missing_required_columns_is_refused_whole(client: TestClient, session: Session) -> None:
    county = make_county(session)
    rows = [["村代码", "户编号", "村民小组"], [VILLAGE_A1, "0101", "第一村民小组"]]
    response = upload(client, county.headers("county"), xlsx_bytes(rows), filename="台账.xlsx", content_type=XLSX_TYPE)
    body = assert_problem(response, 422)
    assert "户主姓名" in body["detail"]
    assert household_count(session) == 3


def test_an_empty_file_is_a_problem(client: TestClient, session: Session) -> None:
    county = make_county(session)
    body = assert_problem(upload(client, county.headers("county"), b""), 422)
    assert "空" in body["detail"]


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00",
            "照片.png",
            "image/png",
            id="png",
        ),
        pytest.param("工作总结\n今天走访了三户村民。\n".encode(), "总结.txt", "text/plain", id="text"),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "台账.xls", "application/vnd.ms-excel", id="xls"
        ),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_415(
    client: TestClient, session: Session, data: bytes, filename: str, content_type: str
) -> None:
    county = make_county(session)
    response = upload(client, county.headers("county"), data, filename=filename, content_type=content_type)
    assert_problem(response, 415)
    assert household_count(session) == 3


def test_a_50_mb_upload_is_refused_before_it_is_read(client: TestClient, session: Session) -> None:
    county = make_county(session)
    data = csv_bytes([HEADER, *LEDGER]) + b"#" * (50 * 1024 * 1024)
    response = upload(client, county.headers("county"), data)
    body = assert_problem(response, 413)
    assert "MB" in body["detail"]
    assert household_count(session) == 3


def _chunked_multipart(boundary: str, head: bytes, megabytes: int) -> Iterator[bytes]:
    yield (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="ledger.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    yield head
    for _ in range(megabytes):
        yield b"#" * (1024 * 1024)
    yield f"\r\n--{boundary}--\r\n".encode()


def test_a_small_upload_without_content_length_is_accepted(client: TestClient, session: Session) -> None:
    county = make_county(session)
    boundary = "zoufang-test-boundary"
    response = client.post(
        URL,
        content=_chunked_multipart(boundary, csv_bytes([HEADER, *LEDGER]), 0),
        headers={**county.headers("county"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3


def test_an_oversized_upload_without_content_length_is_413(client: TestClient, session: Session) -> None:
    county = make_county(session)
    boundary = "zoufang-test-boundary"
    response = client.post(
        URL,
        content=_chunked_multipart(boundary, csv_bytes([HEADER, *LEDGER]), 25),
        headers={**county.headers("county"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert household_count(session) == 3
    assert_problem(response, 413)


def test_too_many_rows_is_413(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 2)
    county = make_county(session)
    response = upload(client, county.headers("county"), csv_bytes([HEADER, *LEDGER]))
    assert_problem(response, 413)
    assert household_count(session) == 3


def test_the_wrong_form_field_is_a_validation_problem(client: TestClient, session: Session) -> None:
    county = make_county(session)
    response = upload(client, county.headers("county"), csv_bytes([HEADER, *LEDGER]), field="upload")
    body = assert_problem(response, 422)
    assert any(item["loc"][-1] == "file" for item in body["errors"])
    assert household_count(session) == 3


@pytest.mark.parametrize("who", ["secretary_a1", "inspector"])
def test_secretaries_and_inspectors_may_not_import(client: TestClient, session: Session, who: str) -> None:
    county = make_county(session)
    response = upload(client, county.headers(who), csv_bytes([HEADER, LEDGER[0]]))
    assert_problem(response, 403)
    assert household_count(session) == 3


def test_importing_needs_a_login(client: TestClient, session: Session) -> None:
    make_county(session)
    response = upload(client, {}, csv_bytes([HEADER, LEDGER[0]]))
    assert_problem(response, 401)
    assert household_count(session) == 3


@pytest.mark.parametrize("who", ["admin", "county", "town_a"])
def test_supervisors_may_import(client: TestClient, session: Session, who: str) -> None:
    county: County = make_county(session)
    response = upload(client, county.headers(who), csv_bytes([HEADER, LEDGER[0]]))
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
