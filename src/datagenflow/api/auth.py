"""Bearer-token check for every /api call when DATAGENFLOW_API_TOKEN is set.

`?token=` is accepted on the progress stream only, because EventSource cannot send headers.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from datagenflow.api.responses import send_error

_OPEN = frozenset({"/api/docs", "/api/docs/oauth2-redirect", "/api/openapi.json"})
_EVENTS = re.compile(r"^/api/jobs/[^/]+/events/?$")


class TokenAuth:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._guarded(scope["path"]) or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        await send_error(
            send,
            401,
            "missing or wrong API token: send 'Authorization: Bearer <token>' "
            "(DATAGENFLOW_API_TOKEN)",
            headers=[(b"www-authenticate", b"Bearer")],
        )

    @staticmethod
    def _guarded(path: str) -> bool:
        return (path == "/api" or path.startswith("/api/")) and path not in _OPEN

    def _allowed(self, scope: Scope) -> bool:
        header = Headers(scope=scope).get("authorization", "")
        supplied = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not supplied and _EVENTS.match(scope["path"]):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            supplied = (query.get("token") or [""])[0]
        return hmac.compare_digest(supplied.encode("utf-8", "replace"), self.token)
