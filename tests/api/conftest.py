"""A real server per test: uvicorn in a thread on a free port, httpx over real sockets.

The database is SQLite in the test's tmp dir, or, when DATAGENFLOW_TEST_POSTGRES_URL is set,
also PostgreSQL with the schema dropped and recreated before each test.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from datagenflow.api.server import build_config
from datagenflow.llm.mock_server import MockServerThread
from datagenflow.settings import Settings, get_settings, reload_settings

PG_ENV = "DATAGENFLOW_TEST_POSTGRES_URL"
_DATABASES = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]


async def _reset_postgres(url: str) -> str:
    """An empty database for this test: this worker's own one under pytest-xdist."""
    import asyncpg

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        base, name = url.rsplit("/", 1)
        own = f"{name}_{worker}"
        conn = await asyncpg.connect(url)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", own):
                await conn.execute(f'CREATE DATABASE "{own}"')
        finally:
            await conn.close()
        url = f"{base}/{own}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    return url


@pytest.fixture(params=_DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'datagenflow.db'}"
    return asyncio.run(_reset_postgres(os.environ[PG_ENV]))


class LiveServer:
    """The app on uvicorn in a background thread; `client` talks to it over a real socket."""

    def __init__(self, settings: Settings | None = None) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = settings or get_settings()
        self.server = uvicorn.Server(build_config("127.0.0.1", self.port, self.settings))
        self.server.config.timeout_graceful_shutdown = 1
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        headers = {}
        if self.settings.datagenflow_api_token:
            headers["Authorization"] = f"Bearer {self.settings.datagenflow_api_token}"
        self.client = httpx.Client(base_url=self.url, timeout=30, headers=headers)

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()


ServerFactory = Callable[..., LiveServer]


@pytest.fixture
def make_server(
    database_url: str,
    fake_llm: MockServerThread,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[ServerFactory]:
    """Start a server with settings from keyword arguments (environment names, any case)."""
    started: list[LiveServer] = []

    def factory(**env: Any) -> LiveServer:
        values = {
            "DATABASE_URL": database_url,
            "DATAGENFLOW_USER_BLOCKS": str(tmp_path / "user_blocks"),
            "LLM_MAX_RETRIES": "0",
            "JOB_CONCURRENCY": "8",
        }
        values.update({k.upper(): str(v) for k, v in env.items()})
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        reload_settings()
        server = LiveServer().start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: ServerFactory) -> LiveServer:
    return make_server()


@pytest.fixture
def client(server: LiveServer) -> httpx.Client:
    return server.client
