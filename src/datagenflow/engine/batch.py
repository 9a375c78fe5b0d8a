"""Many records through one pipeline with bounded concurrency and flat memory.

A fixed pool of workers pulls executions from an iterator, so a million seeds cost no more
memory than a hundred; the CLI and the job runner both run records through here.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from datagenflow.engine.executor import BlockHook, RecordResult, execute_record
from datagenflow.engine.pipeline import Pipeline
from datagenflow.engine.seeds import Seed


@dataclass(frozen=True)
class Execution:
    seed_index: int
    repetition: int
    metadata: dict[str, Any]


ResultHook = Callable[[Execution, RecordResult], Awaitable[None] | None]


def expand(seeds: Iterable[Seed], skip: set[tuple[int, int]] | None = None) -> Iterator[Execution]:
    """Every seed x repetition, lazily, leaving out the (seed, repetition) keys in `skip`."""
    for seed in seeds:
        for repetition in range(seed.repetitions):
            if skip and (seed.index, repetition) in skip:
                continue
            yield Execution(seed.index, repetition, seed.metadata)


async def run_many(
    pipeline: Pipeline,
    executions: Iterable[Execution],
    on_result: ResultHook,
    *,
    concurrency: int = 64,
    on_block: BlockHook | None = None,
) -> None:
    """Run every execution; returns when all are done, or raises CancelledError when cancelled."""
    source = iter(executions)

    async def worker() -> None:
        for execution in source:
            result = await execute_record(pipeline, execution.metadata, on_block)
            outcome = on_result(execution, result)
            if inspect.isawaitable(outcome):
                await outcome

    workers = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


class FailFast:
    """Says when a run should stop: its first `after` executions all failed. An unreachable
    endpoint or a broken prompt would otherwise fail every one of thousands of records, slowly.
    `after` = 0 never stops."""

    def __init__(self, after: int, on_trip: Callable[[], object]) -> None:
        self.after = after
        self.on_trip = on_trip
        self.seen = 0
        self.failed = 0
        self.first_error: str | None = None
        self.reason: str | None = None

    def see(self, result: RecordResult) -> None:
        if self.seen >= self.after:
            return
        self.seen += 1
        if result.status == "failed":
            self.failed += 1
            self.first_error = self.first_error or result.error
        if self.seen == self.after and self.failed == self.after:
            self.reason = (
                f"stopped: the first {self.after} executions all failed (setting "
                f"JOB_FAIL_FAST); first error: {self.first_error}"
            )
            self.on_trip()
