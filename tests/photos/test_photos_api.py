"""``/api/v1/photos`` end to end: upload once, serve clean JPEGs, refuse bad files storing nothing.

Every picture is drawn in memory with Pillow, with exactly the EXIF a phone would have written.
What the service stored is checked twice over: the ``Photo`` rows in the database, and the
files under the media folder (``settings.data_dir / "media"``), walked on disk.
"""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3
import struct
import uuid
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from api.photos import imaging
from api.photos.models import Photo, PhotoHashBand
from api.settings import Settings
from tests.factories import TOWN_A, VILLAGE_A1, County, make_county
from tests.photos.pictures import scene
from tests.problems import assert_problem

PHOTOS_URL = "/api/v1/photos"

ORIENTATION = 0x0112
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4

RED, BLUE = (220, 20, 20), (20, 20, 220)


# --- pictures --------------------------------------------------------------------------------


def jpeg(
    picture: Image.Image,
    *,
    quality: int = 90,
    taken: str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
) -> bytes:
    """``picture`` as a JPEG with the given EXIF: DateTimeOriginal (+ offset), GPS, orientation."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
    if offset is not None:
        exif.get_ifd(EXIF_IFD)[OFFSET_TIME_ORIGINAL] = offset
    if gps is not None:
        lat, lon = gps
        exif.get_ifd(GPS_IFD).update(
            {
                GPS_LAT_REF: "N" if lat >= 0 else "S",
                GPS_LAT: _dms(abs(lat)),
                GPS_LON_REF: "E" if lon >= 0 else "W",
                GPS_LON: _dms(abs(lon)),
            }
        )
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if len(exif) or exif.get_ifd(EXIF_IFD) or exif.get_ifd(GPS_IFD):
        options["exif"] = exif.tobytes()
    picture.save(out, "JPEG", **options)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def png_declaring(width: int, height: int) -> bytes:
    """A real 1×1 PNG made by Pillow whose IHDR is patched to claim ``width``×``height``."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1), RED).save(out, "PNG")
    data = bytearray(out.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@cache
def sixty_megapixels() -> bytes:
    """A real 10000×6000 (60 MP) one-colour JPEG: small in bytes, too many pixels."""
    out = io.BytesIO()
    Image.new("L", (10000, 6000), 128).save(out, "JPEG", quality=50)
    return out.getvalue()


@cache
def camera_photo() -> bytes:
    """A 4000×3000 camera JPEG lying on its side (orientation 6): red left half, blue right half."""
    picture = Image.new("RGB", (4000, 3000), BLUE)
    picture.paste(RED, (0, 0, 2000, 3000))
    return jpeg(picture, orientation=6, taken="2026:05:01 09:30:00", gps=(26.5, 106.7))


def opened(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "JPEG"
    picture.load()
    return picture


def rgb_at(picture: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = picture.getpixel(xy)
    assert isinstance(pixel, tuple)
    red, green, blue = pixel[:3]
    return red, green, blue


def near(actual: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - e) <= 12 for a, e in zip(actual, expected, strict=True))


# --- requests and what was stored -------------------------------------------------------------


def upload(
    client: TestClient,
    headers: Mapping[str, str],
    data: bytes,
    photo_id: str | None = None,
    *,
    filename: str = "IMG_0001.jpg",
    content_type: str = "image/jpeg",
    field: str = "file",
    capture: Mapping[str, str] | None = None,
) -> httpx.Response:
    form = {"id": photo_id or str(uuid.uuid4()), **(capture or {})}
    response: httpx.Response = client.post(
        PHOTOS_URL, data=form, files={field: (filename, data, content_type)}, headers=dict(headers)
    )
    return response


def media_files(settings: Settings) -> list[Path]:
    """Every file under the app's media folder (temporary files included)."""
    root = settings.data_dir / "media"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def photo_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Photo)).one()


@pytest.fixture
def county(session: Session) -> County:
    return make_county(session)


@pytest.fixture
def secretary(county: County) -> dict[str, str]:
    return county.headers("secretary_a1")


# --- upload ----------------------------------------------------------------------------------


