"""The rules every field record must pass before it is kept, shared by visits and check-ins.

A record is refused — on its own, without sinking the rest of its batch — when it claims a time
in the future, names a village that does not exist or lies outside the writer's scope, is made
by a secretary in a village where no assignment covers that day, or names a photo that has not
been uploaded (``missing_photo``: the phone uploads it and sends the record again).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from api.assignments.models import Assignment
from api.assignments.service import posted_on
from api.auth.principal import Principal
from api.photos.models import Photo
from api.records import RecordRejected
from api.regions.models import Region
from api.settings import Settings


def check_not_future(at: datetime, *, now: datetime, settings: Settings) -> None:
    if at > now + timedelta(seconds=settings.future_tolerance_s):
        minutes = settings.future_tolerance_s // 60
        raise RecordRejected(
            f"记录的时间比服务器时间晚了 {minutes} 分钟以上，请检查手机的日期和时间。", code="future_time"
        )


def check_village(code: str, villages: Mapping[str, Region], *, by: Principal) -> Region:
    """The village a record is about, if it is one and lies in the writer's scope."""
    village = villages.get(code)
    if village is None or village.level != "village" or not by.covers(code):
        raise RecordRejected(f"村 {code} 不存在，或不在您的管辖范围内。", code="unknown_village", status=404)
    return village


def check_posted(
    village: Region, at: datetime, postings: Sequence[Assignment], *, by: Principal, settings: Settings
) -> None:
    """A secretary records only where an assignment covers the record's local date."""
    if by.role != "secretary":
        return
    day = at.astimezone(settings.tz).date()
    if not posted_on(list(postings), village_code=village.code, day=day):
        raise RecordRejected(f"{day} 您没有派驻在{village.name}，不能记录该村的工作。", code="not_posted", status=403)


def check_photos(photo_ids: Iterable[object], photos: Mapping[str, Photo], *, by: Principal) -> None:
    """Every named photo is uploaded already, and by the writer."""
    for photo_id in photo_ids:
        photo = photos.get(str(photo_id))
        if photo is None:
            raise RecordRejected("照片还没有上传，请先上传照片再提交这条记录。", code="missing_photo")
        if by.user is not None and photo.user_id != by.user.id:
            raise RecordRejected("只能使用自己上传的照片。", code="photo_not_yours", status=403)
