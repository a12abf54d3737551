"""Small stand-in photos for the demo's visits, carrying the EXIF a phone camera writes.

The photos go through the real upload path, so what they must get right is what that path
reads: a capture time (DateTimeOriginal, local wall-clock time as phones write it) and a GPS
position, and pictures different enough that their difference hashes are far apart — else the
near-duplicate check would flag honest secretaries. Each picture is a blurred grid of seeded
colours with a few blocks drawn over it: cheap to make (a few milliseconds at 320×240) and,
hashed, as good as random. The bytes depend only on the arguments, so the same seed makes
the same photos, and a photo "re-used" by a demo secretary is byte-for-byte the same file.
"""

from __future__ import annotations

import io
import random
from datetime import datetime

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 320, 240

_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_TAG_MAKE, _TAG_MODEL, _TAG_DATETIME = 0x010F, 0x0110, 0x0132
_TAG_DATETIME_ORIGINAL = 0x9003
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


def demo_jpeg(content_seed: int, *, taken_local: datetime, lat: float, lon: float) -> bytes:
    """A 320×240 JPEG whose picture is fixed by ``content_seed``, with EXIF time and GPS.

    ``taken_local`` is written as it reads (wall-clock time, no offset), as phones do.
    """
    rng = random.Random(content_seed)
    grid = Image.new("RGB", (8, 6))
    grid.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(48)])
    picture = grid.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(picture)
    for _ in range(rng.randint(3, 7)):
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        box = (x, y, x + rng.randint(10, 120), y + rng.randint(10, 90))
        draw.rectangle(box, fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))

    exif = Image.Exif()
    exif[_TAG_MAKE] = "Zoufang"
    exif[_TAG_MODEL] = "Demo Phone"
    stamp = taken_local.strftime("%Y:%m:%d %H:%M:%S")
    exif[_TAG_DATETIME] = stamp
    exif.get_ifd(_IFD_EXIF)[_TAG_DATETIME_ORIGINAL] = stamp
    gps = exif.get_ifd(_IFD_GPS)
    gps[_GPS_LAT_REF], gps[_GPS_LAT] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
    gps[_GPS_LON_REF], gps[_GPS_LON] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def _dms(degrees: float) -> tuple[float, float, float]:
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    seconds = round(((degrees - whole) * 60 - minutes) * 60, 3)
    return float(whole), float(minutes), seconds