def test_upload_answers_the_facts_read_from_exif(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())
    data = jpeg(scene(1), taken="2026:05:01 09:30:00", offset="+08:00", gps=(26.5, -106.75))

    response = upload(client, secretary, data, photo_id)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body.keys() == {"id", "sha256", "width", "height", "taken_at", "exif_lat", "exif_lon", "near_duplicates"}
    assert body["id"] == photo_id
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["width"], body["height"]) == (640, 480)
    assert datetime.fromisoformat(body["taken_at"]) == datetime(2026, 5, 1, 1, 30, tzinfo=UTC)
    assert body["exif_lat"] == pytest.approx(26.5, abs=1e-6)
    assert body["exif_lon"] == pytest.approx(-106.75, abs=1e-6)
    assert body["near_duplicates"] == []
    assert photo_count(session) == 1
    assert len(media_files(settings)) == 2  # display and thumbnail; the original is not kept


def test_exif_time_without_offset_is_read_in_the_deployment_time_zone(
    client: TestClient, secretary: dict[str, str]
) -> None:
    response = upload(client, secretary, jpeg(scene(2), taken="2026:05:01 09:30:00"))

    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["taken_at"]) == datetime(2026, 5, 1, 1, 30, tzinfo=UTC)


def test_a_photo_without_exif_has_no_time_and_no_place(client: TestClient, secretary: dict[str, str]) -> None:
    response = upload(client, secretary, jpeg(scene(3)))

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["taken_at"], body["exif_lat"], body["exif_lon"]) == (None, None, None)


def test_the_same_id_and_bytes_again_is_200_with_the_same_body_and_no_second_row(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())
    data = jpeg(scene(4), taken="2026:05:01 09:30:00", gps=(26.5, 106.7))
    first = upload(client, secretary, data, photo_id)
    assert first.status_code == 201, first.text
    files = media_files(settings)

    again = upload(client, secretary, data, photo_id)

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert photo_count(session) == 1
    assert media_files(settings) == files


def test_the_same_id_with_other_bytes_is_409_and_the_original_is_untouched(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())
    first = upload(client, secretary, jpeg(scene(5)), photo_id)
    assert first.status_code == 201, first.text
    files = {path: path.read_bytes() for path in media_files(settings)}
    display = client.get(f"{PHOTOS_URL}/{photo_id}", headers=secretary).content

    conflict = upload(client, secretary, jpeg(scene(6)), photo_id)

    assert_problem(conflict, 409)
    assert photo_count(session) == 1
    stored = session.get(Photo, photo_id)
    assert stored is not None
    assert stored.sha256 == first.json()["sha256"]
    assert {path: path.read_bytes() for path in media_files(settings)} == files
    assert client.get(f"{PHOTOS_URL}/{photo_id}", headers=secretary).content == display
    assert upload(client, secretary, jpeg(scene(5)), photo_id).json() == first.json()


def test_the_same_bytes_under_another_id_names_the_first_as_a_near_duplicate(
    client: TestClient, session: Session, secretary: dict[str, str]
) -> None:
    data = jpeg(scene(7))
    first = upload(client, secretary, data)
    assert first.status_code == 201, first.text

    second = upload(client, secretary, data)

    assert second.status_code == 201, second.text
    assert second.json()["sha256"] == first.json()["sha256"]
    assert second.json()["near_duplicates"] == [first.json()["id"]]
    assert photo_count(session) == 2


def test_a_re_encoded_copy_is_a_near_duplicate_and_another_picture_is_not(
    client: TestClient, secretary: dict[str, str]
) -> None:
    picture = scene(8)
    first = upload(client, secretary, jpeg(picture, quality=95))
    assert first.status_code == 201, first.text

    copy = upload(client, secretary, jpeg(picture, quality=60))
    other = upload(client, secretary, jpeg(scene(9), quality=95))

    assert copy.status_code == 201, copy.text
    assert copy.json()["sha256"] != first.json()["sha256"]
    assert first.json()["id"] in copy.json()["near_duplicates"]
    assert other.status_code == 201, other.text
    assert other.json()["near_duplicates"] == []


def test_near_duplicates_are_looked_for_in_the_uploaders_county_only(
    client: TestClient, session: Session, secretary: dict[str, str]
) -> None:
    data = jpeg(scene(10))
    first = upload(client, secretary, data)
    assert first.status_code == 201, first.text
    stored = session.get(Photo, first.json()["id"])
    assert stored is not None
    stored.county_code = "530100000000"  # as if uploaded in another county
    session.add(stored)
    for band in session.exec(select(PhotoHashBand).where(PhotoHashBand.photo_id == stored.id)):
        band.county_code = stored.county_code
        session.add(band)
    session.commit()

    second = upload(client, secretary, data)

    assert second.status_code == 201, second.text
    assert second.json()["near_duplicates"] == []


