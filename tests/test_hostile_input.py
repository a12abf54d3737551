"""What a careless keyboard, a hostile script or a doctored spreadsheet sends, and what it gets.

Half characters (lone UTF-16 surrogates) and control characters in every kind of text field,
formulas in names that end up in the county's spreadsheets, someone else's photo id, a forged
token naming an impossible user, and an XLSX whose one cell inflates to 320 MB. Each is
refused with a clear 4xx, alone, leaving nothing half-written; what was stored before the
rules existed still exports.
"""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, func, select

from api.auth.models import User
from api.bulletins.quarters import Quarter
from api.households.models import Household
from api.households.spreadsheet import read_table
from api.regions.models import Region
from api.visits.models import Visit
from tests.factories import SIGNING_KEY, VILLAGE_A1, jpeg, make_county
from tests.problems import assert_problem
from tests.visits.test_visits import visit

HALVES = ["\ud800", "\udfff", "表情\ud83d"]  # a high half, a low half, an emoji cut in two
LINE_BREAKERS = ["a\u000cb", "a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\u2028b", "a\nb", "a\rb", "a\tb"]
TEXT_BREAKERS = ["a\u000cb", "a\x00b", "a\x1bb", "a\x7fb", "a\x85b"]
FORMULAS = ['=HYPERLINK("http://x.invalid","点击")', "+1+1", "-2+3", "@SUM(A1:A2)"]
NOW = datetime.now(UTC).replace(microsecond=0)


def send(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    """JSON as a phone's JSON library writes it: a lone surrogate escaped as ``\\ud800``."""
    content = json.dumps(body, ensure_ascii=True)
    return client.request(method, path, content=content, headers={**headers, "Content-Type": "application/json"})


def loc_of(body: dict[str, Any]) -> list[list[Any]]:
    return [error["loc"] for error in body["errors"]]


# --- 6. half a character ---------------------------------------------------------------------------


@pytest.mark.parametrize("half", HALVES)
def test_a_sync_with_half_a_character_refuses_that_record_alone(client: TestClient, session: Session, half: str):
    county = make_county(session)
    bad = visit(county, notes=f"群众反映{half}")
    bad_request = visit(county, requests=[{"id": str(uuid.uuid4()), "category": "道路", "text": f"修路{half}"}])
    good = visit(county, notes="正常的走访", started_at=(NOW - timedelta(hours=1)).isoformat())
    body = {"visits": [bad, good, bad_request], "checkins": []}

    response = send(client, "POST", "/api/v1/sync", body, county.headers("secretary_a1"))

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created", "rejected"]
    assert results[0]["id"] == bad["id"]
    assert "notes" in results[0]["detail"]
    assert "残缺" in results[0]["detail"]
    assert "requests.0.text" in results[2]["detail"]
    assert session.exec(select(func.count()).select_from(Visit)).one() == 1
    again = send(client, "POST", "/api/v1/sync", body, county.headers("secretary_a1"))
    assert [r["status"] for r in again.json()["results"]] == ["rejected", "unchanged", "rejected"]


def test_a_sync_record_whose_id_or_field_names_are_half_characters_is_refused_and_echoed_safely(
    client: TestClient, session: Session
):
    county = make_county(session)
    odd_id = visit(county, id="\ud800abc")
    odd_key = {**visit(county), "\udc00": 1}

    response = send(client, "POST", "/api/v1/sync", {"visits": [odd_id, odd_key]}, county.headers("secretary_a1"))

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[0]["id"] == "?abc"
    assert results[1]["id"] == odd_key["id"]


@pytest.mark.parametrize("half", HALVES)
def test_one_visit_with_half_a_character_is_a_422_naming_the_field(client: TestClient, session: Session, half: str):
    county = make_county(session)

    response = send(client, "POST", "/api/v1/visits", visit(county, notes=half), county.headers("secretary_a1"))

    body = assert_problem(response, 422)
    assert loc_of(body) == [["body", "notes"]]
    assert session.exec(select(func.count()).select_from(Visit)).one() == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", f"/api/v1/regions/{VILLAGE_A1}", {"plan": "一村一策\ud800"}, "plan"),
        ("PATCH", f"/api/v1/regions/{VILLAGE_A1}", {"name": "桃源\ud800村"}, "name"),
        ("PATCH", f"/api/v1/regions/{VILLAGE_A1}", {"weak_lax_reasons": ["班子\udc00"]}, "weak_lax_reasons"),
        (
            "POST",
            "/api/v1/users",
            {
                "username": "newsec",
                "display_name": "新书记",
                "phone": "138\ud800",
                "role": "secretary",
                "scope_code": VILLAGE_A1,
                "password": "long-enough-1",
            },
            "phone",
        ),
        (
            "POST",
            "/api/v1/users",
            {
                "username": "newsec",
                "display_name": "新书记",
                "role": "secretary",
                "scope_code": VILLAGE_A1,
                "password": "long-enough-\ud800",
            },
            "password",
        ),
        ("POST", "/api/v1/households", {"village_code": VILLAGE_A1, "head_name": "刘\ud800"}, "head_name"),
        ("POST", "/api/v1/households", {"village_code": VILLAGE_A1, "head_name": "刘", "phone": "\ud800"}, "phone"),
        ("POST", "/api/v1/households", {"village_code": VILLAGE_A1, "head_name": "刘", "tags": ["低保\ud800"]}, "tags"),
        ("POST", "/api/v1/flags", {"village_code": VILLAGE_A1, "detail": "电话回访\ud800"}, "detail"),
        ("POST", "/api/v1/api-tokens", {"name": "脚本\ud800", "scope_code": VILLAGE_A1}, "name"),
    ],
    ids=[
        "plan",
        "region-name",
        "reason",
        "user-phone",
        "password",
        "head-name",
        "household-phone",
        "tag",
        "flag",
        "token",
    ],
)
def test_half_a_character_in_any_text_field_is_a_422(
    client: TestClient, session: Session, method: str, path: str, body: dict[str, Any], field: str
):
    county = make_county(session)

    response = send(client, method, path, body, county.headers("county"))

    problem = assert_problem(response, 422)
    assert any(field in loc for loc in loc_of(problem)), problem


