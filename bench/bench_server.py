"""Server benchmark: job throughput through the HTTP API, record insert rate, and export rate and
peak memory of the server process. Prints figures; it is not a pass/fail test.

    .venv/bin/python bench/bench_server.py [--executions 2000] [--concurrency 200]
        [--latency-ms 100] [--export-records 100000] [--database-url postgresql://...]

`--database-url` should name an empty database (a job left running there would be resumed).

The fake LLM and the server each run in their own process, like in production; the engine
figure (the same run through `engine.batch.run_many` in this process) is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

PIPELINE = {
    "name": "bench",
    "blocks": [
        {"id": "ask", "type": "LLMBlock", "config": {"user_prompt": "Write about {{ topic }}"}}
    ],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mock(latency_ms: float) -> tuple[multiprocessing.Process, str]:
    from datagenflow.llm.mock_server import run_mock_server

    port = free_port()
    process = multiprocessing.Process(
        target=run_mock_server,
        kwargs={"port": port, "latency_ms": latency_ms},
        daemon=True,
    )
    process.start()
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base_url}/models", timeout=1)
            return process, base_url
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the fake LLM did not start")


def seeds(n: int) -> list[dict[str, Any]]:
    return [{"metadata": {"topic": f"topic {i}"}} for i in range(n)]


async def engine_baseline(executions: int, concurrency: int) -> float:
    from datagenflow.engine import build_pipeline, discover, parse_definition
    from datagenflow.engine.batch import expand, run_many
    from datagenflow.engine.seeds import parse_seeds
    from datagenflow.llm import close_shared_client

    pipeline = build_pipeline(parse_definition(PIPELINE), discover(None), ["topic"])
    parsed = parse_seeds(json.dumps(seeds(executions)).encode(), "seeds.json")
    done = 0

    def count(*_: Any) -> None:
        nonlocal done
        done += 1

    await run_many(pipeline, expand(parsed[:concurrency]), count, concurrency=concurrency)
    start = time.perf_counter()
    await run_many(pipeline, expand(parsed), count, concurrency=concurrency)
    seconds = time.perf_counter() - start
    await close_shared_client()
    return seconds


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "datagenflow.api.server", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def run_job(client: httpx.Client, executions: int) -> tuple[float, dict[str, Any]]:
    pipeline_id = client.post("/api/pipelines", json=PIPELINE).json()["id"]
    body = json.dumps(seeds(executions)).encode()
    start = time.perf_counter()
    answer = client.post(
        "/api/generate",
        data={"pipeline_id": str(pipeline_id)},
        files={"file": ("seeds.json", body)},
    )
    if answer.status_code == 409:
        raise SystemExit(
            f"the database already has a running job ({answer.json()['error']}); "
            "give --database-url an empty database"
        )
    answer.raise_for_status()
    job_id = answer.json()["job_id"]
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return time.perf_counter() - start, job
        time.sleep(0.01)


async def bulk_insert(database_url: str, count: int) -> tuple[int, float]:
    """Bench-only: records written straight through storage, as a huge finished job would be."""
    from datagenflow.storage import Database, JobStore, RecordStore
    from datagenflow.storage.models import utcnow

    db = Database(database_url)
    job = await JobStore(db).create(
        pipeline_id=None,
        pipeline_name="export bench",
        definition=PIPELINE,
        total=count,
        concurrency=1,
        seed_filename="bench.json",
        seed_data=b"[]",
    )
    records = RecordStore(db)
    step = {
        "block_id": "ask",
        "block_type": "LLMBlock",
        "upstream": [],
        "output": {},
        "started_at": "2025-01-01T00:00:00+00:00",
        "duration_ms": 100.0,
        "error": None,
        "usage": {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52},
    }
    start = time.perf_counter()
    batch_size = 5000
    for first in range(0, count, batch_size):
        now = utcnow()
        rows = []
        for i in range(first, min(count, first + batch_size)):
            text = f"Mock reply {i:08d}: a generated paragraph about topic {i} " * 3
            rows.append(
                {
                    "job_id": job.id,
                    "seed_index": i,
                    "repetition": 0,
                    "attempt": 0,
                    "status": "pending",
                    "metadata": {"topic": f"topic {i}"},
                    "outputs": {"assistant": text},
                    "output": {"assistant": text},
                    "original_output": None,
                    "edited": False,
                    "steps": [{**step, "output": {"assistant": text}}],
                    "error": None,
                    "error_block": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await records.bulk_insert(rows)
    seconds = time.perf_counter() - start
    await JobStore(db).finish(job.id, "completed", error=None, elapsed_s=seconds)
    await db.close()
    return job.id, seconds


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def mb(value: float) -> str:
    return f"{value / (1024 * 1024):.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--export-records", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    mock, base_url = start_mock(args.latency_ms)
    workdir = Path(tempfile.mkdtemp(prefix="datagenflow-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    llm_concurrency = str(max(64, args.concurrency * 2))
    os.environ.update(LLM_BASE_URL=base_url, LLM_MAX_CONCURRENCY=llm_concurrency)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JOB_CONCURRENCY": str(args.concurrency),
        "DATAGENFLOW_USER_BLOCKS": str(workdir / "user_blocks"),
    }
    print(
        f"fake LLM latency {args.latency_ms:g} ms; {args.executions} executions of a one-LLMBlock "
        f"pipeline at concurrency {args.concurrency}; database {database_url.split('://')[0]}"
    )

    engine_s = asyncio.run(engine_baseline(args.executions, args.concurrency))
    print(
        f"engine (run_many, in process): {engine_s:.2f} s = {args.executions / engine_s:,.0f} rec/s"
    )

    port = free_port()
    server = start_server(env, port, workdir / "server.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            run_job(client, args.concurrency)
            api_s, job = run_job(client, args.executions)
            assert job["status"] == "completed" and job["done"] == args.executions, job
            print(
                f"API job (upload to completed, records stored): {api_s:.2f} s = "
                f"{args.executions / api_s:,.0f} rec/s ({api_s / engine_s:.2f}x the engine; "
                f"server-side elapsed {job['elapsed_s']:.2f} s)"
            )

            job_id, insert_s = asyncio.run(bulk_insert(database_url, args.export_records))
            print(
                f"insert (storage bulk insert): {args.export_records:,} records in "
                f"{insert_s:.2f} s = {args.export_records / insert_s:,.0f} rec/s"
            )

            client.get("/api/health")
            idle = psutil.Process(server.pid).memory_info().rss
            lines = 0
            size = 0
            with RssSampler(server.pid) as sampler:
                start = time.perf_counter()
                with client.stream("GET", "/api/export", params={"job_id": job_id}) as answer:
                    for chunk in answer.iter_bytes():
                        size += len(chunk)
                        lines += chunk.count(b"\n")
                export_s = time.perf_counter() - start
            assert lines == args.export_records, lines
            print(
                f"export: {lines:,} records ({mb(size)}) in {export_s:.2f} s = "
                f"{lines / export_s:,.0f} rec/s; server RSS idle {mb(idle)}, "
                f"peak {mb(sampler.peak)} (+{mb(sampler.peak - idle)})"
            )
    finally:
        server.terminate()
        server.wait(timeout=15)
        mock.terminate()
        mock.join(timeout=5)


if __name__ == "__main__":
    main()
