"""Turn an uploaded photo into what the service keeps: facts about it and two clean JPEGs.

A visit photo is evidence, so the upload is hashed exactly as it arrived (sha256, for exact
duplicates) and its capture time and GPS are read from EXIF before every bit of metadata is
dropped: what is served later must not leak a villager's location or the phone's serial
number. What is kept is a display JPEG (long side 1600 px) and a thumbnail made from it, both
with the EXIF orientation applied, plus a 64-bit difference hash of the oriented picture so
that a photo re-sent, re-compressed or lightly edited is still recognised as a near duplicate.

Uploads come from the field over weak networks, and the server may be a small 2-core machine
decoding many of them at once, so the work is shaped for speed and memory:

* The pixel count is read from the header and checked before any pixel is decoded, so a tiny
  file declaring 30000×30000 pixels (a decompression bomb) costs nothing. Files are opened
  through the format plugins directly rather than ``Image.open``, whose own bomb check would
  warn (or raise its own error) before this module's limit applies; the only formats tried are
  the four the contract names.
* JPEGs, nearly every phone photo, are decoded at reduced size by libjpeg (``Image.draft``).
  The draft box is the target size in the *stored* orientation: a 4000×3000 image aiming at a
  1600 px long side asks for (1600, 1200), which allows a 1/2-scale decode; asking for
  (1600, 1600), or for the rotated (1200, 1600), forces a full decode. ``Image.thumbnail`` is
  not used for this because its default ``reducing_gap`` asks for twice the target and so
  falls back to the full decode.
* Orientation is applied by a single transpose of the already-reduced image, which is cheaper
  than rotating the full-size picture first.
* The pixel work runs on a pool with one thread per core (see ``_pixel_pool``), so a burst of
  uploads costs cores' worth of memory, not uploads' worth.

Everything here is plain synchronous bytes-in/bytes-out code that any thread may call: it
changes no Pillow-wide setting and installs no warnings filter. bench/photo_ingest.py measures
it against a naive Pillow pipeline and pyvips.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import struct
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Final, NamedTuple

from PIL import Image, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin
from pillow_heif import HeifImageFile, register_heif_opener

from api.photos import jpeg_segments

register_heif_opener()

__all__ = [
    "DISPLAY_LONG_SIDE",
    "THUMB_LONG_SIDE",
    "ImageRejected",
    "NotAnImage",
    "ProcessedPhoto",
    "TooManyPixels",
    "hamming",
    "process_photo",
]

DISPLAY_LONG_SIDE: Final = 1600
THUMB_LONG_SIDE: Final = 320
DISPLAY_QUALITY: Final = 82
THUMB_QUALITY: Final = 75
# Pillow's bilinear filter widens with the shrink factor, so it is a true antialiasing filter.
# For the display (a 1.25× shrink after the half-size decode) it came within 0.5 dB of Lanczos
# on a photo-like 12 MP test image (PSNR against a full-decode Lanczos reference) at half the
# cost; box was faster again but aliased fine stripes and brickwork (3 dB worse). The thumbnail is a
# 5× shrink of the display, and reducing_gap=1.0 makes it a plain 5×5 box average (Image.reduce):
# a third of the cost and within 2 dB of bilinear, which at 320 px is hard to see.
_RESAMPLE: Final = Image.Resampling.BILINEAR
_THUMB_REDUCING_GAP: Final = 1.0

# The accepted formats, in the order they are tried, by their names in Pillow's plugin registry
# (importing a plugin module registers it).
_FORMATS: Final = (
    JpegImagePlugin.JpegImageFile.format,
    PngImagePlugin.PngImageFile.format,
    WebPImagePlugin.WebPImageFile.format,
    HeifImageFile.format,
)

# What a broken or truncated file makes the decoders raise (libheif reports through RuntimeError
# and ValueError). A MemoryError is not among them and propagates.
_DECODE_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    RuntimeError,
    struct.error,
)

_TAG_ORIENTATION: Final = 0x0112
_TAG_DATETIME: Final = 0x0132
_IFD_EXIF: Final = 0x8769
_IFD_GPS: Final = 0x8825
_TAG_DATETIME_ORIGINAL: Final = 0x9003
_TAG_OFFSET_TIME: Final = 0x9010
_TAG_OFFSET_TIME_ORIGINAL: Final = 0x9011
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4

# EXIF orientation value -> the transpose that shows the picture upright (same table as
# ImageOps.exif_transpose).
_TRANSPOSE: Final[Mapping[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_SIDES: Final = frozenset({5, 6, 7, 8})


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# Pixel work runs on a small pool with one thread per core, whatever thread calls
# process_photo. Decoding is CPU-bound and Pillow releases the GIL while it runs, so more
# photos in flight than cores buy no throughput, only memory (~30 MB of pixels each at the
# peak). And glibc gives each thread that allocates large buffers its own malloc arena, which
# keeps freed pages: 16 uploads decoded on 16 request threads left the process ~420 MB above
# idle, on the 2 pool threads ~70 MB.
_pool_lock = threading.Lock()
_pools: dict[int, ThreadPoolExecutor] = {}


def _pixel_pool() -> ThreadPoolExecutor:
    # Keyed by process id: a pool made before a fork has no threads in the child.
    pid = os.getpid()
    with _pool_lock:
        pool = _pools.get(pid)
        if pool is None:
            pool = _pools[pid] = ThreadPoolExecutor(max_workers=_cpu_count(), thread_name_prefix="photo-pixels")
        return pool


_EXIF_DATETIME = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


class ImageRejected(ValueError):
    """The upload cannot be kept as a photo; the message is for the person who sent it."""


class NotAnImage(ImageRejected):
    """Empty, not a JPEG/PNG/WebP/HEIC file, or truncated or corrupt."""


class TooManyPixels(ImageRejected):
    """More pixels than allowed, judged from the header before decoding."""


@dataclass(frozen=True)
class ProcessedPhoto:
    """What is kept of an upload.

    ``sha256`` is of the bytes as uploaded; ``dhash`` (unsigned, 0 ≤ dhash < 2**64) and
    ``width``/``height`` are of the picture as seen, orientation applied; ``taken_at`` is aware
    and in UTC; ``exif_lat``/``exif_lon`` are decimal degrees, south and west negative, both
    None unless both are readable. ``display`` (long side ≤ 1600) and ``thumb`` (≤ 320, made
    from the display image) are RGB JPEGs without any metadata.
    """

    sha256: str
    dhash: int
    width: int
    height: int
    taken_at: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    display: bytes
    thumb: bytes


def process_photo(data: bytes, *, local_tz: tzinfo, max_pixels: int = 50_000_000) -> ProcessedPhoto:
    """Check, measure and re-encode one uploaded photo.

    ``local_tz`` is the zone in which an EXIF time without an offset tag is read (phones write
    local wall-clock time); it should be a ``zoneinfo.ZoneInfo`` or a fixed offset.
    Raises ``NotAnImage`` or ``TooManyPixels``, both ``ImageRejected``.
    """
    if not data:
        raise NotAnImage("文件是空的，请重新选择照片上传。")
    pending = _pixel_pool().submit(_render, data, max_pixels)
    sha256 = hashlib.sha256(data).hexdigest()
    rendered = pending.result()
    exif = rendered.exif
    exif_lat, exif_lon = _gps(exif)
    return ProcessedPhoto(
        sha256=sha256,
        dhash=rendered.dhash,
        width=rendered.width,
        height=rendered.height,
        taken_at=_taken_at(exif, local_tz),
        exif_lat=exif_lat,
        exif_lon=exif_lon,
        display=rendered.display,
        thumb=rendered.thumb,
    )


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two dHashes: 0 for the same picture, a few for a near duplicate."""
    return (a ^ b).bit_count()


