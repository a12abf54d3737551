"""Reading ledger files: the encodings, layouts and oddities county offices produce."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from api.households import spreadsheet
from api.households.spreadsheet import NotASpreadsheet, SpreadsheetError, TooManyRows, read_table

HEADER = ["村代码", "户编号", "户主姓名", "村民小组", "住址", "联系电话", "标签"]
ROWS = [
    ["520199100201", "0002", "赵德福", "第一村民小组", "桃源村一组12号", "13812345678", "脱贫户、低保户"],
    ["520199100201", "0003", "钱淑芬", "第二村民小组", "桃源村二组3号", "", ""],
]
FIRST = {
    "village_code": "520199100201",
    "household_no": "0002",
    "head_name": "赵德福",
    "group_name": "第一村民小组",
    "address": "桃源村一组12号",
    "phone": "13812345678",
    "tags": "脱贫户、低保户",
}


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def xlsx(rows: list[list[Any]], *, sheets: int = 1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for n in range(1, sheets):
        workbook.create_sheet(f"Sheet{n + 1}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rewrite_member(data: bytes, name: str, change: Any) -> bytes:
    """The same zip with one member's bytes passed through ``change`` (added when missing)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == name else content)
        if name not in source.namelist():
            target.writestr(name, change(b""))
    return out.getvalue()


def test_utf8_csv() -> None:
    table = read_table(csv_text([HEADER, *ROWS]).encode())
    assert table.columns == ["village_code", "household_no", "head_name", "group_name", "address", "phone", "tags"]
    assert table.ignored_columns == []
    assert table.rows[0] == (2, FIRST)
    assert table.rows[1][1]["head_name"] == "钱淑芬"


def test_utf8_csv_with_bom() -> None:
    table = read_table(csv_text([HEADER, *ROWS]).encode("utf-8-sig"))
    assert "village_code" in table.columns
    assert table.rows[0] == (2, FIRST)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030_csv(encoding: str) -> None:
    table = read_table(csv_text([HEADER, *ROWS]).encode(encoding))
    assert table.rows[0] == (2, FIRST)
    assert table.rows[1][1]["address"] == "桃源村二组3号"


def test_gb18030_characters_outside_gbk() -> None:
    rows = [HEADER, ["520199100201", "0004", "王㛃", "", "", "", ""]]
    table = read_table(csv_text(rows).encode("gb18030"))
    assert table.rows[0][1]["head_name"] == "王㛃"


def test_utf16_tab_separated_text_from_excel() -> None:
    table = read_table(csv_text([HEADER, *ROWS], "\t").encode("utf-16"))
    assert table.rows[0] == (2, FIRST)


def test_tab_separated() -> None:
    table = read_table(csv_text([HEADER, *ROWS], "\t").encode())
    assert table.rows[0] == (2, FIRST)


def test_tab_separated_with_a_title_line() -> None:
    table = read_table(("青山县农户台账\r\n" + csv_text([HEADER, *ROWS], "\t")).encode())
    assert table.rows[0] == (3, FIRST)


def test_csv_with_a_title_line_above_the_header() -> None:
    data = ("青山县农户台账,,,,,,\r\n" + csv_text([HEADER, *ROWS])).encode("gbk")
    table = read_table(data)
    assert table.rows[0] == (3, FIRST)
    assert table.rows[1][0] == 4


def test_quoted_cells_with_commas_and_line_breaks() -> None:
    data = (
        csv_text([HEADER])
        + '520199100201,0002,赵德福,第一村民小组,"桃源村一组,12号",13812345678,"脱贫户,低保户"\r\n'
        + '520199100201,0003,钱淑芬,,"桃源村\n二组",,\r\n'
    ).encode()
    table = read_table(data)
    assert table.rows[0][1]["address"] == "桃源村一组,12号"
    assert table.rows[0][1]["tags"] == "脱贫户,低保户"
    assert table.rows[1] == (3, table.rows[1][1])
    assert table.rows[1][1]["address"] == "桃源村\n二组"


