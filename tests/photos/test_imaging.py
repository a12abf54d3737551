"""The photo pipeline on its own: bytes in, facts and clean JPEGs out, no database.

Every picture is drawn in memory with Pillow (EXIF written through ``Image.Exif``), so each test
states exactly what a phone would have sent. Expected corner positions for the eight EXIF
orientations are written out from the EXIF specification's wording rather than computed with
the same transpose table the code uses.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageCms, ImageDraw, ImageEnhance, JpegImagePlugin, TiffImagePlugin

from api.photos.imaging import NotAnImage, ProcessedPhoto, TooManyPixels, hamming, process_photo
from tests.photos.pictures import scene

SHANGHAI = ZoneInfo("Asia/Shanghai")

ORIENTATION, DATETIME = 0x0112, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011

RED, BLUE, GREY = (220, 20, 20), (20, 20, 220), (128, 128, 128)


def encode(picture: Image.Image, fmt: str = "JPEG", exif: Image.Exif | None = None, **options: object) -> bytes:
    out = io.BytesIO()
    if exif is not None:
        options["exif"] = exif.tobytes()
    picture.save(out, fmt, **options)
    return out.getvalue()


def make_exif(
    *,
    orientation: int | None = None,
    original: str | None = None,
    offset: str | None = None,
    datetime_tag: str | None = None,
    gps: Mapping[int, object] | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if datetime_tag is not None:
        exif[DATETIME] = datetime_tag
    if original is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = original
    if offset is not None:
        exif.get_ifd(EXIF_IFD)[OFFSET_TIME_ORIGINAL] = offset
    if gps is not None:
        exif.get_ifd(GPS_IFD).update(gps)
    return exif


def rgb_at(picture: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = picture.getpixel(xy)
    assert isinstance(pixel, tuple)
    red, green, blue = pixel
    return red, green, blue


def process(data: bytes, **options: int) -> ProcessedPhoto:
    return process_photo(data, local_tz=SHANGHAI, **options)


def reopen(jpeg: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(jpeg))
    assert picture.format == "JPEG"
    picture.load()
    return picture


def png_declaring(width: int, height: int) -> bytes:
    """A well-formed PNG header claiming ``width``×``height`` RGB, with a token IDAT."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_each_accepted_format_gives_rgb_jpegs_and_the_same_picture(fmt: str) -> None:
    picture = scene(1)
    data = encode(picture, fmt, quality=95) if fmt != "PNG" else encode(picture, fmt)

    photo = process(data)

    assert (photo.width, photo.height) == (640, 480)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    display, thumb = reopen(photo.display), reopen(photo.thumb)
    assert (display.mode, display.size) == ("RGB", (640, 480))
    assert (thumb.mode, thumb.size) == ("RGB", (320, 240))
    assert 0 <= photo.dhash < 2**64
    assert hamming(photo.dhash, process(encode(picture, "PNG")).dhash) <= 2


def test_heic_from_pillow_heif_is_a_real_heif_file() -> None:
    data = encode(scene(2), "HEIF", quality=80)
    assert data[4:12] in (b"ftypheic", b"ftypmif1")
    assert process(data).width == 640


def test_png_transparency_is_flattened_on_white() -> None:
    picture = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(picture).rectangle((0, 0, 99, 99), fill=(200, 0, 0, 255))

    display = reopen(process(encode(picture, "PNG")).display)

    assert display.mode == "RGB"
    assert min(rgb_at(display, (170, 50))) > 245
    red, green, blue = rgb_at(display, (30, 50))
    assert red > 180
    assert max(green, blue) < 30


def test_palette_png_with_a_transparent_index_is_flattened_on_white() -> None:
    picture = Image.new("P", (120, 80), 0)
    picture.putpalette([0, 0, 0, 0, 160, 0] + [0] * 762)
    ImageDraw.Draw(picture).rectangle((0, 0, 59, 79), fill=1)

    display = reopen(process(encode(picture, "PNG", transparency=0)).display)

    assert min(rgb_at(display, (100, 40))) > 245
    assert rgb_at(display, (20, 40))[1] > 130


