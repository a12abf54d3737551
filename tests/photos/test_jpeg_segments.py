"""A photo the phone already shrank is kept as sent, without a byte of its metadata."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops, ImageCms

from api.photos import imaging
from api.photos.imaging import NotAnImage, hamming, process_photo
from api.photos.jpeg_segments import without_metadata
from tests.photos.pictures import scene

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _jpeg(picture: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", **options)
    return out.getvalue()


def _pixels(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.convert("RGB")


def _same_pixels(a: bytes, b: bytes) -> bool:
    return ImageChops.difference(_pixels(a), _pixels(b)).getbbox() is None


def _phone_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0132] = "2026:11:30 09:30:00"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (26.0, 30.0, 0.0), 3: "E", 4: (106.0, 42.0, 0.0)})
    return exif


def test_a_phone_shrunk_photo_keeps_its_very_pixels_and_gets_a_thumbnail() -> None:
    sent = _jpeg(scene(3, (1600, 1200)), quality=80)

    photo = process_photo(sent, local_tz=SHANGHAI)

    assert _same_pixels(photo.display, sent)
    assert len(photo.display) <= len(sent)
    assert (photo.width, photo.height) == (1600, 1200)
    assert _pixels(photo.thumb).size == (320, 240)


def test_the_kept_photo_hashes_like_a_re_encoded_one() -> None:
    """A photo kept as sent and the same photo re-encoded (say, sent again by an older phone)
    must still be recognised as the same picture."""
    picture = scene(4, (1600, 1200))
    kept = process_photo(_jpeg(picture, quality=80), local_tz=SHANGHAI)
    rotated_back = _jpeg(picture.transpose(Image.Transpose.ROTATE_90), quality=80, exif=_orientation(6))
    re_encoded = process_photo(rotated_back, local_tz=SHANGHAI)  # orientation: the decoding path

    assert kept.display != re_encoded.display
    assert hamming(kept.dhash, re_encoded.dhash) <= 4


def _orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def test_every_kind_of_metadata_is_dropped_and_still_read_first() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>GPS 26.5 106.7</rdf:RDF></x:xmpmeta>'
    body = _jpeg(scene(5), quality=85, exif=_phone_exif().tobytes(), icc_profile=icc, xmp=xmp, comment=b"owner: Li")
    sent = body + b"SEFT trailer: serial 123456"  # what some phones append after the image

    photo = process_photo(sent, local_tz=SHANGHAI)

    assert photo.taken_at is not None
    assert photo.exif_lat is not None
    assert _same_pixels(photo.display, body)
    for secret in (b"Exif\x00\x00", b"PhoneMaker", b"xmpmeta", b"owner: Li", b"SEFT", b"ICC_PROFILE"):
        assert secret in sent
        assert secret not in photo.display
    assert photo.display.endswith(b"\xff\xd9")


def test_a_progressive_photo_is_kept_too() -> None:
    sent = _jpeg(scene(6), quality=80, progressive=True)
    photo = process_photo(sent, local_tz=SHANGHAI)
    assert _same_pixels(photo.display, sent)


def test_a_photo_whose_channels_are_rgb_is_re_encoded_with_its_colours() -> None:
    """Adobe's marker can say the channels are RGB, not YCbCr; kept under a JFIF header, the
    picture would decode with the wrong colours (red shown as green)."""
    sent = _jpeg(Image.new("RGB", (64, 48), (200, 30, 30)), quality=95, keep_rgb=True)
    assert b"Adobe" in sent

    photo = process_photo(sent, local_tz=SHANGHAI)

    red, green, blue = _pixels(photo.display).getpixel((32, 24))  # type: ignore[misc]
    assert (red > 150, green < 80, blue < 80) == (True, True, True), (red, green, blue)
    assert b"Adobe" not in photo.display


def test_an_upright_photo_within_the_display_size_does_not_go_through_the_encoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoded: list[tuple[int, int]] = []
    real = imaging._jpeg

    def counting(picture: Image.Image, quality: int) -> bytes:
        encoded.append(picture.size)
        return real(picture, quality)

    monkeypatch.setattr(imaging, "_jpeg", counting)
    process_photo(_jpeg(scene(7, (1600, 1200))), local_tz=SHANGHAI)
    assert encoded == [(320, 240)]  # the thumbnail only

    encoded.clear()
    process_photo(_jpeg(scene(7, (1601, 1200))), local_tz=SHANGHAI)  # larger: shrunk and re-encoded
    assert sorted(encoded) == [(320, 240), (1600, 1199)]


def test_a_photo_cut_short_is_refused_on_this_path_too() -> None:
    sent = _jpeg(scene(8, (1200, 900)), quality=80)

    with pytest.raises(NotAnImage):
        process_photo(sent[: len(sent) * 2 // 3], local_tz=SHANGHAI)


def _plain() -> bytes:
    return _jpeg(scene(9, (160, 120)), quality=80)


def _with_frame(marker: int) -> bytes:
    plain = _plain()
    at = plain.index(b"\xff\xc0")
    return plain[:at] + bytes([0xFF, marker]) + plain[at + 2 :]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n", "not a JPEG"),
        (_plain()[:-2], "no end of image"),
        (_plain()[: len(_plain()) // 2], "a scan that never ends"),
        (_plain()[:2] + _plain()[20:], "no JFIF header: the colours are not known to be YCbCr"),
        (_plain()[:20] + b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x01" + _plain()[20:], "Adobe's marker"),
        (_with_frame(0xC9), "arithmetic coding, which browsers do not show"),
        (_with_frame(0xC3), "a lossless frame"),
        (_plain()[:20] + b"\xff\xdb\x10\x00" + _plain()[20:], "a segment longer than the file"),
        (_plain()[:20] + b"\x00\x00" + _plain()[20:], "not a marker where one must be"),
        (_plain()[:20] + b"\xff\xf7\x00\x04\x00\x00" + _plain()[20:], "a marker this module does not know"),
    ],
)
def test_unusual_files_are_left_to_the_decoding_path(data: bytes, why: str) -> None:
    assert without_metadata(data) is None, why


def test_fill_bytes_before_a_marker_are_allowed() -> None:
    plain = _plain()
    padded = plain[:20] + b"\xff\xff\xff" + plain[20:]  # fill bytes before the next marker
    kept = without_metadata(plain)
    assert kept is not None
    assert without_metadata(padded) == kept
