"""The banded near-duplicate search finds exactly what comparing every photo would find."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlmodel import Session

from api.photos.imaging import hamming
from api.photos.models import Photo, PhotoHashBand
from api.photos.service import hash_bands, similar_photos, to_signed
from tests.factories import COUNTY, make_county


def test_banded_search_equals_a_full_scan(session: Session) -> None:
    county = make_county(session)
    user_id = county.users["secretary_a1"].id
    rng = random.Random(5)
    base = [rng.getrandbits(64) for _ in range(20)]
    hashes: dict[str, int] = {}
    for n in range(600):
        dhash = base[n % 20]
        for _ in range(rng.randrange(12)):  # flip up to 11 bits: some near, some far
            dhash ^= 1 << rng.randrange(64)
        hashes[f"00000000-0000-0000-0000-{n:012d}"] = dhash
    session.execute(
        insert(Photo),
        [
            {
                "id": pid,
                "user_id": user_id,
                "county_code": COUNTY,
                "sha256": "0" * 64,
                "dhash": to_signed(h),
                "width": 1,
                "height": 1,
                "size_bytes": 1,
                "near_duplicates": [],
                "display_key": "d",
                "thumb_key": "t",
                "received_at": datetime.now(UTC),
            }
            for pid, h in hashes.items()
        ],
    )
    session.execute(
        insert(PhotoHashBand),
        [
            {"photo_id": pid, "band": b, "value": v, "county_code": COUNTY}
            for pid, h in hashes.items()
            for b, v in enumerate(hash_bands(h))
        ],
    )
    session.commit()
    probes = {pid: hashes[pid] for pid in list(hashes)[:40]}
    # 8 and more bits defeat the bands: the whole county (or, without one, everything) is compared.
    for max_distance in (0, 3, 6, 7, 8, 10):
        for county_code in (COUNTY, None):
            found = similar_photos(session=session, county_code=county_code, hashes=probes, max_distance=max_distance)
            for pid, mine in probes.items():
                expected = {o for o, h in hashes.items() if o != pid and hamming(mine, h) <= max_distance}
                assert {o for o, _ in found[pid]} == expected, (max_distance, county_code)
    elsewhere = similar_photos(session=session, county_code="520200000000", hashes=probes, max_distance=10)
    assert all(not others for others in elsewhere.values())