def test_ten_copies_at_once_make_one_photo(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())
    data = jpeg(scene(20))

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: upload(client, secretary, data, photo_id), range(10)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 9 + [201], [response.text for response in responses]
    assert len({response.text for response in responses}) == 1
    assert photo_count(session) == 1
    assert len(media_files(settings)) == 2


def test_ten_different_photos_racing_under_one_id_keep_one_and_only_its_files(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())
    uploads = [jpeg(scene(30 + n)) for n in range(10)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda data: upload(client, secretary, data, photo_id), uploads))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 9, [response.text for response in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409)
    winner = next(response.json() for response in responses if response.status_code == 201)
    assert photo_count(session) == 1
    stored = session.get(Photo, photo_id)
    assert stored is not None
    assert stored.sha256 == winner["sha256"]
    root = settings.data_dir / "media"
    assert sorted(str(path.relative_to(root)) for path in media_files(settings)) == sorted(
        [stored.display_key, stored.thumb_key]
    )
    assert opened(client.get(f"{PHOTOS_URL}/{photo_id}", headers=secretary)).size == (640, 480)


def test_no_database_lock_is_held_while_the_pixels_are_worked(
    client: TestClient, settings: Settings, secretary: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoding a photo takes long; SQLite's one write lock must be free meanwhile for others."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("the write lock in question is SQLite's")
    database = url.database
    assert database
    others_could_write: list[bool] = []

    def process_while_another_writes(*args: Any, **kwargs: Any) -> Any:
        other = sqlite3.connect(database, timeout=0.05, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            others_could_write.append(True)
        except sqlite3.OperationalError:
            others_could_write.append(False)
        finally:
            other.close()
        return imaging.process_photo(*args, **kwargs)

    monkeypatch.setattr("api.photos.service.process_photo", process_while_another_writes)

    response = upload(client, secretary, jpeg(scene(21)))

    assert response.status_code == 201, response.text
    assert others_could_write == [True]


# --- capture facts the phone sends with a shrunk photo ----------------------------------------

# The phone draws the photo on a canvas to shrink it, which drops the EXIF; it sends what it read
# from the original file as form fields instead.
PHONE_SAYS = {"taken_at": "2026-05-01T09:30:00+08:00", "exif_lat": "26.58", "exif_lon": "106.71"}


def test_capture_facts_sent_with_a_photo_without_exif_are_stored_and_answered(
    client: TestClient, session: Session, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())

    response = upload(client, secretary, jpeg(scene(40)), photo_id, capture=PHONE_SAYS)

    assert response.status_code == 201, response.text
    body = response.json()
    assert datetime.fromisoformat(body["taken_at"]) == datetime(2026, 5, 1, 1, 30, tzinfo=UTC)
    assert (body["exif_lat"], body["exif_lon"]) == (26.58, 106.71)
    session.expire_all()
    stored = session.get(Photo, photo_id)
    assert stored is not None
    assert stored.taken_at == datetime(2026, 5, 1, 1, 30, tzinfo=UTC)
    assert (stored.exif_lat, stored.exif_lon) == (26.58, 106.71)


def test_the_files_own_exif_wins_over_what_the_phone_says(client: TestClient, secretary: dict[str, str]) -> None:
    data = jpeg(scene(41), taken="2026:04:30 18:00:00", offset="+08:00", gps=(26.5, 106.7))

    response = upload(client, secretary, data, capture=PHONE_SAYS)

    assert response.status_code == 201, response.text
    body = response.json()
    assert datetime.fromisoformat(body["taken_at"]) == datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
    assert body["exif_lat"] == pytest.approx(26.5, abs=1e-6)
    assert body["exif_lon"] == pytest.approx(106.7, abs=1e-6)


def test_the_phone_fills_in_only_what_the_file_lacks(client: TestClient, secretary: dict[str, str]) -> None:
    time_only = upload(client, secretary, jpeg(scene(42), taken="2026:04:30 18:00:00"), capture=PHONE_SAYS)
    place_only = upload(client, secretary, jpeg(scene(43), gps=(26.5, 106.7)), capture=PHONE_SAYS)

    assert time_only.status_code == 201, time_only.text
    assert datetime.fromisoformat(time_only.json()["taken_at"]) == datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
    assert (time_only.json()["exif_lat"], time_only.json()["exif_lon"]) == (26.58, 106.71)
    assert place_only.status_code == 201, place_only.text
    assert datetime.fromisoformat(place_only.json()["taken_at"]) == datetime(2026, 5, 1, 1, 30, tzinfo=UTC)
    assert place_only.json()["exif_lat"] == pytest.approx(26.5, abs=1e-6)


def test_capture_facts_are_optional_and_empty_fields_count_as_absent(
    client: TestClient, secretary: dict[str, str]
) -> None:
    time_only = upload(client, secretary, jpeg(scene(44)), capture={"taken_at": PHONE_SAYS["taken_at"]})
    empty = upload(client, secretary, jpeg(scene(45)), capture={"taken_at": "", "exif_lat": "", "exif_lon": ""})

    assert time_only.status_code == 201, time_only.text
    assert (time_only.json()["exif_lat"], time_only.json()["exif_lon"]) == (None, None)
    assert empty.status_code == 201, empty.text
    assert (empty.json()["taken_at"], empty.json()["exif_lat"], empty.json()["exif_lon"]) == (None, None, None)


def test_a_capture_time_just_inside_the_future_tolerance_is_accepted(
    client: TestClient, settings: Settings, secretary: dict[str, str]
) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=settings.future_tolerance_s - 60)

    response = upload(client, secretary, jpeg(scene(46)), capture={"taken_at": soon.isoformat()})

    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["taken_at"]) == soon


