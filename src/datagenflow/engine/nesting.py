"""Caps on how deep and how big user data may get: Python's parsers and every recursive walk
over the data (validation, copies, JSON encoding) fail on values nested about a thousand levels
deep, and YAML aliases can make a small file stand for an enormous tree."""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 100
MAX_VALUES = 1_000_000


def _children(value: Any) -> Any:
    if isinstance(value, dict):
        return value.values()
    if isinstance(value, list | tuple):
        return value
    return None


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest more than `limit` levels (a cycle counts as too deep)."""
    children = _children(value)
    if children is None or (limit >= 1 and not any(_children(c) is not None for c in children)):
        return False  # the common case, a flat list or object: no walk
    deepest: dict[int, int] = {}
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = _children(item)
        if children is None:
            continue
        if depth > limit:
            return True
        if deepest.get(id(item), 0) >= depth:
            continue  # shared (a YAML alias) and already walked at least this deep
        deepest[id(item)] = depth
        stack.extend((child, depth + 1) for child in children)
    return False


def expanded_size(value: Any, memo: dict[int, int] | None = None) -> int:
    """How many values `value` holds once every shared part is counted each time it appears.
    Call only on values that are not `too_deep` (no cycles, bounded recursion)."""
    children = _children(value)
    if children is None:
        return 1
    memo = {} if memo is None else memo
    key = id(value)
    if key not in memo:
        memo[key] = 1 + sum(expanded_size(child, memo) for child in children)
    return memo[key]


def nesting_problem(value: Any) -> str | None:
    """Why `value` is refused ("is nested ...", "holds ..."), or None."""
    if too_deep(value):
        return f"is nested more than {MAX_DEPTH} levels deep"
    size = expanded_size(value)
    if size > MAX_VALUES:
        return f"holds {size:,} values once YAML aliases are expanded (at most {MAX_VALUES:,})"
    return None
