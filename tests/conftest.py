"""Fixtures shared by every test: the project's fake LLM over real sockets, and settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from datagenflow.engine.registry import BlockRegistry, discover
from datagenflow.llm.mock_server import MockServerThread
from datagenflow.settings import reload_settings

FAKE_LLM_DEFAULTS = {"latency_ms": 0, "error_rate": 0.0, "reject_json_schema": False}


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[MockServerThread]:
    with MockServerThread() as server:
        yield server


@pytest.fixture
def fake_llm(
    fake_llm_server: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MockServerThread]:
    """The fake LLM, reset (script, counters, latency and error rate), with the settings
    pointing every LLM block at it."""
    fake_llm_server.reset()
    fake_llm_server.configure(**FAKE_LLM_DEFAULTS)
    monkeypatch.setenv("LLM_BASE_URL", fake_llm_server.base_url)
    monkeypatch.setenv("LLM_MAX_RETRIES", "2")
    reload_settings()
    yield fake_llm_server
    fake_llm_server.configure(**FAKE_LLM_DEFAULTS)
    reload_settings()


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No test reads the developer's .env or writes to ./data."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    for key in ("LLM_BASE_URL", "LLM_ENDPOINT", "DATAGENFLOW_API_TOKEN", "DEMO_MODE"):
        monkeypatch.delenv(key, raising=False)
    reload_settings()
    yield
    reload_settings()


@pytest.fixture(scope="session")
def registry() -> BlockRegistry:
    """The installed blocks (built-ins through their entry points), with no user folder."""
    found = discover(None)
    assert not found.errors, found.errors
    return found
