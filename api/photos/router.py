"""``/photos``: upload once, then serve the display image and the thumbnail."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import File, Form, Request, Response, UploadFile
from sqlmodel import Session

from api.audit.service import log_read
from api.auth.principal import CurrentPrincipal, CurrentUser, Principal
from api.db import SessionDep, utcnow
from api.errors import InvalidInput, PayloadTooLarge
from api.photos import service
from api.photos.imaging import ImageRejected, TooManyPixels
from api.photos.models import Photo
from api.photos.schemas import PhotoPublic
from api.photos.storage import PhotoStore
from api.routing import api_router
from api.settings import Settings
from api.validators import Instant

router = api_router(prefix="/photos", tags=["field records"])

_IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}


def _public(photo: Photo) -> PhotoPublic:
    return PhotoPublic.model_validate(photo.model_dump())


def _reported_capture(
    taken_at: datetime | None, lat: float | None, lon: float | None, *, now: datetime, settings: Settings
) -> service.ReportedCapture:
    """What the phone says of the capture, checked before anything is stored.

    The phone shrinks photos on a canvas before upload, which drops their EXIF, so it sends the
    capture time and place it read from the original file alongside.
    """
    if (lat is None) != (lon is None):
        missing = "exif_lon" if lon is None else "exif_lat"
        raise InvalidInput("拍摄地点的纬度（exif_lat）和经度（exif_lon）须同时提供。", loc=("body", missing))
    if taken_at is not None and taken_at > now + timedelta(seconds=settings.future_tolerance_s):
        minutes = settings.future_tolerance_s // 60
        raise InvalidInput(
            f"照片的拍摄时间比服务器时间晚了 {minutes} 分钟以上，请检查手机的日期和时间。", loc=("body", "taken_at")
        )
    return service.ReportedCapture(taken_at=taken_at, lat=lat, lon=lon)


@router.post(
    "",
    response_model=PhotoPublic,
    status_code=201,
    summary="上传照片（JPEG、PNG、WebP、HEIC）；同一编号重复上传同一张照片返回 200",
    responses={200: {"model": PhotoPublic, "description": "同一张照片已上传过，未作改动"}},
)
def upload_photo(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="照片文件")],
    id: Annotated[uuid.UUID, Form(description="手机生成的照片编号（UUID）")],
    taken_at: Annotated[
        Instant | None,
        Form(description="拍摄时间（RFC 3339，带时区），照片本身没有 EXIF 拍摄时间时使用"),
    ] = None,
    exif_lat: Annotated[
        float | None,
        Form(ge=-90, le=90, description="拍摄地点纬度，须与 exif_lon 同时提供；照片本身没有 EXIF GPS 时使用"),
    ] = None,
    exif_lon: Annotated[
        float | None,
        Form(ge=-180, le=180, description="拍摄地点经度，须与 exif_lat 同时提供；照片本身没有 EXIF GPS 时使用"),
    ] = None,
) -> PhotoPublic:
    settings = request.app.state.settings
    now = utcnow()
    reported = _reported_capture(taken_at, exif_lat, exif_lon, now=now, settings=settings)
    limit = settings.max_photo_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"照片超过了 {limit // (1024 * 1024)} MB 的上限，请压缩后再上传。")
    store: PhotoStore = request.app.state.photos
    try:
        photo, created = service.ingest_photo(
            session=session,
            store=store,
            settings=settings,
            user=user,
            photo_id=str(id),
            data=data,
            now=now,
            reported=reported,
        )
    except TooManyPixels as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except ImageRejected as exc:
        raise InvalidInput(str(exc), loc=("body", "file")) from exc
    metrics = request.app.state.metrics
    metrics.photos.labels("new" if created else "sent again").inc()
    if created:
        metrics.photo_bytes.inc(len(data))
    else:
        response.status_code = 200
    return _public(photo)


def _served(photo_id: uuid.UUID, request: Request, session: Session, by: Principal, *, thumb: bool) -> Response:
    """A photo the principal may see, as the display image or the thumbnail; the read is logged."""
    photo = service.visible_photo(session=session, photo_id=str(photo_id), by=by)
    store: PhotoStore = request.app.state.photos
    image = store.get(photo.thumb_key if thumb else photo.display_key)
    log_read(session, request, by, "photos", record_id=photo.id)
    return Response(image, media_type="image/jpeg", headers=_IMMUTABLE)


@router.get("/{photo_id}", response_class=Response, summary="照片（长边 1600 像素，已去除元数据）")
def get_photo(photo_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return _served(photo_id, request, session, principal, thumb=False)


@router.get("/{photo_id}/thumb", response_class=Response, summary="缩略图（长边 320 像素）")
def get_thumb(photo_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return _served(photo_id, request, session, principal, thumb=True)
