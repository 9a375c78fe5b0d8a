"""Shared steps of the API tests: pipelines, uploads and waiting for a job without fixed sleeps."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

FINAL = ("completed", "failed", "cancelled")

ONE_LLM = {
    "name": "One LLM call",
    "blocks": [
        {"id": "ask", "type": "LLMBlock", "config": {"user_prompt": "Write about {{ topic }}"}},
    ],
}

LLM_AND_OUTPUT = {
    "name": "Ask and format",
    "blocks": [
        {"id": "ask", "type": "LLMBlock", "config": {"user_prompt": "Write about {{ topic }}"}},
        {
            "id": "out",
            "type": "OutputBlock",
            "config": {"format_template": "{{ topic }}: {{ assistant }}"},
        },
    ],
}


def seeds(n: int, repetitions: int = 1) -> list[dict[str, Any]]:
    return [{"repetitions": repetitions, "metadata": {"topic": f"topic {i}"}} for i in range(n)]


def create_pipeline(client: httpx.Client, definition: dict[str, Any] | None = None) -> int:
    response = client.post("/api/pipelines", json=definition or LLM_AND_OUTPUT)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def upload(
    client: httpx.Client,
    pipeline_id: int,
    seed_data: Any,
    filename: str = "seeds.json",
) -> httpx.Response:
    body = seed_data if isinstance(seed_data, bytes) else json.dumps(seed_data).encode()
    return client.post(
        "/api/generate",
        data={"pipeline_id": str(pipeline_id)},
        files={"file": (filename, body, "application/octet-stream")},
    )


def start_job(client: httpx.Client, pipeline_id: int, seed_data: Any) -> int:
    response = upload(client, pipeline_id, seed_data)
    assert response.status_code == 201, response.text
    return int(response.json()["job_id"])


def wait_for_job(
    client: httpx.Client,
    job_id: int,
    until: Callable[[dict[str, Any]], bool] = lambda job: job["status"] in FINAL,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Poll the job until `until(job)` holds; fails with the last state seen on timeout."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()
        if until(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s; last seen: {job}")


def records(client: httpx.Client, job_id: int, **params: Any) -> dict[str, Any]:
    response = client.get("/api/records", params={"job_id": job_id, "limit": 500, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    for word in words:
        assert word in body["error"], body["error"]
    return dict(body)
