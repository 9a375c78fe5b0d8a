"""An OpenAI-compatible fake LLM for demos, tests and benchmarks (`datagenflow mock-llm`).

Fast enough to be the cheap side of a benchmark, deterministic, and scriptable over HTTP
(`/_mock/script`, `/_mock/stats`, `/_mock/reset`, `/_mock/config`) so tests in other processes
can stage 429s, 500s and slow answers for the next requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from datagenflow.llm.mock_replies import RequestError, completion, encode, error_body

DEFAULT_MODELS = ("mock-model", "llama3.2", "gpt-4o-mini")
_JSON = "application/json"


class MockState:
    """Behaviour knobs and counters of one mock server; only touched on the server's loop."""

    def __init__(
        self,
        *,
        latency_ms: float = 0,
        error_rate: float = 0.0,
        seed: int | None = None,
        reject_json_schema: bool = False,
        models: Sequence[str] | None = None,
    ) -> None:
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.reject_json_schema = reject_json_schema
        self.models = list(models or DEFAULT_MODELS)
        self.rng = random.Random(seed)
        self.script: deque[dict[str, Any]] = deque()
        self.reset_stats()

    def reset_stats(self) -> None:
        self.requests = 0
        self.models_requests = 0
        self.by_status: dict[int, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.last_request: Any = None
        self.last_authorization: str | None = None
        self.peers: set[Any] = set()

    def configure(self, options: dict[str, Any]) -> None:
        if "latency_ms" in options:
            self.latency_ms = float(options["latency_ms"])
        if "error_rate" in options:
            self.error_rate = float(options["error_rate"])
        if "reject_json_schema" in options:
            self.reject_json_schema = bool(options["reject_json_schema"])
        if "seed" in options:
            self.rng = random.Random(options["seed"])
        if "models" in options:
            self.models = [str(m) for m in options["models"]]

    def add_script(self, responses: Sequence[dict[str, Any]]) -> None:
        for entry in responses:
            if not isinstance(entry, dict):
                raise ValueError("each scripted response must be an object")
            self.script.append(dict(entry))

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "models_requests": self.models_requests,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "connections": len(self.peers),
            "script_pending": len(self.script),
            "last_request": self.last_request,
            "last_authorization": self.last_authorization,
        }


STATE = web.AppKey("mock_state", MockState)


def _response(status: int, body: bytes, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, headers=headers, content_type=_JSON)


async def _chat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.requests += 1
    transport = request.transport
    if transport is not None:
        state.peers.add(transport.get_extra_info("peername"))
    state.in_flight += 1
    if state.in_flight > state.max_in_flight:
        state.max_in_flight = state.in_flight
    try:
        response = await _answer(state, request)
    finally:
        state.in_flight -= 1
    status = response.status
    state.by_status[status] = state.by_status.get(status, 0) + 1
    return response


async def _answer(state: MockState, request: web.Request) -> web.Response:
    raw = await request.read()
    state.last_authorization = request.headers.get("Authorization")
    entry = state.script.popleft() if state.script else None
    if entry is not None:
        delay = float(entry.get("delay_ms", 0))
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        status = int(entry.get("status", 200))
        if status != 200 or "body" in entry:
            return _scripted(entry, status)
    elif state.latency_ms > 0:
        await asyncio.sleep(state.latency_ms / 1000)
    try:
        payload = json.loads(raw)
    except ValueError:
        return _response(400, error_body("request body is not valid JSON", "invalid_request_error"))
    state.last_request = payload
    if entry is None and state.error_rate > 0 and state.rng.random() < state.error_rate:
        if state.rng.random() < 0.5:
            body = error_body("Rate limit reached (mock)", "rate_limit_error", 429)
            return _response(429, body, {"Retry-After": "0"})
        return _response(500, error_body("Internal server error (mock)", "server_error", 500))
    fmt = payload.get("response_format") if isinstance(payload, dict) else None
    if state.reject_json_schema and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        body = error_body("response_format json_schema not supported", "invalid_request_error")
        return _response(400, body)
    override = entry.get("content") if entry is not None else None
    try:
        reply = completion(payload, override if isinstance(override, str) else None)
    except RequestError as exc:
        return _response(400, error_body(str(exc), "invalid_request_error"))
    return _response(200, encode(reply))


def _scripted(entry: dict[str, Any], status: int) -> web.Response:
    headers: dict[str, str] = {}
    if entry.get("retry_after") is not None:
        headers["Retry-After"] = str(entry["retry_after"])
    if "body" in entry:
        raw = entry["body"]
        body = raw.encode() if isinstance(raw, str) else encode(raw)
        return _response(status, body, headers)
    kind = (
        "rate_limit_error"
        if status == 429
        else "server_error"
        if status >= 500
        else ("invalid_request_error")
    )
    message = str(entry.get("message") or f"scripted {status} (mock)")
    return _response(status, error_body(message, kind, status), headers)


