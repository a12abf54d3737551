"""A county office staffer imports a village's ledger in the browser: two rows are refused with
their reasons, downloaded as an Excel file, fixed there and uploaded again."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.field import FieldServer
from tests.e2e.phone_app import PhoneApp

HEADER = ["村代码", "户编号", "户主姓名", "村民小组", "住址", "联系电话", "标签"]
GOOD = [("0101", "蒙正兴", "四组"), ("0102", "韦兰英", "四组"), ("0103", "潘德华", "五组"), ("0104", "石秀珍", "五组")]


def _ledger(folder: Path, village: str) -> Path:
    """A ledger with four good rows, a phone number one digit short, and a household without its head."""
    rows = [HEADER]
    rows += [[village, no, name, group, f"{group}{no[-1]}号", "", "脱贫户"] for no, name, group in GOOD]
    rows.append([village, "0105", "杨光明", "五组", "五组5号", "1398510123", "低保户"])
    rows.append([village, "0106", "", "五组", "五组6号", "", ""])
    path = folder / "高坡村台账.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def _upload(page: Page, path: Path) -> None:
    page.get_by_label("台账文件（Excel .xlsx 或 CSV）").set_input_files(path)
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_role("heading", name=f"导入结果：{path.name}")).to_be_visible()


def _whole_screen(page: Page, width: int, take: Callable[[], object]) -> None:
    """Take a picture of the screen ``width`` pixels wide and as tall as the page, so that the
    header and the menu stay where they are on a screen (a full-page picture scrolls them along)."""
    page.set_viewport_size({"width": width, "height": 768})
    page.set_viewport_size({"width": width, "height": page.evaluate("document.documentElement.scrollHeight")})
    take()
    page.set_viewport_size({"width": 1366, "height": 768})


def _save_for_docs(png: bytes, folder: Path) -> None:
    """The screen as the README shows it, in 64 colours (small enough to keep in the repository),
    beside the other screenshots: docs/screenshot-admin-ledger.png is copied from it by hand."""
    Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64).save(folder / "docs-admin-ledger.png", optimize=True)


def _count(page: Page, label: str):  # type: ignore[no-untyped-def]
    return page.locator(".ledger-counts > div", has=page.locator("dt", has_text=label)).locator("dd")


def test_a_ledger_with_two_bad_rows_is_fixed_in_excel_and_uploaded_again(
    desk: BrowserContext,
    field_server: FieldServer,
    screenshot: Callable[..., Path],
    assert_accessible: Callable[[Page], None],
    tmp_path: Path,
) -> None:
    office = PhoneApp(desk.new_page(), field_server.base_url)
    page = office.page
    office.open()
    page.get_by_label("账号").fill(field_server.supervisor.username)
    page.get_by_label("密码").fill(field_server.supervisor.password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(office.heading).to_have_text("总览")
    office.tab("管理")
    page.get_by_role("link", name="农户台账").click()
    expect(office.heading).to_have_text("农户台账")

    # The template: the headers and one example row in the staffer's own village.
    with page.expect_download() as download:
        page.get_by_role("button", name="下载模板").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    assert template.name == "农户台账模板.xlsx"
    sheet = load_workbook(template).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["A2"].value == field_server.village_code

    # A file that is no ledger is refused whole, in the server's words.
    notes = tmp_path / "走访总结.txt"
    notes.write_text("今天走访了三户村民。\n", encoding="utf-8")
    page.get_by_label("台账文件（Excel .xlsx 或 CSV）").set_input_files(notes)
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_role("alert")).to_contain_text("这不是台账表格")

    _upload(page, _ledger(tmp_path, field_server.village_code))
    expect(page.get_by_role("alert")).to_be_hidden()
    expect(_count(page, "新增")).to_have_text("4 户")
    expect(_count(page, "出错")).to_have_text("2 行")
    refused = page.get_by_role("table", name="没有导入的行").locator("tbody tr")
    expect(refused).to_have_count(2)
    expect(refused.nth(0)).to_contain_text("联系电话“1398510123”格式不正确")
    expect(refused.nth(0)).to_contain_text("杨光明")
    expect(refused.nth(1)).to_contain_text("户主姓名为空")
    expect(refused.nth(1)).to_contain_text("0106")
    assert_accessible(page)

    shots: list[Path] = []
    _whole_screen(page, 1366, lambda: shots.append(screenshot(page, "admin-ledger")))
    artifacts = shots[0].parent
    _whole_screen(page, 1366, lambda: _save_for_docs(page.locator("main").screenshot(), artifacts))
    assert (artifacts / "docs-admin-ledger.png").stat().st_size < 200_000
    _whole_screen(page, 360, lambda: screenshot(page, "admin-ledger-360"))

    # The refused rows as Excel: the same headers and 错误原因; fixed there, they go back unchanged.
    with page.expect_download() as download:
        page.get_by_role("button", name="下载出错的行").click()
    rejected = tmp_path / download.value.suggested_filename
    download.value.save_as(rejected)
    assert rejected.name == "农户台账出错的行.xlsx"
    book = load_workbook(rejected)
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == [*HEADER, "错误原因"]
    assert [sheet.cell(row=r, column=2).value for r in (2, 3)] == ["0105", "0106"]
    sheet["F2"] = "13985101234"
    sheet["C3"] = "田茂林"
    book.save(rejected)

    _upload(page, rejected)
    expect(_count(page, "新增")).to_have_text("2 户")
    expect(_count(page, "出错")).to_have_text("0 行")
    expect(page.get_by_text("全部导入成功，没有出错的行。")).to_be_visible()
    expect(page.get_by_role("table", name="没有导入的行")).to_have_count(0)
    screenshot(page, "admin-ledger-fixed")

    listed = field_server.api("GET", f"/households?village_code={field_server.village_code}&limit=100")["items"]
    names = {h["household_no"]: h["head_name"] for h in listed}
    assert {no: names.get(no) for no in ("0105", "0106")} == {"0105": "杨光明", "0106": "田茂林"}
    assert len(listed) == 12 + 6