class _Rendered(NamedTuple):
    width: int
    height: int
    exif: Image.Exif
    dhash: int
    display: bytes
    thumb: bytes


def _render(data: bytes, max_pixels: int) -> _Rendered:
    """All the pixel work; every intermediate image is released when this returns."""
    with _open(data) as im:
        stored_w, stored_h = im.size
        if stored_w * stored_h > max_pixels:
            raise TooManyPixels(
                f"图片像素过多（{stored_w}×{stored_h}，约 {stored_w * stored_h / 1e6:.0f} 百万像素），"
                f"最多允许 {max_pixels / 1e6:.0f} 百万像素，请缩小后再上传。"
            )
        as_sent = _kept_as_sent(im, data)
        if as_sent is not None:
            return as_sent
        picture, exif = _decode_to_display(im)
    orientation = _orientation(exif)
    if orientation in _TRANSPOSE:
        picture = picture.transpose(_TRANSPOSE[orientation])
    width, height = (stored_h, stored_w) if orientation in _SWAPS_SIDES else (stored_w, stored_h)
    thumb = picture.resize(_fit(picture.size, THUMB_LONG_SIDE), _RESAMPLE, reducing_gap=_THUMB_REDUCING_GAP)
    return _Rendered(
        width=width,
        height=height,
        exif=exif,
        dhash=_dhash(thumb),
        display=_jpeg(picture, DISPLAY_QUALITY),
        thumb=_jpeg(thumb, THUMB_QUALITY),
    )