def test_cells_are_trimmed() -> None:
    data = "村代码, 户编号 ,户主姓名\r\n 520199100201 ,\t0002 ,　赵德福　\r\n".encode()
    table = read_table(data)
    assert table.rows == [(2, {"village_code": "520199100201", "household_no": "0002", "head_name": "赵德福"})]


def test_header_cells_wrapped_onto_two_lines() -> None:
    table = read_table(xlsx([["村代码", "户编号", "户主\n姓名", "联系\n电话"], ["520199100201", "0002", "赵德福", ""]]))
    assert table.columns == ["village_code", "household_no", "head_name", "phone"]
    assert table.ignored_columns == []


def test_xlsx() -> None:
    table = read_table(xlsx([HEADER, *ROWS]))
    assert table.columns == ["village_code", "household_no", "head_name", "group_name", "address", "phone", "tags"]
    assert table.rows[0] == (2, FIRST)
    assert table.rows[1] == (3, {**FIRST, **dict(zip(table.columns, ROWS[1], strict=True))})


def test_xlsx_numbers_come_back_as_the_digits_people_typed() -> None:
    table = read_table(xlsx([HEADER, [520199100201, 7.0, "赵德福", None, None, 13812345678.0, None]]))
    row = table.rows[0][1]
    assert row["village_code"] == "520199100201"
    assert row["household_no"] == "7"
    assert row["phone"] == "13812345678"
    assert row["group_name"] == ""


def test_xlsx_with_a_title_line() -> None:
    table = read_table(xlsx([["青山县农户台账"], HEADER, *ROWS]))
    assert table.rows[0] == (3, FIRST)


def test_xlsx_extra_columns_are_listed_as_ignored() -> None:
    header = ["序号", *HEADER, "身份证号"]
    rows = [[1, *ROWS[0], "520199196001011234"], [2, *ROWS[1], None]]
    table = read_table(xlsx([header, *rows]))
    assert table.ignored_columns == ["序号", "身份证号"]
    assert table.rows[0] == (2, FIRST)


def test_a_repeated_header_keeps_its_first_column() -> None:
    table = read_table(csv_text([[*HEADER, "联系电话"], [*ROWS[0], "13900000000"]]).encode())
    assert table.rows[0][1]["phone"] == "13812345678"
    assert table.ignored_columns == ["联系电话"]


def test_only_the_required_columns_are_enough() -> None:
    table = read_table(csv_text([["户主姓名", "户编号", "村代码"], ["赵德福", "0002", "520199100201"]]).encode())
    assert table.columns == ["head_name", "household_no", "village_code"]
    assert table.rows == [(2, {"head_name": "赵德福", "household_no": "0002", "village_code": "520199100201"})]


def test_short_rows_are_padded() -> None:
    table = read_table("村代码,户编号,户主姓名,联系电话\r\n520199100201,0002,赵德福\r\n".encode())
    assert table.rows[0][1]["phone"] == ""


def test_xlsx_with_a_wrong_dimension_record_is_read_whole() -> None:
    data = rewrite_member(
        xlsx([HEADER, *ROWS]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', xml),
    )
    table = read_table(data)
    assert len(table.columns) == len(HEADER)
    assert [number for number, _ in table.rows] == [2, 3]
    assert table.rows[0] == (2, FIRST)


def test_xlsx_ledger_on_a_later_sheet() -> None:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["请勿修改表头"])
    ledger = workbook.create_sheet("台账")
    for row in [HEADER, *ROWS]:
        ledger.append(row)
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(out.getvalue())
    assert table.rows[0] == (2, FIRST)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(csv_text([["村代码", "户编号", "村民小组"], ["520199100201", "0002", "一组"]]).encode(), id="csv"),
        pytest.param(xlsx([["村代码", "户编号", "村民小组"], ["520199100201", "0002", "一组"]]), id="xlsx"),
    ],
)
def test_missing_required_column_is_named(data: bytes) -> None:
    with pytest.raises(SpreadsheetError, match="户主姓名") as caught:
        read_table(data)
    assert not isinstance(caught.value, NotASpreadsheet)
    assert "村代码" not in str(caught.value).split("。")[0]


