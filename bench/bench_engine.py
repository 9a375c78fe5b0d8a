"""Engine throughput: `datagenflow run` over 2,000 executions of a one-LLMBlock pipeline.

1. Against the fake LLM at 100 ms latency, --concurrency 200: wall time of the whole command,
   start-up included (goal: under 3 s; ideal 1 s).
2. At 0 ms latency: records/s through the whole engine vs. a bare aiohttp loop sending the same
   requests at the same concurrency, in one run, so the engine's overhead shows.

Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
from _common import MockLLMProcess, datagenflow_cmd, env_with

PIPELINE = {
    "name": "bench one LLM block",
    "blocks": [
        {"id": "ask", "type": "LLMBlock", "config": {"user_prompt": "Tell me about {{ topic }}"}}
    ],
}


def write_inputs(folder: Path, executions: int) -> tuple[Path, Path]:
    pipeline = folder / "pipeline.json"
    pipeline.write_text(json.dumps(PIPELINE))
    seeds = folder / "seeds.json"
    per_seed = 10
    seeds.write_text(
        json.dumps(
            [
                {"repetitions": per_seed, "metadata": {"topic": f"topic {i}"}}
                for i in range(executions // per_seed)
            ]
        )
    )
    return pipeline, seeds


def run_cli(folder: Path, base_url: str, executions: int, concurrency: int, *extra: str) -> float:
    """Wall time of one whole `datagenflow run` command, start-up included."""
    pipeline, seeds = write_inputs(folder, executions)
    out = folder / "out.jsonl"
    out.unlink(missing_ok=True)
    env = env_with(LLM_BASE_URL=base_url, LLM_MAX_CONCURRENCY=str(concurrency))
    env.pop("RAY_ADDRESS", None)
    started = time.perf_counter()
    proc = subprocess.run(
        [*datagenflow_cmd(), "run", str(pipeline), "--seeds", str(seeds), "--out", str(out),
         "--concurrency", str(concurrency), "--quiet", *extra],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    lines = sum(1 for _ in out.open()) if out.exists() else 0
    if proc.returncode != 0 or lines != executions:
        raise SystemExit(f"run failed ({proc.returncode}, {lines} lines): {proc.stderr[-2000:]}")
    return wall


async def bare_loop(base_url: str, executions: int, concurrency: int) -> float:
    url = f"{base_url}/chat/completions"
    queue = iter(range(executions))
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for i in queue:
                body = {
                    "model": "llama3.2",
                    "messages": [{"role": "user", "content": f"Tell me about topic {i % 200}"}],
                }
                async with session.post(url, json=body) as resp:
                    data = await resp.json()
                    _ = data["choices"][0]["message"]["content"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def engine_in_process(base_url: str, executions: int, concurrency: int) -> float:
    import os

    os.environ["LLM_BASE_URL"] = base_url
    os.environ["LLM_MAX_CONCURRENCY"] = str(concurrency)
    from datagenflow.engine.batch import Execution, run_many
    from datagenflow.engine.definition import parse_definition
    from datagenflow.engine.executor import RecordResult
    from datagenflow.engine.pipeline import build_pipeline
    from datagenflow.engine.registry import discover
    from datagenflow.llm import close_shared_client
    from datagenflow.settings import reload_settings

    reload_settings()
    pipeline = build_pipeline(parse_definition(PIPELINE), discover(None), ["topic"])
    results: list[RecordResult] = []
    executions_iter = (Execution(i, 0, {"topic": f"topic {i % 200}"}) for i in range(executions))
    started = time.perf_counter()
    await run_many(
        pipeline, executions_iter, lambda e, r: results.append(r), concurrency=concurrency
    )
    elapsed = time.perf_counter() - started
    await close_shared_client()
    failed = sum(1 for r in results if r.status != "succeeded")
    if failed:
        raise SystemExit(f"{failed} records failed: {results[0].error}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    n, c = args.executions, args.concurrency
    with tempfile.TemporaryDirectory() as tmp:
        with MockLLMProcess(latency_ms=100) as llm:
            wall = run_cli(Path(tmp), llm.base_url, n, c)
        print(f"datagenflow run, {n} executions, --concurrency {c}, fake LLM 100 ms latency:")
        print(f"  wall time {wall:.2f} s including start-up, {n / wall:,.0f} records/s")
        with MockLLMProcess(latency_ms=0) as llm:
            asyncio.run(bare_loop(llm.base_url, 200, c))  # warm the fake LLM
            bare = asyncio.run(bare_loop(llm.base_url, n, c))
            engine = asyncio.run(engine_in_process(llm.base_url, n, c))
            bare2 = asyncio.run(bare_loop(llm.base_url, n, c))
        bare = min(bare, bare2)
        print(f"fake LLM 0 ms latency, {n} calls, concurrency {c}:")
        print(f"  bare aiohttp loop  {n / bare:8,.0f} records/s ({bare:.2f} s)")
        print(f"  whole engine       {n / engine:8,.0f} records/s ({engine:.2f} s)")
        print(
            f"  engine overhead    {(engine - bare) / n * 1e3:.3f} ms per record "
            f"({engine / bare:.2f}x the bare loop's time)"
        )


if __name__ == "__main__":
    main()
