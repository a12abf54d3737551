"""Dropping a JPEG's metadata without touching its pixels.

A photo the phone app already shrank (within the display size, upright) is kept as it came,
minus everything that is not picture: decoding and re-encoding it would cost most of an
upload's CPU and lose quality for nothing. A JPEG file is a chain of marker segments; the
picture is in the quantisation and Huffman tables, the frame header, the restart interval and
the scans. Everything else goes: APP0–APP15 (JFIF and its thumbnail, EXIF with GPS and the
phone's serial number, XMP, ICC, IPTC, maker notes), comments, and anything after the end of
the image (some phones append their own records there). A plain JFIF header of our own takes
the place of theirs.

Only the files every browser shows and every decoder reads alike are kept this way: a JFIF
file (its three channels are YCbCr by definition) without Adobe's colour marker, coded as
baseline, extended or progressive Huffman JPEG. Anything else — arithmetic coding, lossless or
hierarchical frames, a segment running past the end, no end-of-image marker, a marker this
module does not know — gives ``None``, and the caller re-encodes the photo instead.
"""

from __future__ import annotations

import re
from typing import Final

_SOI: Final = b"\xff\xd8"
_EOI: Final = 0xD9
_SOS: Final = 0xDA
_APP0: Final = 0xE0
# Picture segments: start of frame for baseline, extended and progressive Huffman coding, the
# Huffman and quantisation tables, the restart interval.
_KEPT: Final = frozenset({0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDD})
_DROPPED: Final = frozenset(range(0xE0, 0xF0)) - {0xEE} | {0xFE}  # APPn but Adobe's, comments
# The JFIF header every plain JPEG starts with: version 1.01, no units, 1:1 pixels, no thumbnail.
_PLAIN_JFIF: Final = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
# Where a scan's entropy-coded data ends: the first 0xFF that starts a marker, not a stuffed
# zero, a restart marker or a fill byte. Searched in C: a file made of millions of stuffed bytes
# costs no more than an ordinary one.
_NEXT_MARKER: Final = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_FILL: Final = re.compile(rb"\xff+(?=[^\xff])")


def without_metadata(data: bytes) -> bytes | None:
    """The same JPEG with nothing but its picture (see the module), or None if unusual."""
    if not data.startswith(_SOI):
        return None
    kept = [_SOI, _PLAIN_JFIF]
    jfif = False
    at = len(_SOI)
    while at + 2 <= len(data):
        fill = _FILL.match(data, at)
        if fill is None:
            return None
        at = fill.end() - 1  # the last 0xFF of a run of fill bytes starts the marker
        marker = data[at + 1]
        if marker == _EOI:
            return b"".join([*kept, data[at : at + 2]]) if jfif else None
        end = at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if at + 4 > len(data) or end > len(data) or end < at + 4:
            return None
        if marker == _SOS:
            scan_end = _NEXT_MARKER.search(data, end)
            if scan_end is None:
                return None
            kept.append(data[at : scan_end.start()])
            end = scan_end.start()
        elif marker in _KEPT:
            kept.append(data[at:end])
        elif marker in _DROPPED:
            jfif = jfif or (marker == _APP0 and data[at + 4 : at + 9] == b"JFIF\x00")
        else:
            return None
        at = end
    return None
