"""The ``zoufang`` command: migrate, create-user, and a real ``serve`` answering on a port."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlmodel import Session, select

from api import cli
from api.auth.models import User
from api.auth.passwords import verify_password
from api.ops.addresses import machine_addresses, serving_lines
from api.settings import EXAMPLE_SECRET_KEY, get_settings
from bench.county import fresh_database
from bench.server import ServerProcess
from tests.conftest import _postgres_server_url
from tests.factories import SIGNING_KEY
from tests.servers import QUIET, run_cli_refused


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the command at an empty SQLite database in a temporary folder."""
    monkeypatch.setenv("ZOUFANG_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ZOUFANG_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_migrate_creates_the_schema(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["migrate"]) == 0
    tables = set(inspect(create_engine(f"sqlite:///{data_dir / 'zoufang.db'}")).get_table_names())
    assert {"region", "household", "app_user", "assignment", "api_token"} <= tables
    assert "最新" in capsys.readouterr().out


def test_create_user_as_admin_and_with_a_scope(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["create-user", "--username", "root", "--password", "a-long-password", "--role", "admin"]) == 0
    engine = create_engine(f"sqlite:///{data_dir / 'zoufang.db'}")
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "root")).one()
        assert user.role == "admin"
        assert user.scope_code is None
        assert verify_password(user.password_hash, "a-long-password")

    # A scope must name a region that exists; every role but admin needs one.
    assert cli.main(["create-user", "--username", "t1", "--password", "a-long-password", "--role", "town"]) == 1
    assert "管辖范围" in capsys.readouterr().err
    code = cli.main(
        ["create-user", "--username", "t1", "--password", "a-long-password", "--role", "town", "--scope", "520199100"]
    )
    assert code == 1
    assert "不存在" in capsys.readouterr().err


def test_create_user_refuses_a_short_password(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["create-user", "--username", "x", "--password", "short", "--role", "admin"]) == 2
    assert "password" in capsys.readouterr().err


def test_an_operator_resets_a_password_and_switches_an_account_off_and_on(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["create-user", "--username", "root", "--password", "a-long-password", "--role", "admin"]) == 0
    engine = create_engine(f"sqlite:///{data_dir / 'zoufang.db'}")

    def root() -> User:
        with Session(engine) as session:
            return session.exec(select(User).where(User.username == "root")).one()

    assert cli.main(["reset-password", "--username", "root"]) == 0
    temporary = capsys.readouterr().out.split("临时密码：")[1].split()[0]
    assert verify_password(root().password_hash, temporary)
    assert (root().must_change_password, root().session_epoch) == (True, 1)

    assert cli.main(["deactivate-user", "--username", "root"]) == 0
    assert "已停用" in capsys.readouterr().out
    assert (root().is_active, root().session_epoch) == (False, 2)
    assert cli.main(["deactivate-user", "--username", "root", "--reactivate"]) == 0
    assert root().is_active

    assert cli.main(["deactivate-user", "--username", "nobody"]) == 1
    assert "没有用户名为“nobody”的账号" in capsys.readouterr().err


def test_serve_migrates_then_answers(live_server: str, tmp_path: Path) -> None:
    with urllib.request.urlopen(f"{live_server}/readyz", timeout=5) as response:
        assert response.status == 200
    assert (tmp_path / "zoufang.db").exists()


def test_serve_on_every_address_prints_the_addresses_of_this_machine_and_the_word_on_https() -> None:
    lines = serving_lines("0.0.0.0", 8000, others=["192.168.1.20", "10.8.0.3"])  # noqa: S104

    assert lines[0].startswith("走访 Zoufang 正在运行：http://localhost:8000/")
    assert "http://192.168.1.20:8000/" in lines[1]
    assert "http://10.8.0.3:8000/" in lines[2]
    assert "https://" in lines[-1]


def test_serve_on_this_machine_only_says_so() -> None:
    lines = serving_lines("127.0.0.1", 8000)

    assert "http://localhost:8000/" in lines[0]
    assert any("--host 0.0.0.0" in line for line in lines)
    assert sum("http://" in line for line in lines) == 1


def test_the_machines_addresses_leave_out_loopback() -> None:
    assert all(not address.startswith("127.") for address in machine_addresses())


GOOD_KEY = "k3yF0rTh1sC0unty-" + "q" * 30
PG_URL = "postgresql+psycopg://zoufang:{password}@127.0.0.1:1/zoufang"


@pytest.mark.parametrize(
    ("key", "password", "aws_secret", "named"),
    [
        ("", "s3cret", "", "ZOUFANG_SECRET_KEY"),
        (EXAMPLE_SECRET_KEY, "s3cret", "", "ZOUFANG_SECRET_KEY"),
        ("too-short", "s3cret", "", "ZOUFANG_SECRET_KEY"),
        (GOOD_KEY, "change-me-postgres-password", "", "POSTGRES_PASSWORD"),
        (GOOD_KEY, "s3cret", "change-me-minio-password", "MINIO_ROOT_PASSWORD"),
    ],
    ids=["unset", "example-key", "short-key", "example-database-password", "example-photo-store-password"],
)
def test_serve_on_postgresql_refuses_the_examples_secrets(
    tmp_path: Path, key: str, password: str, aws_secret: str, named: str
) -> None:
    env = {
        "ZOUFANG_DATABASE_URL": PG_URL.format(password=password),
        "ZOUFANG_SECRET_KEY": key,
        "AWS_SECRET_ACCESS_KEY": aws_secret,
    }

    assert named in run_cli_refused(tmp_path, "serve", env=env)


def test_serve_with_several_workers_on_postgresql(tmp_path: Path) -> None:
    server_url = _postgres_server_url()
    if not server_url:
        pytest.skip("set ZOUFANG_TEST_POSTGRES_URL to run the PostgreSQL tests")
    with fresh_database("postgresql", str(tmp_path), server_url) as url:
        env = {**QUIET, "ZOUFANG_DATABASE_URL": url, "ZOUFANG_SECRET_KEY": SIGNING_KEY}
        server = ServerProcess(data_dir=tmp_path / "data", env=env, args=["--workers", "2"])
        server.start()
        try:
            for _ in range(20):
                with urllib.request.urlopen(f"{server.base}/readyz", timeout=5) as response:
                    assert response.status == 200
        finally:
            server.stop()
    assert server.log_text().count("Started server process") == 2
