"""Result types shared by the client and its callers (blocks record them in traces)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Usage:
    """Token counts of one or more calls; `+` lets a block or a job sum them up."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_response(cls, data: Any) -> Usage:
        """Tolerant of servers that omit usage or send nulls: anything missing counts as zero."""
        if not isinstance(data, dict):
            return cls()
        prompt = _as_int(data.get("prompt_tokens"))
        completion = _as_int(data.get("completion_tokens"))
        total = _as_int(data.get("total_tokens")) or prompt + completion
        return cls(prompt, completion, total)

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
        )


@dataclass(slots=True)
class ChatResult:
    """One chat completion; `attempts` and `latency_ms` include retries so traces show the cost."""

    content: str
    usage: Usage
    model: str
    raw: dict[str, Any] = field(repr=False)
    attempts: int = 1
    latency_ms: float = 0.0

    @property
    def finish_reason(self) -> str | None:
        """Lets callers notice a reply cut by max_tokens ("length") before trusting it."""
        choices = self.raw.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            reason = choices[0].get("finish_reason")
            return reason if isinstance(reason, str) else None
        return None


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return 0
