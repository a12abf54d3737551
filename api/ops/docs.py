"""The API docs at ``/api/docs``: Swagger UI from assets shipped in the package.

County networks often have no internet, so nothing is fetched from a CDN; and the page runs
under the app's Content-Security-Policy, so it starts Swagger UI from a script file of its own
rather than the inline script FastAPI's helper writes.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
SWAGGER_UI_DIR = HERE / "vendor" / "swagger-ui"
START_DIR = HERE / "docs_start"


def mount_docs(app: FastAPI, *, openapi_url: str, title: str) -> None:
    app.mount("/api/docs/assets", StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")
    app.mount("/api/docs/start", StaticFiles(directory=START_DIR), name="docs-start")
    page = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi="{escape(openapi_url)}"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/start/init.js"></script>
</body>
</html>
"""

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)