def test_a_resend_with_capture_facts_is_200_with_the_same_body(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())
    data = jpeg(scene(47))
    first = upload(client, secretary, data, photo_id, capture=PHONE_SAYS)
    assert first.status_code == 201, first.text
    files = media_files(settings)

    again = upload(client, secretary, data, photo_id, capture=PHONE_SAYS)

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert photo_count(session) == 1
    assert media_files(settings) == files


def _in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


BAD_CAPTURE: dict[str, tuple[Callable[[], dict[str, str]], str]] = {
    "latitude without longitude": (lambda: {"exif_lat": "26.58"}, "exif_lon"),
    "longitude without latitude": (lambda: {"exif_lon": "106.71"}, "exif_lat"),
    "latitude past the pole": (lambda: {"exif_lat": "90.5", "exif_lon": "106.71"}, "exif_lat"),
    "longitude past the date line": (lambda: {"exif_lat": "26.58", "exif_lon": "-180.5"}, "exif_lon"),
    "latitude not a number": (lambda: {"exif_lat": "北纬26度", "exif_lon": "106.71"}, "exif_lat"),
    "latitude NaN": (lambda: {"exif_lat": "nan", "exif_lon": "106.71"}, "exif_lat"),
    "time without offset": (lambda: {"taken_at": "2026-05-01T09:30:00"}, "taken_at"),
    "time not a time": (lambda: {"taken_at": "昨天上午"}, "taken_at"),
    "time in the future": (lambda: {"taken_at": _in_an_hour()}, "taken_at"),
}


@pytest.mark.parametrize("kind", list(BAD_CAPTURE))
def test_bad_capture_facts_are_a_422_problem_and_nothing_is_stored(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str], kind: str
) -> None:
    make, field = BAD_CAPTURE[kind]

    response = upload(client, secretary, jpeg(scene(48)), capture=make())

    body = assert_problem(response, 422)
    assert body["type"] == "/problems/validation"
    assert [error["loc"] for error in body["errors"]] == [["body", field]]
    assert all(re.search(r"[\u4e00-\u9fff]", error["msg"]) for error in body["errors"]), body
    assert photo_count(session) == 0
    assert media_files(settings) == []


def test_a_phone_shrunk_photo_far_from_the_visit_time_is_flagged(client: TestClient, session: Session) -> None:
    """The time check works for photos whose EXIF the phone dropped, from the time it sent along."""
    county = make_county(session)
    headers = county.headers("secretary_a1")
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    on_time = upload(client, headers, jpeg(scene(49)), capture={"taken_at": started.isoformat()})
    stale = upload(client, headers, jpeg(scene(50)), capture={"taken_at": (started - timedelta(days=3)).isoformat()})
    assert on_time.status_code == stale.status_code == 201, (on_time.text, stale.text)

    checks = []
    for photo in (on_time, stale):
        visit = {
            "id": str(uuid.uuid4()),
            "kind": "home_visit",
            "household_id": county.households[VILLAGE_A1].id,
            "started_at": started.isoformat(),
            "lat": 26.5,
            "lon": 106.7,
            "accuracy_m": 15,
            "notes": "了解了家里的收入情况。",
            "photo_ids": [photo.json()["id"]],
        }
        response = client.post("/api/v1/visits", json=visit, headers=headers)
        assert response.status_code == 201, response.text
        checks.append(response.json()["checks"])
        started += timedelta(minutes=30)  # well apart, so the pace check stays quiet

    assert checks == [[], ["photo_time_mismatch"]]


