"""Where a job's records run: in this process (asyncio) or on a Ray cluster, chosen by a setting.

The job runner and `datagenflow run` only need "run these executions, call me back with each
result", so both executors share that one method. Ray is an optional dependency: it is imported
only when the Ray executor is chosen, and choosing it without Ray installed is a clear error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol

from datagenflow.engine.batch import Execution, ResultHook, run_many
from datagenflow.engine.executor import BlockHook
from datagenflow.engine.pipeline import Pipeline
from datagenflow.errors import DataGenFlowError
from datagenflow.settings import Settings

ExecutorName = Literal["local", "ray"]


class RecordExecutor(Protocol):
    """Runs executions of one pipeline and reports each result as it is known.

    `run` returns when every execution is done, raises CancelledError when cancelled (after
    reporting the results that finished), and raises when the executor itself breaks; a record
    that fails is a failed result, never a raise.
    """

    name: str

    async def run(
        self,
        pipeline: Pipeline,
        executions: Iterable[Execution],
        on_result: ResultHook,
        *,
        concurrency: int,
        on_block: BlockHook | None = None,
    ) -> None: ...

    async def shutdown(self) -> None:
        """Release what the executor holds for the process's lifetime (a Ray it started)."""
        ...


class LocalExecutor:
    """Every record on this process's event loop: the engine's `run_many`, unchanged."""

    name = "local"

    async def run(
        self,
        pipeline: Pipeline,
        executions: Iterable[Execution],
        on_result: ResultHook,
        *,
        concurrency: int,
        on_block: BlockHook | None = None,
    ) -> None:
        await run_many(pipeline, executions, on_result, concurrency=concurrency, on_block=on_block)

    async def shutdown(self) -> None:
        return None


RAY_MISSING = (
    "the Ray executor needs Ray, which is not installed: pip install 'datagenflow[ray]' "
    "(or choose DATAGENFLOW_EXECUTOR=local)"
)


def make_executor(settings: Settings, name: ExecutorName | None = None) -> RecordExecutor:
    """The executor `name` names (default: the DATAGENFLOW_EXECUTOR setting)."""
    chosen = name or settings.datagenflow_executor
    if chosen == "local":
        return LocalExecutor()
    if chosen == "ray":
        try:
            from datagenflow.jobs.ray_executor import RayExecutor
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] == "ray":
                raise DataGenFlowError(RAY_MISSING) from None
            raise
        return RayExecutor(settings)
    raise DataGenFlowError(f"unknown executor '{chosen}' (choose local or ray)")
