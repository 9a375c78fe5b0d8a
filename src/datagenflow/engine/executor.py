"""Runs one record through the DAG, keeping a compact trace that rebuilds the full one on read."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from datagenflow.engine.context import begin_usage, end_usage
from datagenflow.engine.pipeline import Node, Pipeline

BlockHook = Callable[[str, bool], None]


class BlockOutputError(Exception):
    pass


@dataclass
class Step:
    """One block run as stored: its own output only; inputs and states are rebuilt on read."""

    block_id: str
    block_type: str
    upstream: list[str]
    output: dict[str, Any]
    started_at: str
    duration_ms: float
    error: str | None = None
    usage: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "block_id": self.block_id,
            "block_type": self.block_type,
            "upstream": self.upstream,
            "output": self.output,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "usage": self.usage,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(
            block_id=data["block_id"],
            block_type=data["block_type"],
            upstream=list(data.get("upstream", [])),
            output=dict(data.get("output") or {}),
            started_at=data.get("started_at", ""),
            duration_ms=float(data.get("duration_ms", 0.0)),
            error=data.get("error"),
            usage=data.get("usage"),
        )


def full_trace(metadata: dict[str, Any], steps: list[Step]) -> list[dict[str, Any]]:
    """The trace of DESIGN.md: what each block saw and the state after it."""
    outputs = {s.block_id: s.output for s in steps}
    trace: list[dict[str, Any]] = []
    for step in steps:
        seen = dict(metadata)
        for upstream in step.upstream:
            seen.update(outputs.get(upstream, {}))
        after = {**seen, **step.output}
        trace.append(
            {
                "block_id": step.block_id,
                "block_type": step.block_type,
                "input": seen,
                "output": step.output,
                "accumulated_state": after,
                "started_at": step.started_at,
                "duration_ms": step.duration_ms,
                "error": step.error,
                "usage": step.usage,
            }
        )
    return trace


def merged_outputs(steps: list[Step]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for step in steps:
        if step.error is None:
            state.update(step.output)
    return state


def final_output(outputs: dict[str, Any]) -> Any:
    """The record's output: an `output` field when a block wrote one, else every block output."""
    return outputs.get("output", outputs)


@dataclass
class RecordResult:
    status: Literal["succeeded", "failed"]
    metadata: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    error: str | None = None
    error_block: str | None = None

    @property
    def outputs(self) -> dict[str, Any]:
        return merged_outputs(self.steps)

    @property
    def output(self) -> Any:
        return final_output(self.outputs) if self.status == "succeeded" else None

    def trace(self) -> list[dict[str, Any]]:
        return full_trace(self.metadata, self.steps)

    def usage(self) -> dict[str, int]:
        total = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        for step in self.steps:
            if step.usage:
                for key in total:
                    total[key] += int(step.usage.get(key, 0) or 0)
        return total


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _own_copy(value: Any) -> Any:
    if type(value) in _ATOMS:
        return value
    if isinstance(value, dict):
        return {k: _own_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_own_copy(v) for v in value]
    return value


def isolated(state: dict[str, Any]) -> dict[str, Any]:
    """A block's own copy of its input, nested lists and dicts included: a block that changes
    them in place must not change the seed (shared by its repetitions), an earlier block's
    recorded output, or what a parallel branch sees. Strings and numbers are shared as is."""
    return {k: v if type(v) in _ATOMS else _own_copy(v) for k, v in state.items()}


async def _run_node(node: Node, state: dict[str, Any], hook: BlockHook | None) -> Step:
    started_at = datetime.now(UTC).isoformat()
    start = time.perf_counter()
    box, token = begin_usage()
    if hook:
        hook(node.id, True)
    error: str | None = None
    output: dict[str, Any] = {}
    try:
        result: Any = node.block.execute(isolated(state))
        if inspect.isawaitable(result):  # a plain `def execute` works too
            result = await result
        if not isinstance(result, dict):
            raise BlockOutputError(
                f"block '{node.id}' ({node.type}) returned {type(result).__name__}, not a dict"
            )
        if "*" not in node.outputs:
            extra = [k for k in result if k not in node.outputs]
            if extra:
                raise BlockOutputError(
                    f"block '{node.id}' ({node.type}) returned undeclared key '{extra[0]}'; "
                    f"declared outputs: {', '.join(node.outputs) or 'none'}"
                )
        output = result
    except asyncio.CancelledError:
        raise
    except BlockOutputError as exc:
        error = str(exc)
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        error = f"{type(exc).__name__}: {message}"
    finally:
        end_usage(token)
        if hook:
            hook(node.id, False)
    return Step(
        block_id=node.id,
        block_type=node.type,
        upstream=node.ancestors,
        output=output,
        started_at=started_at,
        duration_ms=round((time.perf_counter() - start) * 1000, 3),
        error=error,
        usage=box or None,
    )


async def execute_record(
    pipeline: Pipeline, metadata: dict[str, Any], on_block: BlockHook | None = None
) -> RecordResult:
    """Run one seed execution; an exception in a block becomes a failed result, never a raise."""
    if pipeline.is_chain:
        return await _run_chain(pipeline, metadata, on_block)
    return await _run_dag(pipeline, metadata, on_block)


async def _run_chain(
    pipeline: Pipeline, metadata: dict[str, Any], hook: BlockHook | None
) -> RecordResult:
    state = dict(metadata)
    steps: list[Step] = []
    for block_id in pipeline.order:
        step = await _run_node(pipeline.nodes[block_id], state, hook)
        steps.append(step)
        if step.error is not None:
            return RecordResult("failed", metadata, steps, step.error, block_id)
        state.update(step.output)
    return RecordResult("succeeded", metadata, steps)


async def _run_dag(
    pipeline: Pipeline, metadata: dict[str, Any], hook: BlockHook | None
) -> RecordResult:
    done: dict[str, Step] = {}
    steps: list[Step] = []
    pending = set(pipeline.order)
    running: dict[asyncio.Task[Step], str] = {}

    def start_ready() -> None:
        for block_id in pipeline.order:
            if block_id not in pending:
                continue
            node = pipeline.nodes[block_id]
            if all(p in done for p in node.preds):
                pending.discard(block_id)
                state = dict(metadata)
                for upstream in node.ancestors:
                    state.update(done[upstream].output)
                task = asyncio.ensure_future(_run_node(node, state, hook))
                running[task] = block_id

    try:
        start_ready()
        while running:
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            failure: Step | None = None
            for task in finished:
                running.pop(task)
                step = task.result()
                steps.append(step)
                done[step.block_id] = step
                if step.error is not None and failure is None:
                    failure = step
            if failure is not None:
                for task in running:
                    task.cancel()
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
                return RecordResult("failed", metadata, steps, failure.error, failure.block_id)
            start_ready()
    finally:
        for task in running:
            task.cancel()
    order = {block_id: i for i, block_id in enumerate(pipeline.order)}
    steps.sort(key=lambda s: order[s.block_id])
    return RecordResult("succeeded", metadata, steps)
