"""Per-block facts a block reports while it runs (token usage), without knowing the executor."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_usage: ContextVar[dict[str, Any] | None] = ContextVar("datagenflow_usage", default=None)

_SUMMED = ("prompt_tokens", "completion_tokens", "total_tokens", "calls")


def report_usage(usage: dict[str, Any]) -> None:
    """Add an LLM call's usage to the running block's trace entry (summed over calls)."""
    current = _usage.get()
    if current is None:
        return
    for key, value in usage.items():
        if key in _SUMMED and isinstance(value, int | float):
            current[key] = current.get(key, 0) + value
        else:
            current[key] = value


def begin_usage() -> tuple[dict[str, Any], Any]:
    box: dict[str, Any] = {}
    return box, _usage.set(box)


def end_usage(token: Any) -> None:
    _usage.reset(token)
