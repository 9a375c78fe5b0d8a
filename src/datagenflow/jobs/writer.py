"""The one task that writes a job's records: batched upserts every ~100 records or ~200 ms.

Results are queued synchronously when they arrive, so a cancelled worker never loses a record
that finished; `close()` writes whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from datagenflow.engine.batch import Execution
from datagenflow.engine.executor import RecordResult
from datagenflow.jobs.progress import LiveProgress
from datagenflow.storage.jsonsafe import clean_text
from datagenflow.storage.models import utcnow
from datagenflow.storage.records import JobDelta, RecordStore

log = logging.getLogger(__name__)

FLUSH_EVERY = 100
FLUSH_INTERVAL_S = 0.2
MAX_PENDING = 5000
_WRITE_ATTEMPTS = 5


class WriterFailed(Exception):
    pass


def record_row(
    job_id: int, attempt: int, execution: Execution, result: RecordResult
) -> dict[str, Any]:
    now = utcnow()
    return {
        "job_id": job_id,
        "seed_index": execution.seed_index,
        "repetition": execution.repetition,
        "attempt": attempt,
        "status": "pending" if result.status == "succeeded" else "failed",
        "metadata": result.metadata,
        "outputs": result.outputs,
        "output": result.output,
        "original_output": None,
        "edited": False,
        "steps": [step.to_dict() for step in result.steps],
        "error": clean_text(result.error),
        "error_block": clean_text(result.error_block),
        "created_at": now,
        "updated_at": now,
    }


class RecordWriter:
    def __init__(
        self,
        records: RecordStore,
        job_id: int,
        attempt: int,
        progress: LiveProgress,
        *,
        flush_every: int = FLUSH_EVERY,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self._records = records
        self._job_id = job_id
        self._attempt = attempt
        self._progress = progress
        self._flush_every = flush_every
        self._interval = flush_interval_s
        self._rows: list[dict[str, Any]] = []
        self._delta = JobDelta()
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._closing = False
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"record-writer-{self._job_id}")

    async def add(self, execution: Execution, result: RecordResult) -> None:
        if self._error is not None:
            raise WriterFailed(f"cannot store records: {self._error}") from self._error
        usage = result.usage()
        self._rows.append(record_row(self._job_id, self._attempt, execution, result))
        delta = self._delta
        delta.done += 1
        if result.status == "failed":
            delta.failed += 1
        else:
            delta.succeeded += 1
        delta.prompt_tokens += usage["prompt_tokens"]
        delta.completion_tokens += usage["completion_tokens"]
        delta.total_tokens += usage["total_tokens"]
        self._progress.on_result(result, usage)
        if len(self._rows) >= self._flush_every:
            self._wake.set()
        if len(self._rows) >= MAX_PENDING:
            self._drained.clear()
            await self._drained.wait()

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            closing = self._closing
            try:
                await self._flush()
            except Exception as exc:
                log.exception("job %s: storing records failed", self._job_id)
                self._error = exc
                self._drained.set()
                return
            if closing:
                return

    async def _flush(self) -> None:
        if not self._rows and self._delta.done == 0:
            return
        rows, self._rows = self._rows, []
        delta, self._delta = self._delta, JobDelta()
        delta.elapsed_s = round(self._progress.elapsed(), 3)
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                await self._records.save_batch(self._job_id, rows, delta)
                break
            except Exception:
                if attempt == _WRITE_ATTEMPTS:
                    raise
                await asyncio.sleep(0.1 * 2**attempt)
        self._drained.set()

    async def close(self) -> None:
        """Write what is left; raises if records could not be stored."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await asyncio.shield(self._task)
        if self._error is not None:
            raise WriterFailed(f"cannot store records: {self._error}") from self._error
