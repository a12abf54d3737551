"""``/public/...``: what anyone may read about a posted village, and the message form; and, for
those signed in, the village's printable notice board (公示牌) and contact cards (联系卡).

The public routes take no login. They show nothing personal: no household, no user id or
username, only the names and the work phone the people posted there chose to publish.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.auth.models import SUPERVISOR_ROLES
from api.auth.principal import CurrentPrincipal, Principal, require_roles
from api.clock import TodayDep
from api.db import SessionDep, utcnow
from api.errors import AppError
from api.photos.storage import PhotoStore
from api.public import notice, service
from api.public.schemas import MessageIn, MessageReceipt, MessageStatus, PublicVillage
from api.rectification.service import summaries
from api.routing import api_router
from api.settings import Settings
from api.validators import RegionCodePath

router = api_router(tags=["public"])

READERS = (*SUPERVISOR_ROLES, "secretary", "api_token")
TOO_MANY: dict[int | str, dict[str, Any]] = {429: {"description": "留言太多，请按 Retry-After 稍后再试"}}


class NotAcceptable(AppError):
    status = 406
    type_ = "not-acceptable"
    title = "不提供该格式"


@router.get("/public/villages/{code}", response_model=PublicVillage, summary="村的公开信息（无需登录）")
def public_village(code: RegionCodePath, session: SessionDep, today: TodayDep) -> PublicVillage:
    return service.village_page(session, code, today)


@router.get(
    "/public/villages/{code}/portrait",
    response_class=Response,
    summary="第一书记的照片（缩略图，无需登录）",
    responses={200: {"content": {"image/jpeg": {}}}},
)
def public_portrait(code: RegionCodePath, request: Request, session: SessionDep, today: TodayDep) -> Response:
    photo = service.secretary_portrait(session, code, today)
    store: PhotoStore = request.app.state.photos
    return Response(store.get(photo.thumb_key), media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})


@router.post(
    "/public/villages/{code}/messages",
    response_model=MessageReceipt,
    status_code=status.HTTP_201_CREATED,
    summary="给第一书记留言（无需登录；返回查询码）",
    responses=TOO_MANY,
)
def leave_message(
    code: RegionCodePath, data: MessageIn, request: Request, session: SessionDep, today: TodayDep
) -> MessageReceipt:
    return MessageReceipt(receipt=send_message(request, session, code, data, today))


@router.get(
    "/public/villages/{code}/messages/{receipt}",
    response_model=MessageStatus,
    summary="凭查询码查看留言的办理情况（无需登录）",
)
def message_status(
    code: RegionCodePath,
    receipt: Annotated[str, Path(min_length=1, max_length=12, description="留言后得到的 8 位查询码")],
    session: SessionDep,
) -> MessageStatus:
    return service.message_status(session, code, receipt)


def send_message(request: Request, session: SessionDep, code: str, data: MessageIn, today: dt.date) -> str:
    """The message through the rate limits, as the JSON API and the HTML form both send it."""
    settings: Settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    return service.post_message(
        session,
        code,
        data,
        sender=service.sender_key(address, settings.signing_key),
        limits=service.Limits(
            per_address=settings.public_messages_per_address,
            per_village=settings.public_messages_per_village,
            window_s=settings.public_message_window_s,
        ),
        today=today,
        now=utcnow(),
    )


def public_url(request: Request, code: str) -> str:
    """The public page's address as a villager's phone reaches it."""
    base = request.app.state.settings.public_url.strip().rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/v/{code}"


def _readable(principal: Principal, code: str, action: str) -> None:
    require_roles(principal, *READERS, action=action)
    principal.require_covers(code, what="该村")


@router.get(
    "/villages/{code}/notice",
    response_class=HTMLResponse,
    summary="驻村第一书记公示牌（A4 打印页）",
    responses={406: {"description": "不直接生成 PDF：请打开 HTML 页面，用浏览器“打印 → 另存为 PDF”"}},
)
def notice_board(
    code: RegionCodePath,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    format: Annotated[
        Literal["html", "pdf"], Query(description="html（A4 打印页）；pdf 请用浏览器打印为 PDF")
    ] = "html",
) -> Response:
    _readable(principal, code, "查看公示牌")
    if format == "pdf":
        raise NotAcceptable("不直接生成 PDF：请打开公示牌页面（format=html），在浏览器中选择“打印 → 另存为 PDF”。")
    page = notice.notice_html(
        village=service.village_page(session, code, today),
        portrait=_portrait_bytes(request, session, code, today),
        url=public_url(request, code),
        progress=_measures_done(session, code, today),
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": notice.PAGE_POLICY})


def _measures_done(session: Session, code: str, today: dt.date) -> tuple[int, int]:
    """(measures done, all measures) of the village's ledger, as the overview counts them."""
    ledger = summaries(session, [code], today).get(code)
    return (ledger.measures_done, ledger.measures) if ledger else (0, 0)


@router.get(
    "/villages/{code}/contact-cards", response_class=HTMLResponse, summary="联系卡（A4 一页 10 张，打印后裁开）"
)
def contact_cards(
    code: RegionCodePath, request: Request, session: SessionDep, principal: CurrentPrincipal, today: TodayDep
) -> Response:
    _readable(principal, code, "查看联系卡")
    page = notice.cards_html(village=service.village_page(session, code, today), url=public_url(request, code))
    return HTMLResponse(page, headers={"Content-Security-Policy": notice.PAGE_POLICY})


def _portrait_bytes(request: Request, session: SessionDep, code: str, today: dt.date) -> bytes | None:
    try:
        photo = service.secretary_portrait(session, code, today)
    except AppError:
        return None
    store: PhotoStore = request.app.state.photos
    return store.get(photo.thumb_key)
