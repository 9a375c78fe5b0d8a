"""A server killed with SIGKILL mid-job, started again on the same database, finishes the job
with every execution recorded exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from api_helpers import create_pipeline, records, seeds, start_job, wait_for_job

from datagenflow.llm.mock_server import MockServerThread

N = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "datagenflow.api.server", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not start:\n{log.read_text()}")


def test_kill_9_mid_job_then_restart_records_each_execution_once(
    database_url: str, fake_llm: MockServerThread, tmp_path: Path
) -> None:
    fake_llm.server.state.latency_ms = 40
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LLM_BASE_URL": fake_llm.base_url,
        "LLM_MAX_RETRIES": "0",
        "JOB_CONCURRENCY": "4",
        "DATAGENFLOW_USER_BLOCKS": str(tmp_path / "user_blocks"),
    }
    log = tmp_path / "server.log"
    port = _free_port()
    first = _spawn(env, port, log)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        pipeline_id = create_pipeline(client)
        job_id = start_job(client, pipeline_id, seeds(N // 2, repetitions=2))
        wait_for_job(client, job_id, lambda j: j["done"] >= 12)
        time.sleep(0.25)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    client.close()

    second = _spawn(env, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            job = wait_for_job(client, job_id)
            assert job["status"] == "completed", job
            assert (job["total"], job["done"], job["succeeded"]) == (N, N, N)
            page = records(client, job_id)
            keys = [(r["seed_index"], r["repetition"]) for r in page["records"]]
            assert page["total"] == N and len(keys) == N
            assert set(keys) == {(s, r) for s in range(N // 2) for r in range(2)}
            assert "resumed" in log.read_text()
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=15)
        except subprocess.TimeoutExpired:
            second.kill()
            pytest.fail("the server did not stop on SIGTERM")


def test_graceful_stop_mid_job_resumes_at_next_start(make_server, fake_llm) -> None:  # type: ignore[no-untyped-def]
    fake_llm.server.state.latency_ms = 40
    first = make_server(job_concurrency=4)
    pipeline_id = create_pipeline(first.client)
    job_id = start_job(first.client, pipeline_id, seeds(40))
    wait_for_job(first.client, job_id, lambda j: j["done"] >= 8)
    first.stop()

    second = make_server(job_concurrency=4)
    job = wait_for_job(second.client, job_id)
    assert (job["status"], job["done"], job["succeeded"]) == ("completed", 40, 40)
    assert records(second.client, job_id)["total"] == 40
