"""An app created with its own settings runs its jobs with them, whatever the environment says."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from api_helpers import ONE_LLM, create_pipeline, records, seeds, start_job, wait_for_job
from conftest import LiveServer

from datagenflow.llm.mock_server import MockServerThread
from datagenflow.settings import Settings, get_settings, reload_settings


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_llm_blocks_use_the_apps_settings_not_the_environments(
    database_url: str,
    fake_llm: MockServerThread,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    nowhere = closed_port_url()
    monkeypatch.setenv("LLM_BASE_URL", nowhere)
    monkeypatch.setenv("LLM_MODEL", "environment-model")
    assert reload_settings().llm_base_url == nowhere
    own = Settings(
        llm_base_url=fake_llm.base_url,
        llm_model="app-model",
        llm_max_retries=0,
        database_url=database_url,
        datagenflow_user_blocks=tmp_path / "user_blocks",
    )
    server = LiveServer(own).start()
    try:
        job = wait_for_job(
            server.client,
            start_job(server.client, create_pipeline(server.client, ONE_LLM), seeds(3)),
        )
        assert (job["status"], job["succeeded"], job["failed"]) == ("completed", 3, 0), job
        for record in records(server.client, job["id"])["records"]:
            usage = record["trace"][0]["usage"]
            assert (usage["endpoint"], usage["model"]) == (fake_llm.base_url, "app-model")
        assert get_settings() is own
    finally:
        server.stop()
    assert reload_settings().llm_base_url == nowhere