@pytest.mark.parametrize(
    "form", [b"username=county%ED%A0%80&password=xxxxxxxxxx", b"username=county&password=correct%ED%A0%80horse"]
)
def test_half_a_character_in_a_login_is_a_wrong_login(client: TestClient, session: Session, form: bytes):
    """A form can only carry half a character as bytes that are not UTF-8 (CESU-8's ED A0 80)."""
    make_county(session)

    response = client.post(
        "/api/v1/auth/token", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert_problem(response, 401)


# --- 7. control characters -------------------------------------------------------------------------


@pytest.mark.parametrize("name", LINE_BREAKERS)
def test_a_name_with_a_control_character_or_line_break_is_refused(client: TestClient, session: Session, name: str):
    county = make_county(session)

    response = send(client, "PATCH", f"/api/v1/regions/{VILLAGE_A1}", {"name": name}, county.headers("county"))

    assert loc_of(assert_problem(response, 422)) == [["body", "name"]]
    assert session.get(Region, VILLAGE_A1).name == "桃源村"  # type: ignore[union-attr]


@pytest.mark.parametrize("notes", TEXT_BREAKERS)
def test_notes_refuse_control_characters(client: TestClient, session: Session, notes: str):
    county = make_county(session)

    response = send(client, "POST", "/api/v1/visits", visit(county, notes=notes), county.headers("secretary_a1"))

    assert loc_of(assert_problem(response, 422)) == [["body", "notes"]]


def test_notes_and_plans_keep_their_line_breaks_and_tabs(client: TestClient, session: Session):
    county = make_county(session)
    notes = "第一段\n第二段\r\n\t缩进"

    sent = send(client, "POST", "/api/v1/visits", visit(county, notes=notes), county.headers("secretary_a1"))
    plan = send(client, "PATCH", f"/api/v1/regions/{VILLAGE_A1}", {"plan": notes}, county.headers("county"))

    assert sent.status_code == 201, sent.text
    assert sent.json()["notes"] == notes
    assert plan.status_code == 200, plan.text
    assert plan.json()["plan"] == notes


def test_a_ledger_row_with_a_control_character_is_rejected_with_its_reason(client: TestClient, session: Session):
    county = make_county(session)
    ledger = f"村代码,户编号,户主姓名,住址\r\n{VILLAGE_A1},0101,赵大,一组\x0c3号\r\n{VILLAGE_A1},0102,钱二,一组4号\r\n"

    response = client.post(
        "/api/v1/imports/households",
        files={"file": ("台账.csv", ledger.encode("utf-8"), "text/csv")},
        headers=county.headers("county"),
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] == 1
    # Its cells come back too, to be downloaded and fixed: the character a spreadsheet cannot hold marked.
    [rejected] = result["rejected"]
    assert (rejected["row"], rejected["reason"]) == (2, "住址不能包含换行符或控制字符")
    assert rejected["values"] == {"村代码": VILLAGE_A1, "户编号": "0101", "户主姓名": "赵大", "住址": "一组\ufffd3号"}


def _stored_before_the_rules(session: Session, text: str) -> None:
    """Names written before single lines refused control characters (straight into the tables)."""
    session.execute(update(Region).where(Region.code == VILLAGE_A1).values(name=text))
    session.execute(update(User).where(User.username == "secretary_a1").values(display_name=text))
    session.commit()


def _workbook_texts(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"], "a formula cell in the export"
    return [cell.value for cell in cells if isinstance(cell.value, str)]


def _exports(client: TestClient, headers: dict[str, str]) -> dict[str, bytes]:
    quarter = Quarter.of(datetime.now(UTC).date())
    answers = {
        "overview.xlsx": client.get("/api/v1/dashboard/villages?format=xlsx", headers=headers),
        "overview.csv": client.get("/api/v1/dashboard/villages?format=csv", headers=headers),
        "bulletin.xlsx": client.get(f"/api/v1/bulletins/{quarter}?format=xlsx", headers=headers),
        "bulletin.csv": client.get(f"/api/v1/bulletins/{quarter}?format=csv", headers=headers),
        "bulletin.html": client.get(f"/api/v1/bulletins/{quarter}?format=html", headers=headers),
    }
    for name, response in answers.items():
        assert response.status_code == 200, f"{name}: {response.text[:300]}"
    return {name: response.content for name, response in answers.items()}


@pytest.mark.parametrize("text", ["桃源\x0c村", "桃源\x00村", "桃源\x1b村", "桃源\x08村"])
def test_every_export_survives_control_characters_already_stored(client: TestClient, session: Session, text: str):
    county = make_county(session)
    if "\x00" in text and session.get_bind().dialect.name == "postgresql":
        text = text.replace("\x00", "\x01")  # PostgreSQL never could store NUL
    _stored_before_the_rules(session, text)

    files = _exports(client, county.headers("county"))

    shown = text.replace(text[2], "\ufffd")
    for name in ("overview.xlsx", "bulletin.xlsx"):
        assert shown in _workbook_texts(files[name]), name


# --- 8. formulas in the county's spreadsheets ---------------------------------------------------------


def _csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_a_name_is_text_in_every_export(client: TestClient, session: Session, formula: str):
    county = make_county(session)
    headers = county.headers("county")
    # 桃源村 has a first secretary, so the bulletin ranks it (it leaves unposted villages out)
    assert send(client, "PATCH", f"/api/v1/regions/{VILLAGE_A1}", {"name": formula}, headers).status_code == 200
    flag = {"village_code": VILLAGE_A1, "detail": formula}
    assert send(client, "POST", "/api/v1/flags", flag, headers).status_code == 201

    files = _exports(client, headers)

    for name in ("overview.xlsx", "bulletin.xlsx"):
        assert formula in _workbook_texts(files[name]), name  # the very text, as a text cell
    for name in ("overview.csv", "bulletin.csv"):
        cells = _csv_cells(files[name])
        assert "'" + formula in cells, name
        assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))], name
    assert formula.replace('"', "&quot;") in files["bulletin.html"].decode()


