"""``/auth/token``, ``/me``, ``/users`` and ``/api-tokens``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.assignments.schemas import Posting
from api.assignments.service import current_and_future_postings
from api.auth import accounts, devices, service
from api.auth.accounts import CREATABLE_ROLES, PASSWORD_RULES
from api.auth.models import ROLES, SUPERVISOR_ROLES, ApiToken, User
from api.auth.passwords import issue_access_token
from api.auth.principal import CurrentPrincipal, CurrentUser, Principal, phone_as_seen_by, require_roles
from api.auth.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    Me,
    PasswordChange,
    PublicProfileUpdate,
    Role,
    TemporaryPassword,
    TokenOut,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from api.clock import TodayDep
from api.db import SessionDep
from api.errors import InvalidInput, NotAuthenticated
from api.pagination import Page, PageDep, paginate
from api.photos.models import Photo
from api.regions.models import Region
from api.routing import api_router
from api.validators import RegionCodeQuery, RowIdPath, SearchText

router = api_router(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="登录（OAuth2 密码模式）",
    responses={
        401: {"description": "用户名或密码不正确"},
        429: {"description": "登录失败次数过多，请按 Retry-After 稍后再试"},
    },
)
def login(
    request: Request, response: Response, session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenOut:
    """Log in; a browser that succeeds keeps a device cookie that lets it in while strangers
    guessing the same account are throttled (see ``api.auth.devices``)."""
    client_addr = request.client.host if request.client else "unknown"
    key = request.app.state.settings.signing_key
    device = devices.recognise(request, form.username, key=key)
    user, token, expires_in = service.log_in(
        session=session,
        settings=request.app.state.settings,
        username=form.username,
        password=form.password,
        client_addr=client_addr,
        device=device,
    )
    devices.remember(request, response, user.username, key=key, nonce=device)
    return TokenOut(access_token=token, expires_in=expires_in)


@router.get("/me", response_model=Me, summary="当前登录的账号及其当前和今后的派驻")
def me(user: CurrentUser, session: SessionDep, today: TodayDep) -> Me:
    return _me(user, session, today)


@router.patch(
    "/me/public-profile",
    response_model=Me,
    summary="设置公开页和公示牌上显示的工作电话和照片（照片须是本人上传的）",
)
def update_public_profile(data: PublicProfileUpdate, user: CurrentUser, session: SessionDep, today: TodayDep) -> Me:
    """What a secretary shows villagers: a field left out stays, ``null`` takes it down. The
    portrait must be a photo the account uploaded itself (``POST /photos``)."""
    mine = session.get(User, user.id)
    assert mine is not None
    if "public_phone" in data.model_fields_set:
        mine.public_phone = data.public_phone
    if "portrait_photo_id" in data.model_fields_set:
        photo_id = str(data.portrait_photo_id) if data.portrait_photo_id else None
        photo = session.get(Photo, photo_id) if photo_id else None
        if photo_id and (photo is None or photo.user_id != mine.id):
            raise InvalidInput("照片须是您本人已上传的照片，请先上传。", loc=("body", "portrait_photo_id"))
        mine.portrait_photo_id = photo_id
    session.add(mine)
    session.flush()
    return _me(mine, session, today)


def _me(user: User, session: Session, today: date) -> Me:
    assert user.id is not None
    postings = current_and_future_postings(session=session, user_id=user.id, today=today)
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        scope_code=user.scope_code,
        scope_name=_scope_name(session, user.scope_code, postings),
        must_change_password=user.must_change_password,
        grantable_roles=sorted(CREATABLE_ROLES.get(user.role, ()), key=ROLES.index),
        public_phone=user.public_phone,
        portrait_photo_id=user.portrait_photo_id,
        postings=postings,
    )


def _scope_name(session: Session, code: str | None, postings: list[Posting]) -> str | None:
    """The name of the account's scope: a secretary's is a posting's village, read already."""
    if code is None:
        return None
    named = next((p.village_name for p in postings if p.village_code == code), None)
    if named is not None:
        return named
    scope = session.get(Region, code)
    return scope.name if scope else None


@router.post(
    "/me/password",
    response_model=TokenOut,
    summary="修改自己的密码（其他设备上的登录随之失效）",
    description=PASSWORD_RULES + "返回一个新的登录令牌，供当前设备继续使用。原密码输错的次数与登录失败一起计算。",
    responses={429: {"description": "原密码输错次数过多，请按 Retry-After 稍后再试"}},
)
def change_password(data: PasswordChange, request: Request, session: SessionDep, user: CurrentUser) -> TokenOut:
    settings = request.app.state.settings
    try:  # a wrong old password counts like a failed login: a stolen session cannot guess it
        mine = service.check_password(
            session=session,
            settings=settings,
            username=user.username,
            password=data.old_password,
            client_addr=request.client.host if request.client else "unknown",
            device=devices.recognise(request, user.username, key=settings.signing_key),
        )
    except NotAuthenticated as exc:
        raise InvalidInput("原密码不正确。", loc=("body", "old_password")) from exc
    assert mine.id is not None
    accounts.change_own_password(user=mine, old_password=data.old_password, new_password=data.new_password)
    session.add(mine)
    token, lifetime = issue_access_token(
        user_id=mine.id, key=settings.signing_key, minutes=settings.access_token_minutes, epoch=mine.session_epoch
    )
    return TokenOut(access_token=token, expires_in=lifetime)


