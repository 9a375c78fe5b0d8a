"""JSON responses that cannot fail to encode: a 500 while writing an answer would be a bug."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

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