# --- serving ---------------------------------------------------------------------------------


def test_display_and_thumbnail_are_upright_small_jpegs_without_metadata(
    client: TestClient, secretary: dict[str, str]
) -> None:
    uploaded = upload(client, secretary, camera_photo())
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert (body["width"], body["height"]) == (3000, 4000)  # as seen, not as stored
    assert body["exif_lat"] == pytest.approx(26.5, abs=1e-6)

    display = opened(client.get(f"{PHOTOS_URL}/{body['id']}", headers=secretary))
    thumb = opened(client.get(f"{PHOTOS_URL}/{body['id']}/thumb", headers=secretary))

    assert display.size == (1200, 1600)
    assert thumb.size == (240, 320)
    # Orientation 6: the stored picture turns a quarter clockwise, its left half goes on top.
    for picture in (display, thumb):
        w, h = picture.size
        assert near(rgb_at(picture, (w // 2, h // 8)), RED)
        assert near(rgb_at(picture, (w // 2, h * 7 // 8)), BLUE)
        exif = picture.getexif()
        assert len(exif) == 0
        assert not exif.get_ifd(GPS_IFD)
        assert not exif.get_ifd(EXIF_IFD)
        assert "exif" not in picture.info
        assert "xmp" not in picture.info


def test_small_photos_are_not_enlarged(client: TestClient, secretary: dict[str, str]) -> None:
    uploaded = upload(client, secretary, jpeg(scene(11, (300, 200))))
    assert uploaded.status_code == 201, uploaded.text
    photo_id = uploaded.json()["id"]

    assert opened(client.get(f"{PHOTOS_URL}/{photo_id}", headers=secretary)).size == (300, 200)
    assert opened(client.get(f"{PHOTOS_URL}/{photo_id}/thumb", headers=secretary)).size == (300, 200)


@pytest.mark.parametrize("suffix", ["", "/thumb"])
def test_who_may_see_an_unattached_photo(client: TestClient, county: County, suffix: str) -> None:
    uploaded = upload(client, county.headers("secretary_a1"), jpeg(scene(12)))
    assert uploaded.status_code == 201, uploaded.text
    url = f"{PHOTOS_URL}/{uploaded.json()['id']}{suffix}"

    assert opened(client.get(url, headers=county.headers("secretary_a1"))).size[0] > 0
    assert opened(client.get(url, headers=county.headers("admin"))).size[0] > 0
    assert_problem(client.get(url, headers=county.headers("secretary_b1")), 404)
    assert_problem(client.get(url, headers=county.headers("town_b")), 404)
    assert_problem(client.get(url), 401)


def test_an_unknown_photo_is_404(client: TestClient, secretary: dict[str, str]) -> None:
    assert_problem(client.get(f"{PHOTOS_URL}/{uuid.uuid4()}", headers=secretary), 404)
    assert_problem(client.get(f"{PHOTOS_URL}/{uuid.uuid4()}/thumb", headers=secretary), 404)
    assert_problem(client.get(f"{PHOTOS_URL}/not-a-uuid", headers=secretary), 422)


# --- bad uploads: a problem, and nothing stored ------------------------------------------------


def truncated_jpeg() -> bytes:
    data = jpeg(scene(13))
    return data[: len(data) // 2]


BAD_FILES: dict[str, tuple[Callable[[], bytes], str, int]] = {
    "empty": (lambda: b"", "IMG_0001.jpg", 422),
    "text named .jpg": (lambda: "这不是照片，是一段文字。\n".encode() * 20, "IMG_0001.jpg", 422),
    "truncated JPEG": (truncated_jpeg, "IMG_0001.jpg", 422),
    "PNG bomb 30000×30000": (lambda: png_declaring(30000, 30000), "bomb.png", 413),
    "60 MP": (sixty_megapixels, "IMG_0001.jpg", 413),
    "over 15 MB": (lambda: b"\xff\xd8\xff\xe0" + b"\0" * (15 * 1024 * 1024 + 1 - 4), "IMG_0001.jpg", 413),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_a_problem_and_nothing_is_stored(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str], kind: str
) -> None:
    make, filename, status = BAD_FILES[kind]

    response = upload(client, secretary, make(), filename=filename)

    assert_problem(response, status)
    assert photo_count(session) == 0
    assert media_files(settings) == []


def test_a_bad_file_under_a_used_id_leaves_the_photo_alone(
    client: TestClient, session: Session, settings: Settings, secretary: dict[str, str]
) -> None:
    photo_id = str(uuid.uuid4())
    first = upload(client, secretary, jpeg(scene(14)), photo_id)
    assert first.status_code == 201, first.text
    files = {path: path.read_bytes() for path in media_files(settings)}

    response = upload(client, secretary, truncated_jpeg(), photo_id)

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert photo_count(session) == 1
    assert {path: path.read_bytes() for path in media_files(settings)} == files


@pytest.mark.parametrize(
    ("form", "files"),
    [
        pytest.param({"id": "0f4c5e1a-3b9d-4c2e-8a7f-1d2e3f4a5b6c"}, "photo", id="field named photo"),
        pytest.param({}, "file", id="missing id"),
        pytest.param({"id": "IMG_0001"}, "file", id="id not a UUID"),
        pytest.param({"id": ""}, "file", id="empty id"),
    ],
)
def test_a_malformed_form_is_422_and_nothing_is_stored(
    client: TestClient,
    session: Session,
    settings: Settings,
    secretary: dict[str, str],
    form: dict[str, str],
    files: str,
) -> None:
    response = client.post(
        PHOTOS_URL, data=form, files={files: ("IMG_0001.jpg", jpeg(scene(15)), "image/jpeg")}, headers=secretary
    )

    body = assert_problem(response, 422)
    assert body["errors"]
    assert photo_count(session) == 0
    assert media_files(settings) == []


def test_no_file_at_all_is_422(client: TestClient, session: Session, secretary: dict[str, str]) -> None:
    response = client.post(PHOTOS_URL, data={"id": str(uuid.uuid4())}, headers=secretary)

    assert_problem(response, 422)
    assert photo_count(session) == 0


def test_an_upload_without_a_token_is_401(client: TestClient, session: Session, settings: Settings) -> None:
    assert_problem(upload(client, {}, jpeg(scene(16))), 401)
    assert_problem(upload(client, {"Authorization": "Bearer nonsense"}, jpeg(scene(16))), 401)
    assert photo_count(session) == 0
    assert media_files(settings) == []


def test_an_api_token_may_not_upload(
    client: TestClient, session: Session, settings: Settings, county: County, secretary: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/api-tokens", json={"name": "督查组脚本", "scope_code": TOWN_A}, headers=county.headers("county")
    )
    assert created.status_code == 201, created.text
    token = {"Authorization": f"Bearer {created.json()['token']}"}

    assert_problem(upload(client, token, jpeg(scene(17))), 403)
    assert photo_count(session) == 0
    assert media_files(settings) == []


# --- failures after the files were written ------------------------------------------------------


@pytest.fixture
def lenient_client(client: TestClient) -> TestClient:
    """The same app, answering an unexpected error with its 500 instead of raising it here."""
    return TestClient(client.app, raise_server_exceptions=False)


def test_a_failed_insert_leaves_no_orphan_file(
    lenient_client: TestClient,
    session: Session,
    settings: Settings,
    secretary: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> set[Any]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("api.photos.service.insert_new", refuse)

    response = upload(lenient_client, secretary, jpeg(scene(18)))

    assert_problem(response, 500)
    assert photo_count(session) == 0
    assert media_files(settings) == []


def test_a_failure_after_the_insert_rolls_back_and_removes_the_files(
    lenient_client: TestClient,
    session: Session,
    settings: Settings,
    secretary: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(_photo: Photo) -> None:
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr("api.photos.router._public", broken)
    photo_id = str(uuid.uuid4())

    response = upload(lenient_client, secretary, jpeg(scene(19)), photo_id)

    assert_problem(response, 500)
    assert photo_count(session) == 0
    assert media_files(settings) == []
    monkeypatch.undo()
    retried = upload(lenient_client, secretary, jpeg(scene(19)), photo_id)
    assert retried.status_code == 201, retried.text
    assert len(media_files(settings)) == 2
