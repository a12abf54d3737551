"""Looking after accounts: changing one, switching it off, resetting and changing passwords.

Two rules hold everywhere here. Nobody grants more than they hold: a role may only manage,
and hand out, the roles it may create, inside its own scope. And a secretary's scope is one
village, the one they are posted to: their personal-data reach is their work, no wider.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.assignments.models import Assignment
from api.auth.models import User
from api.auth.passwords import hash_password
from api.auth.principal import Principal
from api.auth.schemas import UserUpdate
from api.errors import Forbidden, InvalidInput, NotFound
from api.regions import codes
from api.regions.models import Region

# Which roles each role may create and look after. Admins appoint anyone; a county office
# staffs its county; a town committee may add secretaries and work-team members in its town.
CREATABLE_ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin", "county", "town", "secretary", "inspector"}),
    "county": frozenset({"county", "town", "secretary", "inspector"}),
    "town": frozenset({"secretary"}),
}
ROLE_NAMES = {
    "admin": "管理员",
    "county": "县级督导",
    "town": "乡镇督导",
    "secretary": "第一书记",
    "inspector": "督查组",
}
PASSWORD_RULES = "密码至少 8 个字符，不能与用户名相同，也不能与原密码相同。"  # noqa: S105 - words, not a password
# No look-alike characters (0/O, 1/l/I): a temporary password is read out over the phone.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def require_may_grant(by: Principal | None, role: str) -> None:
    """Refuse a role the acting principal may not hand out; ``None`` is the server's command line."""
    if by is not None and role not in CREATABLE_ROLES.get(by.role, frozenset()):
        raise Forbidden(f"您的角色不能创建或授予“{ROLE_NAMES[role]}”角色。")


def check_scope(
    session: Session, *, role: str, scope: str | None, by: Principal | None, field: str = "scope_code"
) -> None:
    """A role's scope must fit it: none for an admin, a region inside ``by``'s for the others,
    and a single village for a secretary."""
    loc = ("body", field)
    if role == "admin":
        if scope is not None:
            raise InvalidInput("管理员能看到全部数据，不设管辖范围（scope_code 应留空）。", loc=loc)
        return
    if scope is None:
        raise InvalidInput("除管理员外，每个账号都必须指定管辖范围（scope_code）。", loc=loc)
    if by is not None:
        by.require_covers(scope)
    region = session.get(Region, scope)
    if region is None:
        raise InvalidInput(f"区划代码 {scope} 不存在，请先创建该地区。", loc=loc)
    if role == "secretary" and region.level != "village":
        raise InvalidInput(
            f"第一书记的管辖范围只能是一个村（社区），{region.name}不是村：第一书记只能查看所驻村的农户和记录。",
            loc=loc,
        )


def visible_user(session: Session, *, user_id: int, by: Principal) -> User:
    """An account inside ``by``'s scope (admins see every account)."""
    user = session.get(User, user_id)
    if user is None or not (by.sees_personal_data_unmasked or (user.scope_code and by.covers(user.scope_code))):
        raise NotFound("该账号不存在，或不在您的管辖范围内。")
    return user


def managed_user(session: Session, *, user_id: int, by: Principal) -> User:
    """The account ``by`` may look after: inside their scope and of a role they may create."""
    user = visible_user(session, user_id=user_id, by=by)
    require_may_grant(by, user.role)
    return user


def update_user(*, session: Session, user_id: int, data: UserUpdate, by: Principal, today: dt.date) -> User:
    """Change an account's name, phone, role, scope or whether it may log in."""
    user = managed_user(session, user_id=user_id, by=by)
    changes = data.model_dump(exclude_unset=True)
    for field in ("display_name", "role", "is_active"):
        if field in changes and changes[field] is None:
            raise InvalidInput("此项不能清空。", loc=("body", field))
    acting_on_self = by.user is not None and by.user.id == user.id
    if acting_on_self and {"role", "scope_code", "is_active"} & changes.keys():
        raise Forbidden("不能修改自己的角色、管辖范围或停用自己的账号，请由上级办理。")
    role = changes.get("role", user.role)
    scope = changes.get("scope_code", user.scope_code)
    if role == "admin" and "role" in changes:
        scope = None  # an admin has no scope; asking for the role is asking for that
    if "role" in changes:
        require_may_grant(by, role)
    if {"role", "scope_code"} & changes.keys():
        check_scope(session, role=role, scope=scope, by=by)
        if role == "secretary" and scope is not None:
            _require_not_posted_elsewhere(session, user=user, village_code=scope, today=today)
    user.display_name = changes.get("display_name", user.display_name)
    user.phone = changes.get("phone", user.phone)
    user.role, user.scope_code = role, scope
    set_active(user, changes.get("is_active", user.is_active))
    session.add(user)
    session.flush()
    return user


def set_active(user: User, active: bool) -> None:
    """Switch an account on or off; switching it off ends its sessions at once (its tokens carry
    the old epoch, and ``is_active`` is checked on every request too). Its records stay."""
    if user.is_active and not active:
        user.session_epoch += 1
    user.is_active = active


def _require_not_posted_elsewhere(
    session: Session, *, user: User, village_code: str, today: dt.date, field: str = "scope_code"
) -> None:
    """A secretary's scope follows their posting; it cannot be moved away while they serve."""
    elsewhere = session.exec(
        select(Assignment, Region)
        .join(Region, col(Region.code) == Assignment.village_code)
        .where(
            Assignment.user_id == user.id,
            Assignment.village_code != village_code,
            or_(col(Assignment.end_date).is_(None), col(Assignment.end_date) >= today),
        )
    ).first()
    if elsewhere is not None:
        posting, village = elsewhere
        until = f"至 {posting.end_date}" if posting.end_date else "尚未结束"
        raise InvalidInput(
            f"{user.display_name} 目前驻在{village.name}（{until}），管辖范围随派驻变化：请先结束该派驻，或用“轮换”。",
            loc=("body", field),
        )


def move_scope_with_posting(session: Session, *, user: User, village_code: str, today: dt.date) -> None:
    """Post a secretary to a village: their scope becomes that village, unless they still
    serve in another, which must end first."""
    if user.scope_code == village_code:
        return
    _require_not_posted_elsewhere(session, user=user, village_code=village_code, today=today, field="village_code")
    assert codes.level_of(village_code) == "village"
    user.scope_code = village_code
    session.add(user)


def reset_password(*, session: Session, user_id: int, by: Principal | None) -> str:
    """A fresh temporary password for someone else's account, to be changed at their next login.

    Every session of the account ends: whoever knew the old password is out.
    """
    if by is None:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("该账号不存在。")
    else:
        user = managed_user(session, user_id=user_id, by=by)
        if by.user is not None and by.user.id == user.id:
            raise Forbidden("不能重置自己的密码，请用“修改密码”。")
    temporary = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(10))
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_epoch += 1
    session.add(user)
    session.flush()
    return temporary


def change_own_password(*, user: User, old_password: str, new_password: str) -> User:
    """Change one's own password once the old one is checked (``service.check_password``);
    every other session of the account ends."""
    if new_password == old_password:
        raise InvalidInput(f"新密码不能与原密码相同。{PASSWORD_RULES}", loc=("body", "new_password"))
    if new_password.casefold() == user.username.casefold():
        raise InvalidInput(f"新密码不能与用户名相同。{PASSWORD_RULES}", loc=("body", "new_password"))
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.session_epoch += 1
    return user
