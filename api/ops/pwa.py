"""Serving the phone app: static files, the manifest, and a service worker stamped with the shell.

The service worker is served with the list of the app's files and a version derived from their
contents in front of it, so every change to the app (a new release, or a county's customised
copy) is a new cache version on the phones without anyone remembering to bump a number.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

PACKAGED_PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"
SERVICE_WORKER = "sw.js"
# Supervisors' screens show live figures and are useless offline, so phones do not store them:
# the shell every secretary's phone downloads and keeps stays small. Nor the page that explains
# plain HTTP: where it is shown, no service worker can keep anything. Nor the download of a
# secretary's records from the server, which needs the network anyway. Nor the county
# office's administration screens.
ONLINE_ONLY = ("js/supervise/", "js/admin/", "css/office.css", "js/insecure.js", "js/history.js")


def shell_manifest(pwa_dir: Path) -> dict[str, object]:
    """``{"version", "files"}``: the files phones keep for offline use, as URL paths.

    The version covers every file, the online-only ones too, so any change is a new version.
    """
    digest = hashlib.sha256()
    files = []
    for path in sorted(p for p in pwa_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(pwa_dir).as_posix()
        if relative == SERVICE_WORKER or any(part.startswith(".") for part in path.relative_to(pwa_dir).parts):
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
        if not relative.startswith(ONLINE_ONLY):
            files.append(f"/{relative}")
    return {"version": digest.hexdigest()[:16], "files": files}


def mount_pwa(app: FastAPI, pwa_dir: Path) -> None:
    """The phone app at ``/``; its service worker must never be cached by the browser."""

    @app.get("/sw.js", include_in_schema=False)
    def service_worker() -> Response:
        stamp = f"self.ZOUFANG_SHELL = {json.dumps(shell_manifest(pwa_dir))};\n"
        body = stamp + (pwa_dir / SERVICE_WORKER).read_text(encoding="utf-8")
        return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    @app.get("/manifest.webmanifest", include_in_schema=False)
    def manifest() -> FileResponse:
        return FileResponse(pwa_dir / "manifest.webmanifest", media_type="application/manifest+json")

    # Compressed: over one bar of signal the app's first load is a third of its raw size.
    app.mount("/", GZipMiddleware(StaticFiles(directory=str(pwa_dir), html=True), minimum_size=512), name="pwa")
