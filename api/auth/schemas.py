"""Request and response shapes for logins, users and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.assignments.schemas import Posting
from api.validators import Instant, Line, Name, Password, PhoneNumber, RegionCode

Role = Literal["admin", "county", "town", "secretary", "inspector"]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    scope_code: str | None
    scope_name: str | None = Field(description="管辖范围的名称，如“沙坝镇”；管理员为空")
    must_change_password: bool = Field(description="密码被重置过：下次使用前必须先修改密码")
    grantable_roles: list[Role] = Field(description="这个账号可以新建和管理的角色（不超过自己的权限）")
    # Current and future postings, so the phone knows "my village" from the login answer alone.
    postings: list[Posting] = Field(description="当前及今后的派驻（按开始日期排序）；没有派驻时为空列表")
    public_phone: str | None = Field(default=None, description="公开页和公示牌上显示的工作电话")
    portrait_photo_id: str | None = Field(default=None, description="公开页和公示牌上的照片")


class PublicProfileUpdate(BaseModel):
    """What an account publishes on its village's public page and notice board; a field left
    out stays as it is, ``null`` takes it down."""

    model_config = ConfigDict(extra="forbid")

    public_phone: PhoneNumber | None = None
    portrait_photo_id: uuid.UUID | None = Field(default=None, description="本人上传过的一张照片（POST /photos）")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=50, pattern=r"^[A-Za-z0-9_.\-@]+$")
    display_name: Name
    phone: PhoneNumber | None = None
    role: Role
    scope_code: RegionCode | None = None
    password: Password


class UserUpdate(BaseModel):
    """What a supervisor may change on an account in their scope; unset fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: Name | None = None
    phone: PhoneNumber | None = None
    role: Role | None = None
    scope_code: RegionCode | None = None
    is_active: bool | None = Field(default=None, description="false 停用：该账号的登录立即失效，记录保留")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(max_length=200)
    new_password: Password


class TemporaryPassword(BaseModel):
    temporary_password: str = Field(description="临时密码，只显示这一次；对方登录后必须修改")


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    phone: str | None
    role: Role
    scope_code: str | None
    is_active: bool
    must_change_password: bool
    created_at: datetime


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=100)
    scope_code: RegionCode
    expires_at: Instant | None = None


class ApiTokenCreated(BaseModel):
    id: int
    token: str
    name: str
    scope_code: str
    expires_at: datetime | None


class ApiTokenPublic(BaseModel):
    id: int
    name: str
    scope_code: str
    created_by: int
    created_by_name: str = Field(description="创建人的姓名")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