@pytest.mark.parametrize("start", ["\t", "\r"])
def test_cells_starting_with_a_tab_or_return_are_neutralised_too(client: TestClient, session: Session, start: str):
    county = make_county(session)
    _stored_before_the_rules(session, f"{start}=1+1")

    files = _exports(client, county.headers("county"))

    assert f"'{start}=1+1" in _csv_cells(files["overview.csv"])
    # XML reads a carriage return back as a line feed; what matters is a text cell, not a formula.
    assert {f"{start}=1+1", "\n=1+1"} & set(_workbook_texts(files["overview.xlsx"]))


def test_negative_numbers_stay_numbers(client: TestClient, session: Session):
    county = make_county(session)
    files = _exports(client, county.headers("county"))
    book = load_workbook(io.BytesIO(files["bulletin.xlsx"]))
    numbers = [c.value for s in book.worksheets for r in s.iter_rows() for c in r if isinstance(c.value, int | float)]
    assert numbers, "the bulletin has figures, written as numbers"


# --- 10. someone else's photo id -------------------------------------------------------------------------


def test_someone_elses_photo_id_is_a_conflict_that_reveals_nothing(client: TestClient, session: Session):
    county = make_county(session)
    photo = jpeg(seed=7, taken_at="2026:03:01 09:30:00")
    photo_id = str(uuid.uuid4())
    mine = client.post(
        "/api/v1/photos",
        files={"file": ("a.jpg", photo, "image/jpeg")},
        data={"id": photo_id},
        headers=county.headers("secretary_a1"),
    )
    assert mine.status_code == 201, mine.text

    for other_bytes in (photo, jpeg(seed=8)):
        theirs = client.post(
            "/api/v1/photos",
            files={"file": ("a.jpg", other_bytes, "image/jpeg")},
            data={"id": photo_id},
            headers=county.headers("secretary_b1"),
        )
        body = assert_problem(theirs, 409)
        assert set(body) <= {"type", "title", "status", "detail", "errors"}
        leaked = json.dumps(body, ensure_ascii=False)
        assert mine.json()["sha256"] not in leaked
        assert "2026" not in leaked  # the photo's EXIF time


