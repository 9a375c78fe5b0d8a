"""Throughput of LLMClient.chat against a bare aiohttp loop, both hitting the mock LLM.

The mock server runs in its own process so client and server do not share a core. Figures:
records/s (wall clock) and client CPU per call, which is what our overhead actually costs once
the server is not the bottleneck.

    PYTHONPATH=src .venv/bin/python bench/bench_llm_client.py [--calls 5000] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp

from datagenflow.llm import LLMClient

SRC = Path(__file__).resolve().parents[1] / "src"
MODEL = "mock-model"


def start_server(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    code = (
        "from datagenflow.llm.mock_server import run_mock_server; "
        f"run_mock_server(port=0, latency_ms={latency_ms})"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+/v1)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"mock server did not start: {line!r}")
    return proc, match.group(1)


def messages(i: int) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You write short quiz questions."},
        {"role": "user", "content": f"Write one question about topic number {i}."},
    ]


async def workers(n: int, concurrency: int, call: Callable[[int], Awaitable[None]]) -> None:
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await call(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def bare_aiohttp(base_url: str, n: int, concurrency: int) -> None:
    url = base_url + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def call(i: int) -> None:
            body = json.dumps({"model": MODEL, "messages": messages(i)}).encode()
            async with session.post(url, data=body, headers=headers) as resp:
                data = json.loads(await resp.read())
                if resp.status != 200:
                    raise RuntimeError(data)
                assert data["choices"][0]["message"]["content"]

        await workers(n, concurrency, call)


async def llm_client_workers(base_url: str, n: int, concurrency: int) -> None:
    async with LLMClient(max_concurrency=concurrency) as client:

        async def call(i: int) -> None:
            result = await client.chat(messages(i), base_url=base_url, model=MODEL)
            assert result.content

        await workers(n, concurrency, call)


async def llm_client_gather(base_url: str, n: int, concurrency: int) -> None:
    """How jobs really call it: every record a task, the adaptive limiter doing the queueing."""
    async with LLMClient(max_concurrency=concurrency) as client:
        await asyncio.gather(
            *(client.chat(messages(i), base_url=base_url, model=MODEL) for i in range(n))
        )


VARIANTS: dict[str, Callable[[str, int, int], Coroutine[Any, Any, None]]] = {
    "bare aiohttp loop": bare_aiohttp,
    "LLMClient.chat (workers)": llm_client_workers,
    "LLMClient.chat (gather all)": llm_client_gather,
}


def measure(
    variant: Callable[[str, int, int], Coroutine[Any, Any, None]], base_url: str, n: int, c: int
) -> tuple[float, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    asyncio.run(variant(base_url, n, c))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return n / wall, cpu / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0)
    args = parser.parse_args()
    proc, base_url = start_server(args.latency_ms)
    try:
        print(
            f"mock server {base_url} (separate process, latency {args.latency_ms:g} ms); "
            f"{args.calls} calls, concurrency {args.concurrency}, best of {args.rounds} rounds"
        )
        for variant in VARIANTS.values():
            measure(variant, base_url, min(args.calls, 500), args.concurrency)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
        for _ in range(args.rounds):
            for name, variant in VARIANTS.items():
                results[name].append(measure(variant, base_url, args.calls, args.concurrency))
        baseline = max(r for r, _ in results["bare aiohttp loop"])
        for name, runs in results.items():
            best = max(r for r, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            print(
                f"  {name:<28} {best:8.0f} records/s  ({best / baseline:6.1%} of bare)"
                f"  client CPU {cpu:6.0f} µs/call"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