@pytest.mark.parametrize("mode", ["CMYK", "L"])
def test_cmyk_and_greyscale_jpegs_become_rgb(mode: str) -> None:
    data = encode(scene(3).convert(mode), "JPEG", quality=90)
    assert Image.open(io.BytesIO(data)).mode == mode

    display = reopen(process(data).display)

    assert display.mode == "RGB"


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped() -> None:
    picture = Image.new("I;16", (64, 64), 0x8000)
    assert Image.open(io.BytesIO(encode(picture, "PNG"))).mode == "I;16"

    red, green, blue = rgb_at(reopen(process(encode(picture, "PNG")).display), (32, 32))

    assert 120 <= red <= 136
    assert red == green == blue


# --- orientation -----------------------------------------------------------------------------

# Stored pixels: 300×200, a red block in the stored top-left corner and a blue one in the
# stored top-right corner. EXIF says where the stored 0th row and 0th column belong visually
# (e.g. orientation 6: "0th row is the visual right-hand side, 0th column the visual top"), so
# these are the corners where the blocks must be seen.
CORNERS = {
    1: ("top-left", "top-right"),
    2: ("top-right", "top-left"),
    3: ("bottom-right", "bottom-left"),
    4: ("bottom-left", "bottom-right"),
    5: ("top-left", "bottom-left"),
    6: ("top-right", "bottom-right"),
    7: ("bottom-right", "top-right"),
    8: ("bottom-left", "top-left"),
}


def marked(size: tuple[int, int] = (300, 200)) -> Image.Image:
    picture = Image.new("RGB", size, GREY)
    draw = ImageDraw.Draw(picture)
    block = min(size) // 4
    draw.rectangle((0, 0, block, block), fill=RED)
    draw.rectangle((size[0] - 1 - block, 0, size[0] - 1, block), fill=BLUE)
    return picture


def colour_at(picture: Image.Image, corner: str) -> str:
    inset = min(picture.size) // 12
    x = inset if corner.endswith("left") else picture.width - 1 - inset
    y = inset if corner.startswith("top") else picture.height - 1 - inset
    red, _, blue = rgb_at(picture, (x, y))
    if red > 150 and blue < 100:
        return "red"
    if blue > 150 and red < 100:
        return "blue"
    return "grey"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation: int) -> None:
    data = encode(marked(), "JPEG", make_exif(orientation=orientation), quality=95)

    photo = process(data)

    expected_size = (200, 300) if orientation >= 5 else (300, 200)
    assert (photo.width, photo.height) == expected_size
    display, thumb = reopen(photo.display), reopen(photo.thumb)
    assert display.size == expected_size
    red_corner, blue_corner = CORNERS[orientation]
    for picture in (display, thumb):
        assert colour_at(picture, red_corner) == "red"
        assert colour_at(picture, blue_corner) == "blue"


def test_orientation_applies_to_a_large_photo_decoded_at_reduced_size() -> None:
    data = encode(marked((4000, 3000)), "JPEG", make_exif(orientation=6), quality=85)

    photo = process(data)

    assert (photo.width, photo.height) == (3000, 4000)
    display = reopen(photo.display)
    assert display.size == (1200, 1600)
    assert colour_at(display, "top-right") == "red"
    assert colour_at(display, "bottom-right") == "blue"


