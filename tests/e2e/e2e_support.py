"""Support of the browser tests: servers in subprocesses, the fake LLM, screenshots.

Each server is a subprocess on a free port with a temporary SQLite database and the project's
fake LLM (`datagenflow mock-llm`, another subprocess). Screenshots go to
`test-output/screenshots/`, and also to `docs/images/` when DATAGENFLOW_UPDATE_DOCS_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
WEB_INDEX = REPO / "src" / "datagenflow" / "web" / "index.html"
SCREENSHOTS = REPO / "test-output" / "screenshots"
DOC_IMAGES = REPO / "docs" / "images"
CHROMIUM = os.environ.get("DATAGENFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLI = [sys.executable, "-c", "from datagenflow.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(
    check: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen[Any]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {timeout:g}s")


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class MockLLM:
    """`datagenflow mock-llm` in a subprocess."""

    def __init__(self, workdir: Path, latency_ms: int = 0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = (workdir / f"mock-llm-{self.port}.log").open("wb")
        args = [*CLI, "mock-llm", "--port", str(self.port)]
        if latency_ms:
            args += ["--latency-ms", str(latency_ms)]
        self.proc = subprocess.Popen(args, cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT)
        _wait_until(
            lambda: httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200,
            20,
            "mock-llm",
            self.proc,
        )

    def stop(self) -> None:
        _stop(self.proc)
        self.log.close()


class Server:
    """`datagenflow serve` in a subprocess, with its own database; `api` talks to it directly."""

    def __init__(
        self,
        workdir: Path,
        llm: MockLLM | None,
        token: str = "",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "user_blocks").mkdir(exist_ok=True)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("LLM_", "DATAGENFLOW_", "DATABASE_", "DEMO_"))
        }
        env.update(
            DATABASE_URL=f"sqlite:///{workdir / 'datagenflow.db'}",
            LLM_MODEL="mock-model",
            DATAGENFLOW_USER_BLOCKS=str(workdir / "user_blocks"),
            DATAGENFLOW_API_TOKEN=token,
        )
        if llm is not None:  # None: no endpoint configured, so `serve` falls back to demo mode
            env["LLM_BASE_URL"] = llm.base_url
        env.update(extra_env or {})
        self.log_path = workdir / f"serve-{self.port}.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=workdir,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.api = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        _wait_until(
            lambda: self.api.get("/api/health").status_code == 200,
            60,
            "datagenflow serve",
            self.proc,
        )

    def stop(self) -> None:
        self.api.close()
        _stop(self.proc)
        self.log.close()

    # API helpers for arranging and checking state
    def json(self, method: str, path: str, **kw: Any) -> Any:
        answer = self.api.request(method, path, **kw)
        assert answer.status_code < 400, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def records(self, job_id: int, **query: Any) -> list[dict[str, Any]]:
        page = self.json("GET", "/api/records", params={"job_id": job_id, "limit": 500, **query})
        return list(page["records"])

    def wait_for_job(self, job_id: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.json("GET", f"/api/jobs/{job_id}")
            if job["status"] not in ("queued", "running"):
                return dict(job)
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} still running after {timeout}s")

    def clean(self) -> None:
        """Forget every job and pipeline, so tests sharing this server start alike."""
        active = self.json("GET", "/api/jobs/active")["job"]
        if active:
            self.api.delete(f"/api/jobs/{active['id']}")
            self.wait_for_job(active["id"])
        for job in self.json("GET", "/api/jobs")["jobs"]:
            self.api.delete("/api/records", params={"job_id": job["id"]})
        for pipeline in self.json("GET", "/api/pipelines")["pipelines"]:
            self.api.delete(f"/api/pipelines/{pipeline['id']}")


def screenshot(target: Any, name: str, full_page: bool = False) -> Path:
    """Saves a screenshot of a page (or of one element) for the test output, and for the docs
    when DATAGENFLOW_UPDATE_DOCS_SCREENSHOTS=1."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:
        target.screenshot(path=str(path), full_page=True)
    else:
        target.screenshot(path=str(path))
    if os.environ.get("DATAGENFLOW_UPDATE_DOCS_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_IMAGES / path.name)
    return path