# --- 11. a signed token naming an impossible user ---------------------------------------------------------


@pytest.mark.parametrize("sub", [str(10**30), str(2**31), str(2**63), "-1", "0", "1e3", "", "１"])
def test_a_signed_token_for_an_impossible_user_is_a_401(client: TestClient, session: Session, sub: str):
    make_county(session)
    now = datetime.now(UTC)
    token = jwt.encode({"sub": sub, "iat": now, "exp": now + timedelta(hours=1), "typ": "access"}, SIGNING_KEY)

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert_problem(response, 401)


# --- 12. an XLSX whose one cell inflates to 320 MB -----------------------------------------------------------


def _bomb(*, cell_chars: int, inline: bool) -> bytes:
    """A valid XLSX of about 330 KB whose address cell holds ``cell_chars`` characters."""
    out = io.BytesIO()
    header = ["村代码", "户编号", "户主姓名", "住址"]

    def text_cell(text: str) -> str:
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>',
        )
        if not inline:
            with archive.open("xl/sharedStrings.xml", "w") as shared:
                shared.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
                for _ in range(cell_chars // (1 << 20)):
                    shared.write(b"a" * (1 << 20))
                shared.write(b"</t></si></sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            sheet.write(f'<row r="1">{"".join(text_cell(h) for h in header)}</row>'.encode())
            row = f'<row r="2">{text_cell(VILLAGE_A1)}{text_cell("0001")}{text_cell("赵大")}'
            sheet.write(row.encode())
            if inline:
                sheet.write(b'<c t="inlineStr"><is><t>')
                for _ in range(cell_chars // (1 << 20)):
                    sheet.write(b"a" * (1 << 20))
                sheet.write(b"</t></is></c>")
            else:
                sheet.write(b'<c t="s"><v>0</v></c>')
            sheet.write(f'</row><row r="3">{text_cell(VILLAGE_A1)}{text_cell("0002")}{text_cell("钱二")}'.encode())
            sheet.write(b"</row></sheetData></worksheet>")
    return out.getvalue()


@pytest.mark.parametrize("inline", [False, True], ids=["shared-string", "inline-string"])
def test_a_320_mb_cell_is_read_in_bounded_memory_and_refused_with_its_row(inline: bool):
    data = _bomb(cell_chars=320 << 20, inline=inline)
    assert len(data) < 1 << 20

    tracemalloc.start()
    try:
        table = read_table(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 20 << 20, f"peak {peak / 2**20:.0f} MB"
    address = table.rows[0][1]["address"]
    assert len(address) == 501
    assert [number for number, _ in table.rows] == [2, 3]


def test_the_import_of_a_bombed_ledger_keeps_the_good_rows(client: TestClient, session: Session):
    county = make_county(session)
    data = _bomb(cell_chars=64 << 20, inline=False)

    response = client.post(
        "/api/v1/imports/households",
        files={"file": ("台账.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
        headers=county.headers("county"),
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] == 1
    [rejected] = result["rejected"]
    assert (rejected["row"], rejected["reason"]) == (2, "住址太长（最多 200 个字）")
    assert len(rejected["values"]["住址"]) == 501  # the cell as far as it was read, not 64 MB of it
    assert session.exec(select(Household).where(Household.household_no == "0002")).one().head_name == "钱二"


def test_an_xlsx_with_a_document_type_declaration_is_refused():
    billion_laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    data = io.BytesIO(_bomb(cell_chars=0, inline=True))
    out = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = billion_laughs.encode() if info.filename.endswith("sheet1.xml") else source.read(info)
            target.writestr(info.filename, content)

    from api.households.spreadsheet import NotASpreadsheet

    with pytest.raises(NotASpreadsheet, match="文档类型声明"):
        read_table(out.getvalue())
