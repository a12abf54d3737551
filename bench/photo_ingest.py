"""Photo ingest: ``process_photo`` against a naive Pillow pipeline and pyvips, in one run.

    uv run --group bench python bench/photo_ingest.py [--count 12] [--rounds 3] [--write-readme]

Issue 3 sets the targets: on 12-megapixel camera JPEGs, at least 2.5× the throughput of the
naive Pillow pipeline and no slower than pyvips; one upload at most 60 MB above the idle
process; 16 concurrent uploads under 600 MB. Absolute speed depends on the machine (and on
whatever else it is running), so the figures that matter are ratios measured in the same run
on the same files, the pipelines taking turns and each keeping its best of several rounds.

The photos are made here: 4000×3000, quality 90, EXIF orientation 6 (the phone held upright)
and a DateTimeOriginal, a smooth colour field with shapes plus sensor-like noise so that the
files weigh what a phone's do (several MB); noise is what makes entropy decoding expensive.

Three pipelines produce the same outputs, a 1600 px display JPEG (q82) and a 320 px thumbnail
(q75) made from it, orientation applied:

* ``process_photo``: the service's own code (it also hashes, reads EXIF and takes a dHash);
* naive Pillow: full decode, ``ImageOps.exif_transpose``, ``thumbnail((1600, 1600))``, save,
  then ``thumbnail((320, 320))`` of that and save;
* pyvips: ``thumbnail_buffer`` to 1600 (shrink-on-load, auto-rotate), save, ``thumbnail_image``
  to 320, save; libvips' operation cache is switched off so repeated rounds do real work.

Throughput is measured two ways: one photo at a time (what one upload waits), and as many
photos in flight as there are cores (what the machine sustains). pyvips threads internally
by default, so even "one at a time" it may use every core (the report says how many threads);
process_photo hashes the upload on the calling thread while its pool decodes, a few ms on a
second core.

Memory is measured in a fresh subprocess per case, after imports and with the upload bytes
already in memory ("idle"). On Linux the peak-RSS mark is reset at that point by writing 5
to /proc/self/clear_refs, so VmHWM afterwards is the true peak of the work alone; elsewhere
the script falls back to ``ru_maxrss`` (which may include start-up peaks).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import PIL
import pillow_heif
from PIL import Image, ImageChops, ImageDraw, ImageOps, features

# A sibling module (run as a script, bench/ is first on sys.path).
from readme import write_figures

from api.photos.imaging import process_photo

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Photo ingest"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
SIZE = (4000, 3000)
CONCURRENT_UPLOADS = 16

TARGET_RATIO_NAIVE = 2.5
TARGET_ONE_MB = 60.0
TARGET_CONCURRENT_MB = 600.0

Pipeline = Callable[[bytes], tuple[bytes, bytes]]


# --- the photos ------------------------------------------------------------------------------


def camera_photos(count: int, seed: int = 2026) -> list[bytes]:
    """``count`` distinct camera-like JPEGs, deterministic for a seed."""
    rng = random.Random(seed)
    noise = Image.effect_noise((SIZE[0] + 64, SIZE[1] + 64), 16).convert("RGB")
    photos = []
    for _ in range(count):
        field = Image.new("RGB", (8, 6))
        field.putdata([(rng.randrange(30, 225), rng.randrange(30, 225), rng.randrange(30, 225)) for _ in range(48)])
        picture = field.resize(SIZE, Image.Resampling.BICUBIC)
        draw = ImageDraw.Draw(picture)
        for _ in range(40):
            x, y, r = rng.randrange(SIZE[0]), rng.randrange(SIZE[1]), rng.randrange(20, 400)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        dx, dy = rng.randrange(64), rng.randrange(64)
        grain = noise.crop((dx, dy, dx + SIZE[0], dy + SIZE[1]))
        photo = ImageChops.add(picture, grain, scale=1.0, offset=-128)
        exif = Image.Exif()
        exif[0x0112] = 6
        exif[0x010F] = "bench"
        exif.get_ifd(0x8769)[0x9003] = "2026:05:01 09:30:00"
        out = io.BytesIO()
        photo.save(out, "JPEG", quality=90, exif=exif.tobytes())
        photos.append(out.getvalue())
    return photos


# --- the pipelines ---------------------------------------------------------------------------


def run_process_photo(data: bytes) -> tuple[bytes, bytes]:
    photo = process_photo(data, local_tz=LOCAL_TZ)
    return photo.display, photo.thumb


def _save_jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def run_naive(data: bytes) -> tuple[bytes, bytes]:
    with Image.open(io.BytesIO(data)) as opened:
        picture = ImageOps.exif_transpose(opened)
    picture.thumbnail((1600, 1600))
    display = _save_jpeg(picture, 82)
    picture.thumbnail((320, 320))
    return display, _save_jpeg(picture, 75)


def decode_half(data: bytes) -> tuple[bytes, bytes]:
    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (opened.width // 2, opened.height // 2))
        opened.load()
    return b"", b""


def decode_full(data: bytes) -> tuple[bytes, bytes]:
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
    return b"", b""


# Not pipelines: what decoding alone costs, to show where the time of the others goes.
REFERENCES: dict[str, Pipeline] = {
    "(reference) JPEG decode at 1/2 scale only": decode_half,
    "(reference) JPEG decode at full size only": decode_full,
}


def load_pyvips() -> tuple[Pipeline | None, str]:
    """The pyvips pipeline, or None and the reason it cannot run here."""
    try:
        import pyvips  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except (ImportError, OSError) as exc:
        return None, f"pyvips cannot load ({type(exc).__name__}: {exc}); install the bench group"
    pyvips.cache_set_max(0)
    keep_none = pyvips.enums.ForeignKeep.NONE

    def run_pyvips(data: bytes) -> tuple[bytes, bytes]:
        display = pyvips.Image.thumbnail_buffer(data, 1600, height=1600, size="down").copy_memory()
        thumb = display.thumbnail_image(320, height=320, size="down")
        return display.jpegsave_buffer(Q=82, keep=keep_none), thumb.jpegsave_buffer(Q=75, keep=keep_none)

    version = f"pyvips {pyvips.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    return run_pyvips, f"{version}, {pyvips.concurrency_get()} threads per operation"


def check_outputs(name: str, pipeline: Pipeline, data: bytes) -> None:
    display, thumb = pipeline(data)
    sizes = (Image.open(io.BytesIO(display)).size, Image.open(io.BytesIO(thumb)).size)
    if sizes != ((1200, 1600), (240, 320)):
        raise SystemExit(f"{name} made {sizes}, expected an upright 1200×1600 display and 240×320 thumbnail")


# --- throughput ------------------------------------------------------------------------------


@dataclass
class Throughput:
    serial: float
    parallel: float


def measure_throughput(pipelines: dict[str, Pipeline], photos: Sequence[bytes], rounds: int) -> dict[str, Throughput]:
    """Images per second, one at a time and with one photo in flight per core.

    One at a time, the pipelines take turns photo by photo, and each photo's time is its best
    of the rounds, so a burst of other work on a shared machine spoils one sample, not a
    pipeline's whole figure. In flight, each round times a whole batch; the best round counts.
    """
    names = list(pipelines)
    best_single: dict[str, list[float]] = {name: [float("inf")] * len(photos) for name in names}
    batches: dict[str, list[float]] = {name: [] for name in names}
    with ThreadPoolExecutor(max_workers=cpu_count()) as pool:
        for turn in range(rounds):
            order = names[turn % len(names) :] + names[: turn % len(names)]
            for index, data in enumerate(photos):
                for name in order:
                    started = time.perf_counter()
                    pipelines[name](data)
                    elapsed = time.perf_counter() - started
                    best_single[name][index] = min(best_single[name][index], elapsed)
            for name in order:
                started = time.perf_counter()
                list(pool.map(pipelines[name], photos))
                batches[name].append(time.perf_counter() - started)
            print(f"  round {turn + 1}/{rounds} done", file=sys.stderr)
    return {
        name: Throughput(serial=len(photos) / sum(best_single[name]), parallel=len(photos) / min(batches[name]))
        for name in names
    }


# --- memory (each case in a fresh subprocess) ------------------------------------------------


def _status_mb(field: str) -> float:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    assert match is not None
    return int(match[1]) / 1024


def child_memory(case: str, paths: list[str]) -> dict[str, Any]:
    """Runs inside the subprocess: idle RSS, then the peak while ``case`` runs."""
    kind, name = case.split(":")
    pipeline: Pipeline | None = {"process_photo": run_process_photo, "naive": run_naive}.get(name)
    if pipeline is None:
        pipeline, note = load_pyvips()
        if pipeline is None:
            raise SystemExit(note)
    uploads = [Path(path).read_bytes() for path in paths]
    try:
        Path("/proc/self/clear_refs").write_text("5")
        method = "VmHWM after resetting it (/proc/self/clear_refs)"
        idle = _status_mb("VmRSS")
    except OSError:
        method = "ru_maxrss (not reset; may include start-up)"
        idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    if kind == "one":
        pipeline(uploads[0])
    else:
        with ThreadPoolExecutor(max_workers=len(uploads)) as pool:
            list(pool.map(pipeline, uploads))
    if method.startswith("VmHWM"):
        peak = _status_mb("VmHWM")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"idle": idle, "peak": peak, "method": method}


def measure_memory(case: str, paths: list[str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", case, *paths],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


# --- report ----------------------------------------------------------------------------------


def cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        if found:
            model = found[1].strip()
    except OSError:
        pass
    return (
        f"{cpu_count()} cores (nproc), {model}; Python {platform.python_version()}, Pillow {PIL.__version__} "
        f"(libjpeg-turbo {features.version('libjpeg_turbo')}), pillow-heif {pillow_heif.__version__}"
    )


def _cpu_jiffies() -> tuple[int, int] | None:
    """Busy and total CPU time of the whole machine so far, in clock ticks (Linux)."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class OtherLoad:
    """How much of the machine's CPU other processes used while the timing ran.

    A shared machine's other work slows whichever pipeline it lands on; this says how much
    there was, so that a spoiled run can be recognised and repeated.
    """

    def __enter__(self) -> OtherLoad:
        self.start = _cpu_jiffies()
        self.own = os.times()
        self.share: float | None = None
        return self

    def __exit__(self, *exc_info: object) -> None:
        end = _cpu_jiffies()
        if self.start is None or end is None or end[1] == self.start[1]:
            return
        ticks = os.sysconf("SC_CLK_TCK")
        own = os.times()
        own_seconds = (own.user + own.system) - (self.own.user + self.own.system)
        busy_seconds = (end[0] - self.start[0]) / ticks
        capacity_seconds = (end[1] - self.start[1]) / ticks
        self.share = max(0.0, busy_seconds - own_seconds) / capacity_seconds


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(
    *,
    host: str,
    photos: Sequence[bytes],
    rounds: int,
    speeds: dict[str, Throughput],
    vips_note: str,
    memory: dict[str, dict[str, Any]],
) -> str:
    naive = speeds["naive"]
    ours = speeds["process_photo"]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {host}; pyvips: {vips_note}.",
        f"{len(photos)} photos, {SIZE[0]}×{SIZE[1]} q90 with EXIF orientation 6, "
        f"{sum(map(len, photos)) / len(photos) / 1e6:.1f} MB each on average; best of {rounds} rounds "
        "(one at a time: each photo's best), pipelines taking turns. Produced by "
        "`uv run --group bench python bench/photo_ingest.py --write-readme`; its docstring explains the method.",
        "",
        f"| pipeline | one at a time (img/s) | × naive | {cpu_count()} in flight (img/s) | × naive |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, speed in speeds.items():
        lines.append(
            f"| {name} | {speed.serial:.2f} | {speed.serial / naive.serial:.2f} | "
            f"{speed.parallel:.2f} | {speed.parallel / naive.parallel:.2f} |"
        )
    lines += ["", "| memory case | idle (MB) | peak (MB) | above idle (MB) |", "| --- | ---: | ---: | ---: |"]
    for case, figures in memory.items():
        lines.append(
            f"| {case} | {figures['idle']:.0f} | {figures['peak']:.0f} | {figures['peak'] - figures['idle']:.0f} |"
        )
    half = next((speed for name, speed in speeds.items() if "1/2 scale" in name), None)
    full = next((speed for name, speed in speeds.items() if "full size" in name), None)
    if half is not None and full is not None:
        lines += [
            "",
            f"Where the time goes, one at a time: process_photo takes {1000 / ours.serial:.0f} ms a photo, "
            f"of which decoding at 1/2 scale alone is {1000 / half.serial:.0f} ms; a full-size decode is "
            f"{1000 / full.serial:.0f} ms, and the naive pipeline {1000 / naive.serial:.0f} ms.",
        ]
    method = next(iter(memory.values()))["method"] if memory else "not measured"
    lines += ["", f"Memory method: {method}; MB = MiB.", "", "Targets (issue 3):", ""]

    ratio_serial, ratio_parallel = ours.serial / naive.serial, ours.parallel / naive.parallel
    lines.append(
        f"- ≥ {TARGET_RATIO_NAIVE}× naive: {ratio_serial:.2f}× one at a time, {ratio_parallel:.2f}× with "
        f"{cpu_count()} in flight — one at a time {verdict(ratio_serial >= TARGET_RATIO_NAIVE)}, "
        f"in flight {verdict(ratio_parallel >= TARGET_RATIO_NAIVE)}."
    )
    if "pyvips" in speeds:
        vips = speeds["pyvips"]
        vs_serial, vs_parallel = ours.serial / vips.serial, ours.parallel / vips.parallel
        lines.append(
            f"- no slower than pyvips: {vs_serial:.2f}× its speed one at a time, {vs_parallel:.2f}× with "
            f"{cpu_count()} in flight — one at a time {verdict(vs_serial >= 1.0)}, "
            f"in flight {verdict(vs_parallel >= 1.0)}."
        )
    else:
        lines.append(f"- no slower than pyvips: not measured: {vips_note}.")
    one = memory.get("one upload: process_photo")
    if one is not None:
        above = one["peak"] - one["idle"]
        lines.append(
            f"- one upload ≤ {TARGET_ONE_MB:.0f} MB above idle: {above:.0f} MB — {verdict(above <= TARGET_ONE_MB)}."
        )
    many = memory.get(f"{CONCURRENT_UPLOADS} concurrent: process_photo")
    if many is not None:
        lines.append(
            f"- {CONCURRENT_UPLOADS} concurrent uploads < {TARGET_CONCURRENT_MB:.0f} MB: peak RSS "
            f"{many['peak']:.0f} MB for the whole process (interpreter, libraries and the "
            f"{CONCURRENT_UPLOADS} uploads' bytes included) — {verdict(many['peak'] < TARGET_CONCURRENT_MB)}."
        )
    return "\n".join(lines) + "\n"