def test_several_missing_columns_are_all_named() -> None:
    with pytest.raises(SpreadsheetError, match="缺少必需的列：户编号、户主姓名"):
        read_table(csv_text([["村代码", "联系电话"], ["520199100201", "13812345678"]]).encode())


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(csv_text([["village", "number", "name"], ["520199100201", "2", "Zhao"]]).encode(), id="csv"),
        pytest.param(xlsx([["village", "number", "name"], ["520199100201", "2", "Zhao"]]), id="xlsx"),
    ],
)
def test_a_table_without_the_ledger_headers(data: bytes) -> None:
    with pytest.raises(SpreadsheetError, match="找不到表头") as caught:
        read_table(data)
    assert not isinstance(caught.value, NotASpreadsheet)


def test_header_is_looked_for_in_the_first_ten_rows_only() -> None:
    rows = [[f"说明第{n}行", ""] for n in range(10)]
    with pytest.raises(SpreadsheetError, match="找不到表头"):
        read_table(csv_text([*rows, HEADER, ROWS[0]]).encode())
    table = read_table(csv_text([*rows[:9], HEADER, ROWS[0]]).encode())
    assert table.rows == [(11, FIRST)]


@pytest.mark.parametrize(
    "data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"], ids=["empty", "blank", "bom", "bom-newline"]
)
def test_empty_file(data: bytes) -> None:
    with pytest.raises(SpreadsheetError, match="文件是空的") as caught:
        read_table(data)
    assert not isinstance(caught.value, NotASpreadsheet)


def test_header_without_rows_is_an_empty_table() -> None:
    table = read_table(csv_text([HEADER]).encode())
    assert table.rows == []
    assert len(table.columns) == len(HEADER)


def _zip_of(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PNG, id="png"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", id="jpeg"),
        pytest.param(bytes(range(256)) * 4, id="binary-with-nul"),
        pytest.param(b"\x81\xff\xfe\x80" * 50, id="binary-without-nul"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, id="old-xls"),
        pytest.param(_zip_of(**{"notes.txt": "村代码,户编号,户主姓名".encode()}), id="zip"),
        pytest.param(_zip_of(**{"word/document.xml": b"<w:document/>"}), id="docx-like"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 64, id="truncated-zip"),
        pytest.param(xlsx([HEADER, *ROWS])[:-200], id="truncated-xlsx"),
        pytest.param("这是第一书记的工作总结。\n今天走访了三户村民。\n".encode(), id="prose"),
        pytest.param("<html><body><table><tr><td>村代码</td></tr></table></body></html>".encode(), id="html"),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", id="pdf"),
    ],
)
def test_not_a_spreadsheet(data: bytes) -> None:
    with pytest.raises(NotASpreadsheet):
        read_table(data)


