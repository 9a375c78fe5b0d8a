"""Every error leaves as `{"error": "<one sentence>", "detail": {...}}` with a 4xx status."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from datagenflow.api.responses import SafeJSONResponse
from datagenflow.errors import DataGenFlowError

log = logging.getLogger(__name__)

_LOCATIONS = {"query": "query parameter", "path": "path parameter", "header": "header"}


def _where(loc: Sequence[Any]) -> str:
    if not loc:
        return "request"
    head, rest = str(loc[0]), list(loc[1:])
    if head in _LOCATIONS and rest:
        return f"{_LOCATIONS[head]} '{rest[0]}'" + _path(rest[1:])
    if head == "body":
        return ("field '" + _path(rest).lstrip(".") + "'") if rest else "request body"
    return _path(list(loc)).lstrip(".")


def _path(parts: Sequence[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _describe(error: dict[str, Any]) -> str:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return f"{_where_json(loc)} is not valid JSON{f' ({reason})' if reason else ''}"
    if kind == "missing":
        return f"{_where(loc)} is required"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{_where(loc)}: {message}"


def _where_json(loc: Sequence[Any]) -> str:
    """Pydantic puts the character offset of a JSON syntax error where a field name would be."""
    offset = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    return "request body" + (f" at character {offset}" if offset is not None else "")


def _location(error: dict[str, Any]) -> str:
    loc = tuple(error.get("loc", ()))
    return _where_json(loc) if error.get("type") == "json_invalid" else _where(loc)


def validation_body(errors: Sequence[Any]) -> dict[str, Any]:
    items = [
        {"location": _location(e), "message": _describe(e)}
        for e in errors[:20]
        if isinstance(e, dict)
    ]
    sentence = "; ".join(i["message"] for i in items[:5]) or "invalid request"
    return {"error": sentence, "detail": {"errors": items}}


async def _our_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DataGenFlowError)
    return SafeJSONResponse(exc.to_dict(), status_code=exc.status)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return SafeJSONResponse(validation_body(list(exc.errors())), status_code=422)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    if exc.status_code == 404 and message == "Not Found":
        message = "no such API route"
    return SafeJSONResponse(
        {"error": message, "detail": {}}, status_code=exc.status_code, headers=exc.headers
    )


async def _data_error(_request: Request, exc: Exception) -> Response:
    reason = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
    return SafeJSONResponse(
        {"error": f"the database refused a value: {reason}", "detail": {}}, status_code=422
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return SafeJSONResponse(
        {
            "error": f"internal server error ({type(exc).__name__}); see the server log",
            "detail": {},
        },
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataGenFlowError, _our_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