BEGIN = "<!-- figures: written by bench/photo_ingest.py --write-readme -->"
END = "<!-- end of figures -->"


def write_readme(figures: str) -> None:
    """This script's figures into bench/README.md, keeping the notes around them."""
    write_figures(figures, section=SECTION, begin=BEGIN, end=END)


# --- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=12, help="number of photos (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per pipeline (default 3)")
    parser.add_argument("--write-readme", action="store_true", help="update the photo section of bench/README.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_memory(args.child, args.paths)))
        return

    host = machine()
    print(f"machine: {host}", file=sys.stderr)
    print(f"making {args.count} camera-like photos…", file=sys.stderr)
    photos = camera_photos(args.count)

    pipelines: dict[str, Pipeline] = {"process_photo": run_process_photo, "naive": run_naive}
    run_pyvips, vips_note = load_pyvips()
    if run_pyvips is None:
        print(vips_note, file=sys.stderr)
    else:
        pipelines["pyvips"] = run_pyvips
    for name, pipeline in pipelines.items():
        check_outputs(name, pipeline, photos[0])

    print(f"throughput, {args.rounds} rounds…", file=sys.stderr)
    with OtherLoad() as other:
        speeds = measure_throughput({**pipelines, **REFERENCES}, photos, args.rounds)
    if other.share is not None:
        host += f"; other processes used {other.share:.0%} of its CPU during the timing"

    print("memory, one subprocess per case…", file=sys.stderr)
    memory: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="photo-bench-") as folder:
        paths = []
        for index, data in enumerate(photos):
            path = Path(folder) / f"photo-{index:02d}.jpg"
            path.write_bytes(data)
            paths.append(str(path))
        burst = [paths[index % len(paths)] for index in range(CONCURRENT_UPLOADS)]
        for name in pipelines:
            memory[f"one upload: {name}"] = measure_memory(f"one:{name}", paths[:1])
        for name in ("process_photo", "naive"):
            memory[f"{CONCURRENT_UPLOADS} concurrent: {name}"] = measure_memory(f"burst:{name}", burst)

    figures = report(host=host, photos=photos, rounds=args.rounds, speeds=speeds, vips_note=vips_note, memory=memory)
    print(f"{SECTION}\n\n{figures}")
    if args.write_readme:
        write_readme(figures)
        print("wrote bench/README.md", file=sys.stderr)


if __name__ == "__main__":
    main()
