"""Dropping a JPEG's metadata without touching its pixels.

A photo the phone app already shrank (within the display size, upright) is kept as it came,
minus everything that is not picture: decoding and re-encoding it would cost most of an
upload's CPU and lose quality for nothing. A JPEG file is a chain of marker segments; the
picture is in the quantisation and Huffman tables, the frame header, the restart interval and
the scans. Everything else goes: APP0–APP15 (JFIF and its thumbnail, EXIF with GPS and the
phone's serial number, XMP, ICC, IPTC, maker notes), comments, and anything after the end of
the image (some phones append their own records there). The one exception is Adobe's APP14,
a dozen bytes that say whether the three channels are YCbCr or RGB, without which a decoder
might show the wrong colours.

Anything unusual (a segment running past the end, no end-of-image marker, a marker this
module does not know) gives ``None``, and the caller re-encodes the photo instead.
"""

from __future__ import annotations

from typing import Final

_SOI: Final = b"\xff\xd8"
_EOI: Final = 0xD9
_SOS: Final = 0xDA
_APP14: Final = 0xEE
# Picture segments: start-of-frame 0–15 (with DHT C4 and arithmetic-coding tables CC among
# them; C8 is reserved), quantisation tables, restart interval.
_KEPT: Final = frozenset(m for m in range(0xC0, 0xD0) if m != 0xC8) | {0xDB, 0xDD}
_DROPPED: Final = frozenset(range(0xE0, 0xF0)) | {0xFE}  # APPn and comments
_RESTARTS: Final = frozenset(range(0xD0, 0xD8))
# The JFIF header every plain JPEG starts with: version 1.01, no units, 1:1 pixels, no thumbnail.
_PLAIN_JFIF: Final = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def without_metadata(data: bytes) -> bytes | None:
    """The same JPEG with nothing but its picture (see the module), or None if unusual."""
    if not data.startswith(_SOI):
        return None
    kept = [_SOI, _PLAIN_JFIF]
    at = len(_SOI)
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == _EOI:
            kept.append(data[at : at + 2])
            return b"".join(kept)
        end = at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if at + 4 > len(data) or end > len(data) or end < at + 4:
            return None
        if marker == _SOS:
            scan_end = _end_of_scan(data, end)
            if scan_end is None:
                return None
            kept.append(data[at:scan_end])
            end = scan_end
        elif marker in _KEPT or (marker == _APP14 and data[at + 4 : at + 9] == b"Adobe"):
            kept.append(data[at:end])
        elif marker not in _DROPPED:
            return None
        at = end
    return None


def _end_of_scan(data: bytes, at: int) -> int | None:
    """Where the entropy-coded data starting at ``at`` ends: at the first marker that is
    neither a stuffed 0xFF00 nor a restart marker."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return None
        following = data[at + 1]
        if following == 0x00 or following in _RESTARTS:
            at += 2
        elif following == 0xFF:
            at += 1
        else:
            return at
