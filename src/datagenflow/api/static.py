"""The web UI's build, served at `/` with deep links falling back to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from datagenflow.api.responses import SafeJSONResponse

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DataGenFlow</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;
line-height:1.5;color:#222}code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}</style>
</head><body>
<h1>DataGenFlow</h1>
<p>The API is running, but the web UI is not built.</p>
<p>Build it with <code>make frontend</code> (or <code>cd frontend &amp;&amp; npm ci &amp;&amp;
npm run build</code>), which writes it to <code>src/datagenflow/web/</code>, then reload this
page.</p>
<p>Meanwhile the API and its documentation are at <a href="/api/docs">/api/docs</a>.</p>
</body></html>
"""


def _file_in(root: Path, path: str) -> Path | None:
    if not path:
        return None
    try:
        candidate = (root / path).resolve()
    except (OSError, ValueError):
        return None
    if candidate.is_relative_to(root) and candidate.is_file():
        return candidate
    return None


def mount_ui(app: FastAPI, web_dir: Path | None = None) -> None:
    root = (web_dir or WEB_DIR).resolve()

    async def ui(request: Request, path: str = "") -> Response:
        if path == "api" or path.startswith("api/"):
            return SafeJSONResponse({"error": "no such API route", "detail": {}}, status_code=404)
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT)
        found = _file_in(root, path)
        if found is not None:
            cache = (
                "public, max-age=31536000, immutable" if "/assets/" in f"/{path}" else "no-cache"
            )
            return FileResponse(found, headers={"Cache-Control": cache})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", ui, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/{path:path}", ui, methods=["GET", "HEAD"], include_in_schema=False)
