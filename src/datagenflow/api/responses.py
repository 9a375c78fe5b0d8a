"""JSON responses that cannot fail to encode: a 500 while writing an answer would be a bug."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import Send

from datagenflow.storage.jsonsafe import sanitize as _sanitize


class SafeJSONResponse(JSONResponse):
    """Plain JSON; values JSON cannot carry (NaN, lone surrogates) become null or U+FFFD."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (ValueError, UnicodeEncodeError):
            return json.dumps(
                _sanitize(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode("utf-8")


def dumps_line(value: Any) -> str:
    """One JSON Lines line, with the same fallback as SafeJSONResponse."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str) + "\n"
    except ValueError:
        return json.dumps(_sanitize(value), ensure_ascii=False, default=str) + "\n"


def encode_line(value: Any) -> bytes:
    return dumps_line(value).encode("utf-8", "replace")


async def send_error(
    send: Send,
    status: int,
    message: str,
    detail: dict[str, Any] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """The API's `{"error", "detail"}` answer, sent by a middleware (before any route runs)."""
    body = json.dumps({"error": message, "detail": detail or {}}).encode()
    start_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})
