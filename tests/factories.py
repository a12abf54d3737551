"""Test data builders: a small county with two towns, people in each role, and their tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlmodel import Session

from api.assignments.models import Assignment
from api.auth.models import User
from api.auth.passwords import hash_password, issue_access_token
from api.households.models import Household
from api.regions.models import Region

PASSWORD = "correct-horse-1"
SIGNING_KEY = "test-signing-key-" + "x" * 32

COUNTY = "520199000000"
TOWN_A = "520199100000"
TOWN_B = "520199101000"
VILLAGE_A1 = "520199100201"
VILLAGE_A2 = "520199100202"
VILLAGE_B1 = "520199101201"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is deliberately slow: hash once per test run


def make_region(session: Session, code: str, name: str, level: str, parent: str | None, **extra: Any) -> Region:
    region = Region(code=code, name=name, level=level, parent_code=parent, **extra)
    session.add(region)
    session.commit()
    return region


def make_user(session: Session, username: str, role: str, scope: str | None, **extra: Any) -> User:
    user = User(
        username=username,
        display_name=extra.pop("display_name", username),
        role=role,
        scope_code=scope,
        password_hash=_password_hash(),
        **extra,
    )
    session.add(user)
    session.commit()
    return user


def make_household(session: Session, village: str, no: str, head_name: str = "王建国", **extra: Any) -> Household:
    household = Household(village_code=village, household_no=no, head_name=head_name, **extra)
    session.add(household)
    session.commit()
    return household


def bearer(user: User) -> dict[str, str]:
    assert user.id is not None
    token, _ = issue_access_token(user_id=user.id, key=SIGNING_KEY, minutes=60)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class County:
    """Two towns, three villages, a household in each village, and one person per role."""

    users: dict[str, User] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return bearer(self.users[who])


def make_county(session: Session) -> County:
    make_region(session, COUNTY, "青山县", "county", None)
    make_region(session, TOWN_A, "石门镇", "town", COUNTY)
    make_region(session, TOWN_B, "龙泉乡", "town", COUNTY)
    make_region(session, VILLAGE_A1, "桃源村", "village", TOWN_A, lat=26.5, lon=106.7, radius_m=1500)
    make_region(session, VILLAGE_A2, "白岩村", "village", TOWN_A, weak_lax=True, weak_lax_reasons=["书记能力弱"])
    make_region(session, VILLAGE_B1, "龙井村", "village", TOWN_B)
    county = County()
    county.users = {
        "admin": make_user(session, "admin", "admin", None, phone="13800000000"),
        "county": make_user(session, "county", "county", COUNTY),
        "town_a": make_user(session, "town_a", "town", TOWN_A),
        "town_b": make_user(session, "town_b", "town", TOWN_B),
        "secretary_a1": make_user(session, "secretary_a1", "secretary", VILLAGE_A1, phone="13912345678"),
        "secretary_b1": make_user(session, "secretary_b1", "secretary", VILLAGE_B1),
        "inspector": make_user(session, "inspector", "inspector", COUNTY),
    }
    for who, village in (("secretary_a1", VILLAGE_A1), ("secretary_b1", VILLAGE_B1)):
        user_id = county.users[who].id
        assert user_id is not None
        session.add(
            Assignment(
                user_id=user_id,
                village_code=village,
                position="first_secretary",
                dispatch_unit="县财政局",
                start_date=dt.date(2026, 1, 1),
            )
        )
    session.commit()
    county.households = {
        VILLAGE_A1: make_household(session, VILLAGE_A1, "0001", "王建国", phone="13712345678", tags=["脱贫户"]),
        VILLAGE_A2: make_household(session, VILLAGE_A2, "0001", "李秀英"),
        VILLAGE_B1: make_household(session, VILLAGE_B1, "0001", "张伟", group_name="第二村民小组"),
    }
    return county


def jpeg(seed: int = 1, size: tuple[int, int] = (96, 64), taken_at: str | None = None) -> bytes:
    """A small photo-like JPEG (a pattern that differs by ``seed``), with an EXIF time if given."""
    import io
    import random

    from PIL import Image

    rng = random.Random(seed)
    picture = Image.new("RGB", size)
    picture.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size[0] * size[1])])
    picture = picture.resize((size[0] // 8, size[1] // 8)).resize(size)  # blocks, so the dHash is stable
    exif = Image.Exif()
    if taken_at:
        exif.get_ifd(0x8769)[0x9003] = taken_at  # DateTimeOriginal, "YYYY:MM:DD HH:MM:SS"
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def upload_photo(client: Any, headers: dict[str, str], data: bytes) -> str:
    """Upload a photo as the phone does; return its id."""
    import uuid

    photo_id = str(uuid.uuid4())
    response = client.post(
        "/api/v1/photos", data={"id": photo_id}, files={"file": ("p.jpg", data, "image/jpeg")}, headers=headers
    )
    assert response.status_code == 201, response.text
    return photo_id