def test_old_xls_is_told_to_be_saved_as_xlsx() -> None:
    with pytest.raises(NotASpreadsheet, match="xlsx"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"])
def test_xlsx_with_a_damaged_part(member: str) -> None:
    data = rewrite_member(xlsx([HEADER, *ROWS]), member, lambda xml: xml[: len(xml) // 2])
    with pytest.raises(NotASpreadsheet):
        read_table(data)


def test_xlsx_with_damaged_styles_still_gives_its_values() -> None:
    """Fonts and borders do not change what a cell says."""
    data = rewrite_member(xlsx([HEADER, *ROWS]), "xl/styles.xml", lambda xml: xml[: len(xml) // 2])
    assert read_table(data).rows[0] == (2, FIRST)


SHEET_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="{ns}"><sheetData>{rows}</sheetData></worksheet>'
)
TRANSITIONAL = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _with_sheet(rows_xml: str, *, shared: str | None = None, ns: str = TRANSITIONAL) -> bytes:
    """An openpyxl workbook whose first sheet (and shared strings) are replaced by hand-written XML."""
    data = rewrite_member(
        xlsx([["x"]]), "xl/worksheets/sheet1.xml", lambda _: SHEET_XML.format(ns=ns, rows=rows_xml).encode()
    )
    if shared is not None:
        data = rewrite_member(data, "xl/sharedStrings.xml", lambda _: shared.encode())
    return data


def _inline_row(number: int, cells: list[str]) -> str:
    inner = "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in cells)
    return f'<row r="{number}">{inner}</row>'


def test_inline_and_rich_strings_numbers_and_cell_positions_are_read_as_excel_shows_them() -> None:
    header = _inline_row(1, HEADER)
    row = (
        '<row r="3">'
        '<c r="A3" t="inlineStr"><is><t>520199100201</t></is></c>'
        '<c r="B3"><v>2</v></c>'
        '<c r="C3" t="inlineStr"><is><r><t>赵</t></r><r><rPr><b/></rPr><t>德福</t></r></is></c>'
        '<c r="F3"><v>1.3812345678E10</v></c>'
        '<c r="G3" t="str"><f>"脱贫户"</f><v>脱贫户</v></c>'
        "</row>"
    )
    table = read_table(_with_sheet(header + row))
    assert table.rows == [
        (
            3,
            {
                "village_code": "520199100201",
                "household_no": "2",
                "head_name": "赵德福",
                "group_name": "",
                "address": "",
                "phone": "13812345678",
                "tags": "脱贫户",
            },
        )
    ]


def test_shared_strings_leave_out_the_pronunciation_guide() -> None:
    names = "".join(f"<si><t>{name}</t></si>" for name in HEADER)
    rich = "<si><r><t>钱</t></r><r><t>淑芬</t></r><rPh sb='0' eb='1'><t>qian</t></rPh></si>"
    shared = f"<sst xmlns='{TRANSITIONAL}'>{names}{rich}</sst>"
    header = '<row r="1">' + "".join(f'<c t="s"><v>{i}</v></c>' for i in range(len(HEADER))) + "</row>"
    row = '<row r="2"><c t="inlineStr"><is><t>520199100201</t></is></c><c><v>3</v></c><c t="s"><v>7</v></c></row>'
    table = read_table(_with_sheet(header + row, shared=shared))
    assert table.rows[0][1]["head_name"] == "钱淑芬"


def test_strict_ooxml_sheets_are_read_too() -> None:
    rows = _inline_row(1, HEADER) + _inline_row(2, ROWS[0])
    table = read_table(_with_sheet(rows, ns="http://purl.oclc.org/ooxml/spreadsheetml/main"))
    assert table.rows == [(2, FIRST)]


def test_rows_are_numbered_as_the_spreadsheet_shows_them() -> None:
    data = xlsx([["青山县农户台账"], [], HEADER, ROWS[0], [], [None, None], ROWS[1]])
    table = read_table(data)
    assert [number for number, _ in table.rows] == [4, 7]


def test_blank_csv_rows_are_skipped_but_counted() -> None:
    data = csv_text([HEADER, ROWS[0], [""] * 7, [], ["", " ", ""], ROWS[1]]).encode()
    table = read_table(data)
    assert [number for number, _ in table.rows] == [2, 6]


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 3)
    rows = [["520199100201", f"{n:04d}", "赵德福", "", "", "", ""] for n in range(4)]
    with pytest.raises(TooManyRows, match="3"):
        read_table(csv_text([HEADER, *rows]).encode())
    with pytest.raises(TooManyRows):
        read_table(xlsx([HEADER, *rows]))


def test_exactly_max_rows_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 3)
    rows = [["520199100201", f"{n:04d}", "赵德福", "", "", "", ""] for n in range(3)]
    table = read_table(csv_text([HEADER, *rows, [""] * 7]).encode())
    assert len(table.rows) == 3


def test_blank_rows_do_not_count_towards_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 2)
    data = csv_text([HEADER, ROWS[0], [""] * 7, [""] * 7, ROWS[1]]).encode()
    assert len(read_table(data).rows) == 2
