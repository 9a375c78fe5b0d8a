"""Adaptive (AIMD) concurrency limit per LLM endpoint.

Providers signal overload with 429s long before they fail outright, and the sustainable
concurrency changes with the model, the prompt sizes and other tenants. A fixed semaphore either
wastes capacity or hammers the server, so the limit halves on throttling and creeps back up on
success, the way TCP congestion control does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque


class AdaptiveLimiter:
    """Async context manager bounding in-flight calls; the limit moves between 1 and `max_limit`.

    `async with limiter as epoch` yields the cut epoch at admission; passing it back to
    `on_throttle` lets a burst of 429s from calls sent before a cut count as one signal, since
    they describe the old limit, not the new one. A time window guards the same way for callers
    that do not pass the epoch.
    """

    __slots__ = (
        "_epoch",
        "_in_flight",
        "_last_cut",
        "_limit",
        "_successes",
        "_waiters",
        "cut_window_s",
        "decrease_factor",
        "max_limit",
        "min_limit",
    )

    def __init__(
        self,
        max_limit: int,
        *,
        min_limit: int = 1,
        decrease_factor: float = 0.5,
        cut_window_s: float = 0.5,
    ) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be at least 1")
        self.max_limit = max_limit
        self.min_limit = max(1, min(min_limit, max_limit))
        self.decrease_factor = decrease_factor
        self.cut_window_s = cut_window_s
        self._limit = max_limit
        self._in_flight = 0
        self._successes = 0
        self._epoch = 0
        self._last_cut = -float("inf")
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        return sum(1 for fut in self._waiters if not fut.done())

    async def acquire(self) -> int:
        if self._in_flight < self._limit and not self._waiters:
            self._in_flight += 1
            return self._epoch
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            raise
        return self._epoch

    def release(self) -> None:
        self._in_flight -= 1
        if self._waiters:
            self._wake()

    def on_success(self) -> None:
        """Additive increase: one more slot per `limit` successes, so growth takes a round trip."""
        if self._limit >= self.max_limit:
            return
        self._successes += 1
        if self._successes >= self._limit:
            self._successes = 0
            self._limit += 1
            if self._waiters:
                self._wake()

    def on_throttle(self, epoch: int | None = None) -> bool:
        """Multiplicative decrease; returns whether this signal actually cut the limit."""
        if epoch is not None and epoch != self._epoch:
            return False
        now = time.monotonic()
        if now - self._last_cut < self.cut_window_s:
            return False
        self._last_cut = now
        self._epoch += 1
        self._successes = 0
        self._limit = max(self.min_limit, int(self._limit * self.decrease_factor))
        return True

    def _wake(self) -> None:
        waiters = self._waiters
        while waiters and self._in_flight < self._limit:
            fut = waiters.popleft()
            if not fut.done():
                self._in_flight += 1
                fut.set_result(None)

    async def __aenter__(self) -> int:
        return await self.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return (
            f"AdaptiveLimiter(limit={self._limit}, max={self.max_limit}, "
            f"in_flight={self._in_flight})"
        )
