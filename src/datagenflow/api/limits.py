"""A cap on request bodies other than file uploads.

Pipelines, record edits and bulk updates are small JSON documents; without a cap, one request
could hold the server's memory while it is read and parsed. Multipart uploads (seed files) have
their own limit, `MAX_UPLOAD_BYTES`, checked as they stream, so they are left alone here.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datagenflow.api.responses import send_error
from datagenflow.api.uploads import size_text


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        return (
            f"the request body is larger than the limit of {size_text(self.limit)} "
            "(setting MAX_REQUEST_BYTES)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await send_error(send, 413, self._message(), {"limit": self.limit})
            return
        if scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        # read the body here (it is small), so an oversized one is answered before any route
        # runs; the route then reads the buffered messages
        buffered: list[Message] = []
        received = 0
        more = True
        while more:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > self.limit:
                await send_error(send, 413, self._message(), {"limit": self.limit})
                return
            more = bool(message.get("more_body", False))

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)