def _user_public(user: User, principal: Principal) -> UserPublic:
    data = user.model_dump()
    data["phone"] = phone_as_seen_by(principal, user.phone)
    return UserPublic.model_validate(data)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED, summary="创建账号")
def create_user(data: UserCreate, session: SessionDep, principal: CurrentPrincipal, _user: CurrentUser) -> UserPublic:
    require_roles(principal, *SUPERVISOR_ROLES, action="创建账号")
    return _user_public(service.create_user(session=session, data=data, by=principal), principal)


@router.get("/users", response_model=Page[UserPublic], summary="管辖范围内的账号（可按角色、地区、是否启用、姓名筛选）")
def list_users(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    role: Role | None = None,
    scope: RegionCodeQuery = None,
    is_active: bool | None = None,
    q: SearchText = None,
) -> Page[UserPublic]:
    require_roles(principal, *SUPERVISOR_ROLES, action="查看账号列表")
    stmt = select(User).where(principal.where_under(User.scope_code, scope))
    if scope and principal.role == "admin":
        stmt = stmt.where(col(User.scope_code).is_not(None))  # admins have no scope: not "in" a town
    if role:
        stmt = stmt.where(User.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    if q:
        pattern = f"%{q}%"
        stmt = stmt.where(or_(col(User.display_name).contains(q), col(User.username).like(pattern)))
    rows, cursor = paginate(session, stmt, User.id, page)
    return Page(items=[_user_public(u, principal) for u in rows], next_cursor=cursor)


@router.get("/users/{user_id}", response_model=UserPublic, summary="管辖范围内的一个账号")
def get_user(user_id: RowIdPath, session: SessionDep, principal: CurrentPrincipal) -> UserPublic:
    require_roles(principal, *SUPERVISOR_ROLES, action="查看账号")
    return _user_public(accounts.visible_user(session, user_id=user_id, by=principal), principal)


@router.patch(
    "/users/{user_id}",
    response_model=UserPublic,
    summary="修改账号：姓名、电话、角色、管辖范围，停用或启用",
    description="只能修改管辖范围内、自己有权创建的角色的账号，也不能授予比自己更大的权限。停用后，该账号的登录立即失效，记录保留。",
)
def update_user(
    user_id: RowIdPath,
    data: UserUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    _user: CurrentUser,
    today: TodayDep,
) -> UserPublic:
    require_roles(principal, *SUPERVISOR_ROLES, action="修改账号")
    return _user_public(
        accounts.update_user(session=session, user_id=user_id, data=data, by=principal, today=today), principal
    )


@router.post(
    "/users/{user_id}/password-reset",
    response_model=TemporaryPassword,
    summary="重置密码：生成临时密码（只显示这一次），对方登录后必须修改",
)
def reset_password(
    user_id: RowIdPath, session: SessionDep, principal: CurrentPrincipal, _user: CurrentUser
) -> TemporaryPassword:
    require_roles(principal, *SUPERVISOR_ROLES, action="重置密码")
    return TemporaryPassword(temporary_password=accounts.reset_password(session=session, user_id=user_id, by=principal))


@router.post(
    "/api-tokens",
    response_model=ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="创建只读 API 令牌（令牌只显示这一次）",
)
def create_api_token(
    data: ApiTokenCreate, session: SessionDep, principal: CurrentPrincipal, _user: CurrentUser
) -> ApiTokenCreated:
    require_roles(principal, *SUPERVISOR_ROLES, "inspector", action="创建 API 令牌")
    token, secret = service.create_api_token(session=session, data=data, by=principal)
    assert token.id is not None
    return ApiTokenCreated(
        id=token.id, token=secret, name=token.name, scope_code=token.scope_code, expires_at=token.expires_at
    )


@router.get("/api-tokens", response_model=Page[ApiTokenPublic], summary="我创建的或管辖范围内的 API 令牌")
def list_api_tokens(
    session: SessionDep, principal: CurrentPrincipal, user: CurrentUser, page: PageDep
) -> Page[ApiTokenPublic]:
    stmt = select(ApiToken)
    if principal.role in SUPERVISOR_ROLES:
        stmt = stmt.where(principal.where_under(ApiToken.scope_code))
    else:
        stmt = stmt.where(ApiToken.created_by == user.id)
    rows, cursor = paginate(session, stmt, ApiToken.id, page)
    creators = {t.created_by for t in rows}
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(creators))).all())
    return Page(
        items=[ApiTokenPublic(**t.model_dump(), created_by_name=names[t.created_by]) for t in rows],
        next_cursor=cursor,
    )


@router.delete("/api-tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="撤销 API 令牌")
def revoke_api_token(token_id: RowIdPath, session: SessionDep, principal: CurrentPrincipal, _user: CurrentUser) -> None:
    service.revoke_api_token(session=session, token_id=token_id, by=principal)