async def _models(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.models_requests += 1
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "mock"} for m in state.models]
    return _response(200, encode({"object": "list", "data": data}))


async def _script(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        data = await request.json()
        responses = data["responses"] if isinstance(data, dict) else data
        if not isinstance(responses, list):
            raise ValueError("expected {'responses': [...]}")
        state.add_script(responses)
    except (ValueError, KeyError, TypeError) as exc:
        return _response(400, error_body(f"bad script: {exc}", "invalid_request_error"))
    return _response(200, encode({"queued": len(state.script)}))


async def _stats(request: web.Request) -> web.Response:
    return _response(200, encode(request.app[STATE].stats()))


async def _reset(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.script.clear()
    state.reset_stats()
    return _response(200, encode({"reset": True}))


async def _config(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("expected an object")
        state.configure(data)
    except (ValueError, TypeError) as exc:
        return _response(400, error_body(f"bad config: {exc}", "invalid_request_error"))
    return _response(200, encode({"ok": True}))


def create_app(
    *,
    latency_ms: float = 0,
    error_rate: float = 0.0,
    seed: int | None = None,
    reject_json_schema: bool = False,
    models: Sequence[str] | None = None,
) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE] = MockState(
        latency_ms=latency_ms,
        error_rate=error_rate,
        seed=seed,
        reject_json_schema=reject_json_schema,
        models=models,
    )
    for prefix in ("/v1", ""):
        app.router.add_post(f"{prefix}/chat/completions", _chat)
        app.router.add_get(f"{prefix}/models", _models)
    app.router.add_post("/_mock/script", _script)
    app.router.add_get("/_mock/stats", _stats)
    app.router.add_post("/_mock/reset", _reset)
    app.router.add_post("/_mock/config", _config)
    return app


class MockServer:
    """A running mock server on the current loop; `base_url` is what clients are given."""

    def __init__(self, runner: web.AppRunner, app: web.Application, host: str, port: int) -> None:
        self._runner = runner
        self.app = app
        self.host = host
        self.port = port
        client_host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, host)
        if ":" in client_host and not client_host.startswith("["):
            client_host = f"[{client_host}]"
        self.base_url = f"http://{client_host}:{port}/v1"

    @property
    def state(self) -> MockState:
        return self.app[STATE]

    def script(self, responses: Sequence[dict[str, Any]]) -> None:
        self.state.add_script(responses)

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def reset(self) -> None:
        self.state.script.clear()
        self.state.reset_stats()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> MockServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def start_mock_server(host: str = "127.0.0.1", port: int = 0, **opts: Any) -> MockServer:
    """Start on the running loop; `port=0` picks a free port (see `.port` / `.base_url`)."""
    app = create_app(**opts)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1] if runner.addresses else port
    return MockServer(runner, app, host, int(bound))


def run_mock_server(host: str = "127.0.0.1", port: int = 11435, **opts: Any) -> None:
    """Serve until SIGINT/SIGTERM; prints one line with the base URL once listening."""
    asyncio.run(_serve_forever(host, port, opts))


async def _serve_forever(host: str, port: int, opts: dict[str, Any]) -> None:
    server = await start_mock_server(host, port, **opts)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    state = server.state
    print(
        f"Mock LLM (OpenAI-compatible) listening on {server.base_url} "
        f"(latency {state.latency_ms:g} ms, error rate {state.error_rate:g}); Ctrl+C stops it",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await server.stop()


class MockServerThread:
    """The mock server on its own loop in a background thread, for sync and cross-process tests.

    Usable as a context manager; `script`, `stats` and `reset` are safe to call from any thread.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **opts: Any) -> None:
        self._host = host
        self._port = port
        self._opts = opts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: MockServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def server(self) -> MockServer:
        if self._server is None:
            raise RuntimeError("mock server thread is not running")
        return self._server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> MockServerThread:
        self._thread = threading.Thread(target=self._run, name="mock-llm", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
        self._thread = None

    def script(self, responses: Sequence[dict[str, Any]]) -> None:
        self._call(lambda: self.server.script(responses))

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call(self.server.stats)
        return result

    def configure(self, **options: Any) -> None:
        """Change latency, error rate, ... on the server's own loop (see MockState.configure)."""
        self._call(lambda: self.server.state.configure(options))

    def reset(self) -> None:
        self._call(self.server.reset)

    def _call(self, fn: Any) -> Any:
        if self._loop is None:
            raise RuntimeError("mock server thread is not running")

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                start_mock_server(self._host, self._port, **self._opts)
            )
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._server.stop())
            loop.close()

    def __enter__(self) -> MockServerThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