def _kept_as_sent(im: ImageFile.ImageFile, data: bytes) -> _Rendered | None:
    """A JPEG the phone app already shrank and that is upright, kept as sent minus its metadata
    (``jpeg_segments``); None for any other photo, which is decoded and re-encoded.

    Only the thumbnail is made from pixels, decoded at a quarter or an eighth of the size
    (``Image.draft``): that decode still reads every byte of the picture, so a damaged file is
    refused as on the other path.
    """
    if im.format != "JPEG" or im.mode != "RGB" or max(im.size) > DISPLAY_LONG_SIDE:
        return None
    exif = _read_exif(im)
    if _orientation(exif) != 1:
        return None
    display = jpeg_segments.without_metadata(data)
    if display is None:
        return None
    width, height = im.size
    target = _fit(im.size, THUMB_LONG_SIDE)
    im.draft("RGB", target)
    try:
        im.load()
    except _DECODE_ERRORS as exc:
        raise NotAnImage("图片文件不完整或已损坏，请重新拍摄或重新上传。") from exc
    thumb = im.resize(target, _RESAMPLE, reducing_gap=_THUMB_REDUCING_GAP)
    return _Rendered(
        width=width,
        height=height,
        exif=exif,
        dhash=_dhash(thumb),
        display=display,
        thumb=_jpeg(thumb, THUMB_QUALITY),
    )


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """``size`` scaled down so that its long side is at most ``long_side``; never scaled up."""
    scale = min(1.0, long_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _decode_to_display(im: ImageFile.ImageFile) -> tuple[Image.Image, Image.Exif]:
    """Decode at the smallest size that still covers the display size, then shrink to it.

    Returns a new RGB image in the stored orientation (the caller closes ``im``, freeing the
    decoded pixels before the rest of the work) and the EXIF block.
    """
    target = _fit(im.size, DISPLAY_LONG_SIDE)
    if target != im.size:
        im.draft("RGB", target)
    try:
        im.load()
    except _DECODE_ERRORS as exc:
        raise NotAnImage("图片文件不完整或已损坏，请重新拍摄或重新上传。") from exc
    exif = _read_exif(im)
    return _to_rgb(im).resize(target, _RESAMPLE), exif


def _open(data: bytes) -> ImageFile.ImageFile:
    """Parse the header with the first of the accepted plugins that recognises the file."""
    prefix = data[:16]
    for name in _FORMATS:
        factory, accept = Image.OPEN[name]
        recognised = accept(prefix) if accept is not None else True
        if isinstance(recognised, str) or not recognised:
            continue
        try:
            return factory(io.BytesIO(data), "")
        except _DECODE_ERRORS as exc:
            raise NotAnImage("图片文件已损坏，无法读取。") from exc
    raise NotAnImage("不是可识别的照片，请上传 JPEG、PNG、WebP 或 HEIC 格式的图片。")


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB pixels; transparency is laid on white, 16-bit grey scaled rather than clipped."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if im.mode.startswith("I;16") or im.mode == "I":
        return im.convert("I").point(lambda v: v / 256).convert("L").convert("RGB")
    return im.convert("RGB")


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    """Encode without metadata: no exif/icc_profile/xmp arguments, so nothing is carried over."""
    # Pillow holds the GIL while it encodes into a Python buffer such as BytesIO, but releases
    # it when it can write to a file descriptor; an anonymous in-memory file (Linux) lets the
    # pool's threads encode at the same time.
    if hasattr(os, "memfd_create"):
        with open(os.memfd_create("zoufang-jpeg", os.MFD_CLOEXEC), "w+b") as out:
            picture.save(out, "JPEG", quality=quality)
            out.seek(0)
            return out.read()
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _dhash(picture: Image.Image) -> int:
    """Difference hash: 9×8 greyscale, one bit per horizontal neighbour pair, row by row."""
    small = picture.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        for col in range(8):
            left = pixels[row * 9 + col]
            right = pixels[row * 9 + col + 1]
            value = (value << 1) | (left > right)
    return value


def _read_exif(im: Image.Image) -> Image.Exif:
    # Metadata is optional: an EXIF block a phone wrote badly must not cost the photo itself.
    try:
        return im.getexif()
    except Exception:
        return Image.Exif()


def _ifd(exif: Image.Exif, tag: int) -> Mapping[int, object]:
    try:
        return exif.get_ifd(tag)
    except Exception:
        return {}


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(_TAG_ORIENTATION)
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _taken_at(exif: Image.Exif, local_tz: tzinfo) -> datetime | None:
    """DateTimeOriginal (else DateTime) as an aware UTC time, using the matching offset tag."""
    sub = _ifd(exif, _IFD_EXIF)
    for time_value, offset_value in (
        (sub.get(_TAG_DATETIME_ORIGINAL), sub.get(_TAG_OFFSET_TIME_ORIGINAL)),
        (exif.get(_TAG_DATETIME), sub.get(_TAG_OFFSET_TIME)),
    ):
        naive = _parse_exif_datetime(time_value)
        if naive is None:
            continue
        zone = _parse_exif_offset(offset_value) or local_tz
        return naive.replace(tzinfo=zone).astimezone(UTC)
    return None


def _parse_exif_datetime(value: object) -> datetime | None:
    text = _text(value)
    match = _EXIF_DATETIME.match(text) if text else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _parse_exif_offset(value: object) -> timezone | None:
    text = _text(value)
    match = _EXIF_OFFSET.fullmatch(text) if text else None
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == "-" else delta)


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = _ifd(exif, _IFD_GPS)
    lat = _gps_coordinate(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "N", "S", 90.0)
    lon = _gps_coordinate(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "E", "W", 180.0)
    if lat is None or lon is None:
        return None, None
    return lat, lon


def _gps_coordinate(value: object, ref: object, positive: str, negative: str, limit: float) -> float | None:
    hemisphere = _text(ref).upper()
    if hemisphere not in (positive, negative):
        return None
    if not isinstance(value, tuple) or not 1 <= len(value) <= 3:
        return None
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(not math.isfinite(part) or part < 0 for part in parts):
        return None
    degrees = sum(part / 60.0**index for index, part in enumerate(parts))
    if degrees > limit:
        return None
    return -degrees if hemisphere == negative else degrees


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""
