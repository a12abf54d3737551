"""``zoufang import-households FILE``: the same ledger import as the endpoint, from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect
from sqlmodel import Session, select

from api import cli
from api.db import make_engine
from api.households.models import Household
from api.main import create_app
from api.migrations import upgrade
from api.settings import Settings, get_settings
from tests.factories import (
    COUNTY,
    SIGNING_KEY,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    bearer,
    make_region,
    make_user,
)

HEADER = "序号,村代码,户编号,户主姓名,村民小组,住址,联系电话,标签\r\n"
LEDGER = (
    HEADER
    + f"1,{VILLAGE_A1},0101,欧阳秀兰,第一村民小组,桃源村上寨12号,13812345678,脱贫户、留守老人\r\n"
    + f"2,{VILLAGE_A2},0201,钱淑芬,,白岩村5号,,低保户\r\n"
    + f"3,{VILLAGE_B1},0301,周小梅,,,138123,\r\n"
    + "4,520199100299,0401,孙大勇,,,,\r\n"
)
EXPECTED = {
    "created": 2,
    "updated": 0,
    "unchanged": 0,
    "rejected": [
        {
            "row": 4,
            "reason": "联系电话“138123”格式不正确",
            "values": {
                "村代码": VILLAGE_B1,
                "户编号": "0301",
                "户主姓名": "周小梅",
                "村民小组": "",
                "住址": "",
                "联系电话": "138123",
                "标签": "",
            },
        },
        {
            "row": 5,
            "reason": "村代码 520199100299 不存在",
            "values": {
                "村代码": "520199100299",
                "户编号": "0401",
                "户主姓名": "孙大勇",
                "村民小组": "",
                "住址": "",
                "联系电话": "",
                "标签": "",
            },
        },
    ],
    "ignored_columns": ["序号"],
}


def seed_regions(engine: Engine) -> None:
    with Session(engine) as session:
        make_region(session, COUNTY, "青山县", "county", None)
        make_region(session, TOWN_A, "石门镇", "town", COUNTY)
        make_region(session, TOWN_B, "龙泉乡", "town", COUNTY)
        make_region(session, VILLAGE_A1, "桃源村", "village", TOWN_A)
        make_region(session, VILLAGE_A2, "白岩村", "village", TOWN_A)
        make_region(session, VILLAGE_B1, "龙井村", "village", TOWN_B)


def fresh_database(folder: Path) -> tuple[Settings, Engine]:
    settings = Settings(database_url=f"sqlite:///{folder / 'zoufang.db'}", data_dir=folder, secret_key=SIGNING_KEY)
    engine = make_engine(settings)
    upgrade(engine)
    seed_regions(engine)
    return settings, engine


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite database with the test county's regions, where the command will look."""
    folder = tmp_path / "cli"
    settings, engine = fresh_database(folder)
    monkeypatch.setenv("ZOUFANG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ZOUFANG_DATA_DIR", str(folder))
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def stored(engine: Engine) -> dict[tuple[str, str | None], Household]:
    with Session(engine) as session:
        return {(h.village_code, h.household_no): h for h in session.exec(select(Household))}


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_prints_the_result_and_stores_the_households(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "台账.csv", LEDGER.encode("gbk"))
    assert cli.main(["import-households", path]) == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED

    households = stored(database)
    assert set(households) == {(VILLAGE_A1, "0101"), (VILLAGE_A2, "0201")}
    assert households[(VILLAGE_A1, "0101")].head_name == "欧阳秀兰"
    assert households[(VILLAGE_A1, "0101")].phone == "13812345678"
    assert households[(VILLAGE_A1, "0101")].tags == ["脱贫户", "留守老人"]


def test_the_command_and_the_endpoint_give_the_same_result(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "台账.csv", LEDGER.encode())
    assert cli.main(["import-households", path]) == 0
    printed = json.loads(capsys.readouterr().out)

    settings, engine = fresh_database(tmp_path / "api")
    with Session(engine) as session:
        admin = make_user(session, "admin", "admin", None)
        headers = bearer(admin)
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/imports/households", headers=headers, files={"file": ("台账.csv", LEDGER.encode(), "text/csv")}
        )
    engine.dispose()
    assert response.status_code == 200, response.text
    assert printed == response.json() == EXPECTED


def test_importing_the_same_file_again_changes_nothing(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "台账.csv", LEDGER.encode("utf-8-sig"))
    assert cli.main(["import-households", path]) == 0
    capsys.readouterr()
    before = {key: h.updated_at for key, h in stored(database).items()}

    assert cli.main(["import-households", path]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert {key: h.updated_at for key, h in stored(database).items()} == before


def test_the_command_migrates_an_empty_database_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZOUFANG_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ZOUFANG_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        path = write(tmp_path, "台账.csv", LEDGER.encode())
        assert cli.main(["import-households", path]) == 0
    finally:
        get_settings.cache_clear()
    result = json.loads(capsys.readouterr().out)
    assert result["created"] == 0
    assert [item["row"] for item in result["rejected"]] == [2, 3, 4, 5]
    engine = make_engine(Settings(data_dir=tmp_path))
    assert "household" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param("照片.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "不是", id="png"),
        pytest.param("台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "xlsx", id="xls"),
        pytest.param("总结.txt", "工作总结\n今天走访了三户。\n".encode(), "不是", id="text"),
        pytest.param("台账.csv", "村代码,户编号\r\n520199100201,0101\r\n".encode(), "户主姓名", id="missing-column"),
        pytest.param("空.csv", b"", "空", id="empty"),
    ],
)
def test_a_file_that_cannot_be_imported_exits_2(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, message: str
) -> None:
    path = write(tmp_path, name, data)
    assert cli.main(["import-households", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("错误：")
    assert message in err
    assert stored(database) == {}


def test_a_missing_file_exits_2(database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import-households", str(tmp_path / "没有这个文件.csv")]) == 2
    assert "无法读取" in capsys.readouterr().err
