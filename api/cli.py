"""The ``zoufang`` command: serve, migrate, create users, load the demo county, import ledgers.

Each subcommand is a small function over the same Settings the service uses, so the command
line and the API can never disagree about where the data lives.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.auth.accounts import reset_password, set_active
from api.auth.models import User
from api.auth.schemas import UserCreate
from api.auth.service import create_user
from api.db import make_engine
from api.demo import DemoLogin, DemoNotEmpty, DemoSummary, populate
from api.errors import AppError
from api.flags.rules import KIND_NAMES, run_time_rules
from api.flags.schemas import FLAG_KIND_NAMES
from api.households.importer import import_households
from api.households.spreadsheet import SpreadsheetError, read_table
from api.main import create_app
from api.migrations import upgrade
from api.ops.access_log import LOG_CONFIG
from api.ops.addresses import serving_lines
from api.ops.backup import BackupRefused, Manifest, backup, restore
from api.settings import Settings, deployment_problem, get_settings


def _migrated_engine(settings: Settings) -> Engine:
    engine = make_engine(settings)
    upgrade(engine)
    return engine


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    _migrated_engine(settings).dispose()
    print("数据库结构已是最新。")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if problem := deployment_problem(settings):
        print(f"错误：{problem}", file=sys.stderr)
        return 2
    _migrated_engine(settings).dispose()
    if args.demo:
        _load_demo_if_empty(settings, seed=args.seed)
    print("\n".join(serving_lines(args.host, args.port)))
    # Forwarded headers are the app's business (ZOUFANG_TRUSTED_PROXIES); uvicorn's own default
    # would believe them from 127.0.0.1, where any local process or a proxy's neighbour sits.
    # On SIGTERM the requests in progress are finished first (a phone's sync is not cut off).
    options = {
        "host": args.host,
        "port": args.port,
        "proxy_headers": False,
        "timeout_graceful_shutdown": 30,
        "access_log": False,  # the app writes its own, as JSON with request ids (api.ops.access_log)
        "log_config": LOG_CONFIG,
    }
    # Read once here: a signing key made on first start is made once, not by each worker at once.
    settings.signing_key  # noqa: B018
    if args.workers == 1:
        uvicorn.run(create_app(settings), **options)
        return 0
    if settings.effective_database_url.startswith("sqlite"):
        print("注意：SQLite 一次只允许一个写入者，多个进程只会互相等待；请用 1 个进程，或改用 PostgreSQL。")
    # Each worker builds the app from the same environment.
    uvicorn.run("api.main:create_app", factory=True, workers=args.workers, **options)
    return 0


def _manifest_line(manifest: Manifest) -> str:
    rows = manifest.rows
    return (
        f"走访 {rows['visit']} 条、签到 {rows['checkin']} 次、农户 {rows['household']} 户、账号 {rows['app_user']} 个、"
        f"照片 {rows['photo']} 张（文件 {len(manifest.photo_files)} 个），数据库结构 {manifest.schema}。"
    )


def _backup_step(step: Callable[[], Manifest], done: Callable[[Manifest], str]) -> int:
    try:
        manifest = step()
    except BackupRefused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(f"{done(manifest)}：{_manifest_line(manifest)}")
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    return _backup_step(lambda: backup(settings, Path(args.dest)), lambda m: f"已备份到 {args.dest}（{m.made_at}）")


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    return _backup_step(
        lambda: restore(settings, Path(args.src)),
        lambda m: f"已从 {args.src}（{m.made_at} 的备份）恢复到 {settings.data_dir}",
    )


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    try:
        data = UserCreate(
            username=args.username,
            password=args.password,
            role=args.role,
            scope_code=args.scope,
            display_name=args.display_name or args.username,
        )
    except ValidationError as exc:
        for err in exc.errors():
            print(f"错误：{'.'.join(str(p) for p in err['loc'])}：{err['msg']}", file=sys.stderr)
        return 2
    engine = _migrated_engine(settings)
    try:
        with Session(engine) as session:
            user = create_user(session=session, data=data, by=None)
            session.commit()
            print(f"已创建账号 {user.username}（{user.role}，范围 {user.scope_code or '全部'}），id={user.id}")
    except AppError as exc:
        print(f"错误：{exc.detail}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _print_demo(summary: DemoSummary) -> None:
    print(
        f"示范县已生成：{summary.towns} 个乡镇，{summary.villages} 个村"
        f"（其中软弱涣散村 {summary.weak_lax_villages} 个），{summary.households} 户，"
        f"{summary.secretaries} 名第一书记/工作队员。"
    )
    print("示范账号（仅供体验，请勿用于正式环境）：")
    by_role: dict[str, list[DemoLogin]] = {}
    for login in summary.logins:
        by_role.setdefault(login.role, []).append(login)
    for logins in by_role.values():
        first = logins[0]
        if len(logins) == 1:
            print(f"  {first.username:<14} {first.description}")
        else:
            names = f"{first.username}…{logins[-1].username}"
            print(f"  {names:<14} 共 {len(logins)} 个，例如 {first.username}：{first.description}")
    passwords = sorted({login.password for login in summary.logins})
    print(f"  密码：{'、'.join(passwords)}")
    if summary.field_days:
        flags = "、".join(f"{FLAG_KIND_NAMES.get(kind, kind)} {n}" for kind, n in summary.flags.items()) or "无"
        print(
            f"近 {summary.field_days} 天的走访记录：走访 {summary.visits} 条（其中入户 {summary.home_visits} 次），"
            f"签到 {summary.checkins} 次，照片 {summary.photos} 张，群众诉求 {summary.requests} 条，"
            f"督查抽查 {summary.inspections} 个村；疑点 {flags}。"
        )
        print(
            f"整顿台账：{summary.ledger_villages} 个软弱涣散村，整改措施 {summary.measures} 项；"
            f"村公开页上的群众留言 {summary.public_messages} 条。"
        )
        examples = "；".join(f"{p.username} {p.description}" for p in summary.problems)
        if examples:
            print(f"问题示例：{examples}。")


def _load_demo_if_empty(settings: Settings, *, seed: int) -> None:
    engine = make_engine(settings)
    try:
        _print_demo(populate(engine=engine, seed=seed, settings=settings))
    except DemoNotEmpty:
        print("数据库中已有数据，未生成示范县。")
    finally:
        engine.dispose()


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    engine = _migrated_engine(settings)
    try:
        _print_demo(populate(engine=engine, seed=args.seed, settings=settings))
    except DemoNotEmpty as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _change_account(settings: Settings, username: str, change: Callable[[Session, User], str]) -> int:
    """Apply ``change`` to the named account and print what it says; 1 if there is no such account."""
    engine = _migrated_engine(settings)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                print(f"错误：没有用户名为“{username}”的账号。", file=sys.stderr)
                return 1
            said = change(session, user)
            session.commit()
            print(said)
    finally:
        engine.dispose()
    return 0


def cmd_reset_password(args: argparse.Namespace, settings: Settings) -> int:
    def reset(session: Session, user: User) -> str:
        assert user.id is not None
        temporary = reset_password(session=session, user_id=user.id, by=None)
        return (
            f"{user.username} 的临时密码：{temporary}\n"
            "（只显示这一次；对方用它登录后必须设置新密码，其他设备上的登录已失效。）"
        )

    return _change_account(settings, args.username, reset)


def cmd_deactivate_user(args: argparse.Namespace, settings: Settings) -> int:
    def switch(session: Session, user: User) -> str:
        if user.is_active == args.reactivate:
            return f"{user.username} 的账号本来就已{'启用' if user.is_active else '停用'}。"
        set_active(user, args.reactivate)
        session.add(user)
        if args.reactivate:
            return f"已重新启用 {user.username} 的账号。"
        return f"已停用 {user.username} 的账号：它的登录和 API 令牌立即失效，记录保留。"

    return _change_account(settings, args.username, switch)


def cmd_import_households(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    try:
        table = read_table(path.read_bytes())
    except OSError as exc:
        print(f"错误：无法读取 {path}：{exc.strerror}", file=sys.stderr)
        return 2
    except SpreadsheetError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    engine = _migrated_engine(settings)
    try:
        with Session(engine) as session:
            result = import_households(session=session, table=table, by=None)
            session.commit()
    except AppError as exc:
        print(f"错误：{exc.detail}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(json.dumps(result.model_dump(), ensure_ascii=False, indent=2))
    return 0


def cmd_evaluate_flags(args: argparse.Namespace, settings: Settings) -> int:
    engine = _migrated_engine(settings)
    try:
        summary = run_time_rules(engine=engine, settings=settings, today=args.today)
    finally:
        engine.dispose()
    day = summary.today
    print(f"按 {day.year}年{day.month}月{day.day}日检查走访覆盖率、走访间隔和在村天数：")
    if summary.skipped:
        print(summary.skipped)
        return 0
    for kind, name in KIND_NAMES.items():
        print(f"  {name}（{kind}）：新增 {summary.raised.get(kind, 0)} 条，自动解除 {summary.resolved.get(kind, 0)} 条")
    print(f"合计新增 {sum(summary.raised.values())} 条，自动解除 {sum(summary.resolved.values())} 条。")
    return 0


def _local_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写作 YYYY-MM-DD，例如 2026-03-01，而不是 {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoufang", description="走访 Zoufang：驻村第一书记入户走访记录与督查服务")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="migrate if needed, then serve the API and the PWA")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load the demo county first if the database is empty")
    serve.add_argument("--seed", type=int, default=1, help="seed of the demo county (with --demo)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        choices=range(1, 33),
        metavar="N",
        help="processes to serve with (1 on SQLite; on PostgreSQL about one per CPU core)",
    )
    serve.set_defaults(run=cmd_serve)

    saving = sub.add_parser("backup", help="back up the SQLite database and photo folder, also while serving")
    saving.add_argument("dest", help="a new, empty folder")
    saving.set_defaults(run=cmd_backup)

    restoring = sub.add_parser("restore", help="restore a backup into an empty data folder")
    restoring.add_argument("src", help="a folder made by zoufang backup")
    restoring.set_defaults(run=cmd_restore)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(run=cmd_migrate)

    user = sub.add_parser("create-user", help="create a user (acting as administrator)")
    user.add_argument("--username", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True, choices=["admin", "county", "town", "secretary", "inspector"])
    user.add_argument("--scope", help="division code of the user's scope (required for every role but admin)")
    user.add_argument("--display-name")
    user.set_defaults(run=cmd_create_user)

    resetting = sub.add_parser(
        "reset-password", help="重置一个账号的密码：生成临时密码，对方登录后必须修改 / reset a password"
    )
    resetting.add_argument("--username", required=True, help="要重置密码的账号的用户名")
    resetting.set_defaults(run=cmd_reset_password)

    deactivating = sub.add_parser(
        "deactivate-user", help="停用一个账号（记录保留，登录立即失效）/ switch an account off"
    )
    deactivating.add_argument("--username", required=True, help="要停用的账号的用户名")
    deactivating.add_argument("--reactivate", action="store_true", help="改为重新启用这个账号")
    deactivating.set_defaults(run=cmd_deactivate_user)

    demo = sub.add_parser(
        "demo", help="fill an empty database with a demo county and months of its field records; print its logins"
    )
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(run=cmd_demo)

    imp = sub.add_parser("import-households", help="import households from a CSV or XLSX ledger")
    imp.add_argument("file", help="CSV (UTF-8 or GBK) or XLSX with the headers 村代码、户编号、户主姓名…")
    imp.set_defaults(run=cmd_import_households)

    flags = sub.add_parser(
        "evaluate-flags", help="raise and resolve the flags of the rules over time (coverage, visit gaps, presence)"
    )
    flags.add_argument(
        "--today", type=_local_date, help="judge as of this local date, YYYY-MM-DD (default: today in the time zone)"
    )
    flags.set_defaults(run=cmd_evaluate_flags)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace, Settings], int] = args.run
    return run(args, get_settings())


if __name__ == "__main__":
    sys.exit(main())