def test_jpeg_draft_box_follows_the_stored_aspect(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 4000×3000 JPEG lying on its side is decoded at half size, not in full."""
    decoded: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(
        self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None
    ) -> tuple[str, tuple[int, int, float, float]] | None:
        result = original_draft(self, mode, size)
        decoded.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)

    process(encode(marked((4000, 3000)), "JPEG", make_exif(orientation=6), quality=85))

    assert decoded == [(2000, 1500)]


# --- capture time and GPS --------------------------------------------------------------------


def test_time_with_offset_uses_the_offset_not_the_local_zone() -> None:
    data = encode(scene(4), "JPEG", make_exif(original="2025:05:01 09:30:00", offset="-05:00"))

    assert process(data).taken_at == datetime(2025, 5, 1, 14, 30, tzinfo=UTC)


def test_time_without_offset_is_read_in_the_local_zone() -> None:
    data = encode(scene(4), "JPEG", make_exif(original="2025:05:01 09:30:00"))

    assert process(data).taken_at == datetime(2025, 5, 1, 1, 30, tzinfo=UTC)
    assert process_photo(data, local_tz=ZoneInfo("Asia/Urumqi")).taken_at == datetime(2025, 5, 1, 3, 30, tzinfo=UTC)


def test_datetime_is_the_fallback_when_the_original_time_is_missing_or_blank() -> None:
    fallback = make_exif(datetime_tag="2024:12:31 23:59:59")
    blank = make_exif(original="    :  :     :  :  ", datetime_tag="2024:12:31 23:59:59")

    for exif in (fallback, blank):
        assert process(encode(scene(4), "JPEG", exif)).taken_at == datetime(2024, 12, 31, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("refs", "expected"),
    [(("N", "E"), (30.26, 114.5)), (("S", "W"), (-30.26, -114.5))],
    ids=["north-east", "south-west"],
)
def test_gps_is_decoded_to_signed_decimal_degrees(refs: tuple[str, str], expected: tuple[float, float]) -> None:
    gps = {1: refs[0], 2: (30.0, 15.0, 36.0), 3: refs[1], 4: (114.0, 30.0, 0.0)}

    photo = process(encode(scene(5), "JPEG", make_exif(gps=gps)))

    assert photo.exif_lat == pytest.approx(expected[0])
    assert photo.exif_lon == pytest.approx(expected[1])


@pytest.mark.parametrize(
    "gps",
    [
        {2: (30.0, 15.0, 36.0), 3: "E", 4: (114.0, 30.0, 0.0)},
        {1: "N", 2: (30.0, 15.0, 36.0), 3: "E"},
        {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (114.0, 30.0, 0.0)},
        {1: "X", 2: (30.0, 15.0, 36.0), 3: "E", 4: (114.0, 30.0, 0.0)},
        {1: "N", 2: (TiffImagePlugin.IFDRational(30, 0), 0.0, 0.0), 3: "E", 4: (114.0, 30.0, 0.0)},
    ],
    ids=["no-hemisphere", "no-longitude", "latitude-over-90", "bad-hemisphere", "zero-denominator"],
)
def test_malformed_gps_gives_none(gps: Mapping[int, object]) -> None:
    photo = process(encode(scene(5), "JPEG", make_exif(gps=gps)))

    assert (photo.exif_lat, photo.exif_lon) == (None, None)


def test_no_exif_gives_nones() -> None:
    photo = process(encode(scene(6), "JPEG"))

    assert (photo.taken_at, photo.exif_lat, photo.exif_lon) == (None, None, None)


def test_nothing_of_the_uploads_metadata_survives() -> None:
    exif = make_exif(
        orientation=3,
        original="2025:05:01 09:30:00",
        gps={1: "N", 2: (30.0, 15.0, 36.0), 3: "E", 4: (114.0, 30.0, 0.0)},
    )
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    data = encode(scene(7), "JPEG", exif, icc_profile=icc, xmp=xmp, quality=90)
    assert b"PhoneMaker" in data

    photo = process(data)

    assert photo.taken_at is not None
    assert photo.exif_lat is not None
    for jpeg in (photo.display, photo.thumb):
        picture = reopen(jpeg)
        assert len(picture.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp"} & set(picture.info)
        assert b"Exif\x00\x00" not in jpeg
        assert b"PhoneMaker" not in jpeg
        assert b"xmpmeta" not in jpeg


# --- sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "display_size", "thumb_size"),
    [
        ((4000, 3000), (1600, 1200), (320, 240)),
        ((800, 600), (800, 600), (320, 240)),
        ((1000, 4000), (400, 1600), (80, 320)),
        ((100, 50), (100, 50), (100, 50)),
    ],
)
def test_sizes_are_capped_and_never_upscaled(
    size: tuple[int, int], display_size: tuple[int, int], thumb_size: tuple[int, int]
) -> None:
    photo = process(encode(marked(size), "JPEG", quality=85))

    assert (photo.width, photo.height) == size
    assert reopen(photo.display).size == display_size
    assert reopen(photo.thumb).size == thumb_size


# --- near duplicates -------------------------------------------------------------------------


def test_dhash_survives_recompression() -> None:
    picture = scene(8)

    original = process(encode(picture, "JPEG", quality=92))
    recompressed = process(encode(picture, "JPEG", quality=60))

    assert original.sha256 != recompressed.sha256
    assert original.dhash == recompressed.dhash


def test_dhash_is_close_for_a_brightened_copy_and_far_for_another_picture() -> None:
    picture = scene(9)
    base = process(encode(picture, "JPEG", quality=90)).dhash

    brighter = process(encode(ImageEnhance.Brightness(picture).enhance(1.15), "JPEG", quality=90)).dhash
    other = process(encode(scene(10), "JPEG", quality=90)).dhash

    assert hamming(base, brighter) <= 6
    assert hamming(base, other) > 20


def test_dhash_is_taken_after_orientation() -> None:
    upright = scene(11, (4000, 3000))
    lying = upright.transpose(Image.Transpose.ROTATE_90)

    tagged = process(encode(lying, "JPEG", make_exif(orientation=6), quality=90))
    rotated = process(encode(upright, "JPEG", quality=90))

    assert (tagged.width, tagged.height) == (rotated.width, rotated.height) == (4000, 3000)
    assert tagged.dhash == rotated.dhash


def test_hamming_counts_differing_bits() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(0, 2**64 - 1) == 64


# --- refusals --------------------------------------------------------------------------------


def test_empty_file_is_not_an_image() -> None:
    with pytest.raises(NotAnImage):
        process(b"")


def test_text_named_jpg_is_not_an_image() -> None:
    with pytest.raises(NotAnImage):
        process("这不是照片，只是改了扩展名的文本。\n".encode())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_truncated_file_is_not_an_image(fmt: str) -> None:
    data = encode(scene(12), fmt)

    with pytest.raises(NotAnImage) as refused:
        process(data[: len(data) // 2])

    assert str(refused.value)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(fmt: str) -> None:
    with pytest.raises(NotAnImage):
        process(encode(scene(13), fmt))


@pytest.mark.parametrize(
    "size",
    [(30000, 30000), (10000, 10000), (8000, 7000)],
    ids=["over-pillow-error-limit", "over-pillow-warning-limit", "over-50-mp"],
)
def test_png_decompression_bomb_is_refused_from_its_header(size: tuple[int, int]) -> None:
    bomb = png_declaring(*size)
    assert len(bomb) < 200

    with pytest.raises(TooManyPixels) as refused:
        process(bomb)

    assert "像素" in str(refused.value)


def test_sixty_megapixel_photo_is_refused() -> None:
    data = encode(Image.new("L", (10000, 6000), 90), "PNG")
    assert Image.open(io.BytesIO(data)).size == (10000, 6000)

    with pytest.raises(TooManyPixels):
        process(data)


def test_pixel_limit_is_a_parameter_and_inclusive() -> None:
    data = encode(marked((1000, 1000)), "JPEG")

    assert process(data, max_pixels=1_000_000).width == 1000
    with pytest.raises(TooManyPixels):
        process(data, max_pixels=999_999)


# --- concurrency -----------------------------------------------------------------------------


def test_concurrent_calls_give_the_same_results_as_one_at_a_time() -> None:
    uploads = [encode(scene(seed), "JPEG", make_exif(orientation=1 + seed % 8)) for seed in range(12)]
    one_at_a_time = [process(data) for data in uploads]

    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(process, uploads))

    assert together == one_at_a_time


def test_encoding_without_an_in_memory_file_gives_the_same_jpegs(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(scene(14), "JPEG", make_exif(orientation=6))
    usual = process(data)

    monkeypatch.delattr(os, "memfd_create", raising=False)

    assert process(data) == usual
