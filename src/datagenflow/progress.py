"""A terminal progress line for headless runs: done/total, failures, rate and ETA."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressLine:
    """Redraws in place on a terminal; prints a line every few seconds elsewhere (CI logs)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = -1  # the `done` count last shown
        self._tty = self.stream.isatty()
        self._interval = 0.1 if self._tty else 5.0

    def advance(self, failed: bool) -> None:
        self.done += 1
        if failed:
            self.failed += 1
        now = time.monotonic()
        if now - self._last >= self._interval or self.done == self.total:
            self._last = now
            self.draw()

    def text(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        remaining = (self.total - self.done) / rate if rate > 0 else None
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        eta = format_duration(remaining) if remaining is not None else "--:--"
        return f"[{bar}] {self.done}/{self.total} failed {self.failed} {rate:,.1f} rec/s ETA {eta}"

    def draw(self) -> None:
        self._drawn = self.done
        if self._tty:
            self.stream.write("\r" + self.text())
        else:
            self.stream.write(self.text() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn != self.done:  # a run that stopped early: show where it ended
            self.draw()
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
