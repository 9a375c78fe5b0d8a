"""Local executor vs. Ray executor: 2,000 executions of a one-LLMBlock pipeline, concurrency 200.

The fake LLM answers in 100 ms (its own process). Both executors run the same records in this
process's driver; the Ray figure is split into starting Ray (once per process) and the job
itself (its workers' start-up included), then `datagenflow run` is timed whole with each
`--executor`. On one machine Ray cannot beat asyncio at I/O-bound work: the point is the
overhead it adds, which a cluster pays back when one process's CPU is the limit.

Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import MockLLMProcess
from bench_engine import PIPELINE, run_cli

from datagenflow.engine.batch import Execution, expand
from datagenflow.engine.definition import parse_definition
from datagenflow.engine.executor import RecordResult
from datagenflow.engine.pipeline import build_pipeline
from datagenflow.engine.registry import discover
from datagenflow.engine.seeds import Seed
from datagenflow.jobs.executors import RecordExecutor, make_executor
from datagenflow.llm import close_shared_client
from datagenflow.settings import get_settings, reload_settings


async def timed_run(executor: RecordExecutor, seeds: list[Seed], concurrency: int) -> float:
    pipeline = build_pipeline(parse_definition(PIPELINE), discover(None), ["topic"])
    done = {"succeeded": 0, "failed": 0}

    def count(execution: Execution, result: RecordResult) -> None:
        done[result.status] += 1

    started = time.perf_counter()
    try:
        await executor.run(pipeline, expand(seeds), count, concurrency=concurrency)
    finally:
        await close_shared_client()
    elapsed = time.perf_counter() - started
    total = sum(s.repetitions for s in seeds)
    if done["succeeded"] != total:
        raise SystemExit(f"{executor.name}: {done} of {total}")
    return elapsed


async def in_process(executions: int, concurrency: int) -> None:
    seeds = [Seed(i, {"topic": f"topic {i}"}, 10) for i in range(executions // 10)]
    settings = get_settings()
    local = await timed_run(make_executor(settings, "local"), seeds, concurrency)
    ray_executor = make_executor(settings, "ray")
    import ray  # the executor starts Ray itself; timed apart from the job

    started = time.perf_counter()
    ray.init(address="local", include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    try:
        first = await timed_run(ray_executor, seeds, concurrency)
        second = await timed_run(ray_executor, seeds, concurrency)
    finally:
        await ray_executor.shutdown()
        ray.shutdown()
    print(f"in process, {executions} executions at concurrency {concurrency}:")
    print(f"  local executor: {local:6.2f} s  ({executions / local:,.0f} records/s)")
    print(
        f"  Ray executor:   {first:6.2f} s  ({executions / first:,.0f} records/s; "
        f"second job {second:.2f} s; starting local Ray took {ray_start:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=100)
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    with MockLLMProcess(latency_ms=args.latency_ms) as llm:
        os.environ["LLM_BASE_URL"] = llm.base_url
        os.environ["LLM_MAX_CONCURRENCY"] = str(args.concurrency)  # the limit is the concurrency
        reload_settings()
        print(f"fake LLM at {args.latency_ms:g} ms latency; {os.cpu_count()} CPUs")
        asyncio.run(in_process(args.executions, args.concurrency))
        with tempfile.TemporaryDirectory() as tmp:
            print("`datagenflow run` wall time, start-up included:")
            for executor in ("local", "ray"):
                wall = run_cli(
                    Path(tmp), llm.base_url, args.executions, args.concurrency,
                    "--executor", executor,
                )  # fmt: skip
                print(f"  --executor {executor:<5} {wall:6.2f} s")


if __name__ == "__main__":
    main()
