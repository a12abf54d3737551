"""Photo-like test pictures, shared by the imaging and the photo API tests."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like picture: a smooth colour field with large shapes, different for each seed."""
    rng = random.Random(seed)
    field = Image.new("RGB", (4, 3))
    field.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(12)])
    picture = field.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(picture)
    w, h = size
    for _ in range(8):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(w // 12, w // 4)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return picture
