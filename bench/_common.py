"""Shared by the benchmarks: a fake LLM in its own process, free ports, temp files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class MockLLMProcess:
    """`datagenflow mock-llm` in its own process, so it does not share a loop with the client."""

    def __init__(self, latency_ms: float = 0.0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "datagenflow.cli",
                "mock-llm",
                "--port",
                str(self.port),
                "--latency-ms",
                str(latency_ms),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"{self.base_url}/models")

    def __enter__(self) -> MockLLMProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def datagenflow_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("datagenflow")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "datagenflow.cli"]


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
