"""Live progress of a running job, in memory: cheap to update per record and to read per event."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from datagenflow.engine.executor import RecordResult


def count_block(in_flight: dict[str, int], block_id: str, started: bool) -> None:
    """Records in each block: one more when a block starts on a record, one less when it ends."""
    count = in_flight.get(block_id, 0) + (1 if started else -1)
    if count > 0:
        in_flight[block_id] = count
    else:
        in_flight.pop(block_id, None)


class LiveProgress:
    """Counters as results arrive (ahead of the database by at most one flush)."""

    def __init__(
        self,
        *,
        total: int,
        done: int,
        failed: int,
        elapsed_before: float,
        usage: dict[str, int],
        block_order: list[str],
    ) -> None:
        self.total = total
        self.done = done
        self.failed = failed
        self.usage = dict(usage)
        self.elapsed_before = elapsed_before
        self.processed = 0
        self.first_error: str | None = None
        self._order = block_order
        self._in_flight: dict[str, int] = {}
        self._started = time.monotonic()
        self._finished_at: float | None = None
        self.version = 0
        self._changed = asyncio.Event()

    @property
    def succeeded(self) -> int:
        return self.done - self.failed

    def on_block(self, block_id: str, started: bool) -> None:
        count_block(self._in_flight, block_id, started)

    def on_result(self, result: RecordResult, usage: dict[str, int]) -> None:
        self.done += 1
        self.processed += 1
        if result.status == "failed":
            self.failed += 1
            if self.first_error is None:
                self.first_error = result.error
        for key, value in usage.items():
            self.usage[key] = self.usage.get(key, 0) + value
        self.bump()

    def bump(self) -> None:
        self.version += 1
        self._changed.set()

    async def wait_change(self, version: int, within_s: float) -> None:
        """Return once the version moved past `version`, or after `within_s` seconds."""
        if self.version != version:
            return
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), within_s)

    def stop_clock(self) -> None:
        self._in_flight.clear()
        if self._finished_at is None:
            self._finished_at = time.monotonic()

    def run_seconds(self) -> float:
        end = self._finished_at if self._finished_at is not None else time.monotonic()
        return end - self._started

    def elapsed(self) -> float:
        return self.elapsed_before + self.run_seconds()

    def current_blocks(self) -> list[str]:
        return [b for b in self._order if self._in_flight.get(b)]

    def snapshot(self) -> dict[str, Any]:
        seconds = self.run_seconds()
        rate = self.processed / seconds if seconds > 0 else 0.0
        remaining = max(0, self.total - self.done)
        eta = remaining / rate if rate > 0 else None
        return {
            "done": self.done,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "current_blocks": self.current_blocks(),
            "elapsed_s": round(self.elapsed(), 3),
            "rate": round(rate, 3),
            "eta_s": round(eta, 3) if eta is not None and self._finished_at is None else None,
            "usage": dict(self.usage),
        }
