"""`datagenflow run`: a pipeline over a seed file with no server, streaming results to JSONL."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from datagenflow.engine.batch import Execution, FailFast, expand
from datagenflow.engine.definition import PipelineDefinition, load_definition_file
from datagenflow.engine.executor import RecordResult
from datagenflow.engine.pipeline import build_pipeline
from datagenflow.engine.registry import BlockRegistry
from datagenflow.engine.seeds import (
    Seed,
    load_seed_file,
    parse_seeds,
    seed_fields,
    total_executions,
)
from datagenflow.errors import InvalidInputError, did_you_mean
from datagenflow.jobs.executors import ExecutorName, LocalExecutor, RecordExecutor, make_executor
from datagenflow.llm import close_shared_client
from datagenflow.progress import ProgressLine
from datagenflow.settings import get_settings
from datagenflow.templates import get_template, list_templates


def resolve_pipeline(ref: str) -> tuple[PipelineDefinition, list[dict[str, Any]] | None]:
    """A pipeline file path, or a template id (then its example seeds come along)."""
    path = Path(ref)
    if path.exists():
        return load_definition_file(path), None
    ids = [t.id for t in list_templates()]
    if ref in ids:
        template = get_template(ref)
        return template.definition, template.example_seeds
    if path.suffix in (".yaml", ".yml", ".json") or "/" in ref:
        raise InvalidInputError(f"pipeline file {ref} does not exist")
    hint = did_you_mean(ref, ids)
    raise InvalidInputError(
        f"'{ref}' is neither a pipeline file nor a template id{hint} (templates: {', '.join(ids)})"
    )


def load_seeds(
    seeds_path: Path | None, template_seeds: list[dict[str, Any]] | None, max_executions: int
) -> list[Seed]:
    if seeds_path is not None:
        return load_seed_file(seeds_path, max_executions)
    if template_seeds is None:
        raise InvalidInputError("--seeds FILE is required unless PIPELINE is a template id")
    return parse_seeds(json.dumps(template_seeds).encode(), "example seeds", max_executions)


@dataclass
class RunSummary:
    total: int
    succeeded: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    usage: dict[str, int] = field(
        default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    )
    stopped: str | None = None  # why the run ended before every execution ran

    @property
    def rate(self) -> float:
        return (self.succeeded + self.failed) / self.elapsed_s if self.elapsed_s else 0.0


def export_line(
    run_id: str, execution: Execution, result: RecordResult, now: str
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "id": f"{run_id}-{execution.seed_index}-{execution.repetition}",
        "job_id": run_id,
        "seed_index": execution.seed_index,
        "repetition": execution.repetition,
        "metadata": execution.metadata,
        "status": "pending" if result.status == "succeeded" else "failed",
        "output": result.output,
        "accumulated_state": result.outputs,
        "created_at": now,
        "updated_at": now,
    }
    if result.status == "failed":
        line["error"] = result.error
        line["error_block"] = result.error_block
        line["trace"] = result.trace()
    return line


async def run_headless(
    definition: PipelineDefinition,
    registry: BlockRegistry,
    seeds: list[Seed],
    out: IO[str],
    failed_out: IO[str],
    *,
    concurrency: int,
    progress: ProgressLine | None = None,
    executor: RecordExecutor | None = None,
) -> RunSummary:
    pipeline = build_pipeline(definition, registry, seed_fields(seeds))
    summary = RunSummary(total=total_executions(seeds))
    run_id = uuid.uuid4().hex[:12]
    started = time.perf_counter()

    def on_result(execution: Execution, result: RecordResult) -> None:
        now = datetime.now(UTC).isoformat()
        line = json.dumps(
            export_line(run_id, execution, result, now), ensure_ascii=False, default=str
        )
        if result.status == "succeeded":
            summary.succeeded += 1
            out.write(line + "\n")
        else:
            summary.failed += 1
            failed_out.write(line + "\n")
        for key, value in result.usage().items():
            summary.usage[key] += value
        if progress is not None:
            progress.advance(result.status == "failed")
        guard.see(result)

    runner = executor or LocalExecutor()
    run = asyncio.ensure_future(
        runner.run(pipeline, expand(seeds), on_result, concurrency=concurrency)
    )
    guard = FailFast(get_settings().job_fail_fast, run.cancel)
    try:
        try:
            await run
        except asyncio.CancelledError:
            if guard.reason is None:
                raise
            summary.stopped = guard.reason
    finally:
        await close_shared_client()
        summary.elapsed_s = time.perf_counter() - started
    return summary


async def _run_and_shut_down(executor: RecordExecutor, run: Awaitable[RunSummary]) -> RunSummary:
    try:
        return await run
    finally:
        await executor.shutdown()


def run_to_files(
    definition: PipelineDefinition,
    registry: BlockRegistry,
    seeds: list[Seed],
    out_path: Path,
    *,
    concurrency: int,
    show_progress: bool = True,
    executor: ExecutorName | None = None,
) -> tuple[RunSummary, Path]:
    failed_path = out_path.with_name(out_path.name.removesuffix(".jsonl") + ".failed.jsonl")
    # an invalid pipeline (or a Ray executor without Ray installed) is refused before any
    # output file is created or truncated
    build_pipeline(definition, registry, seed_fields(seeds))
    runner = make_executor(get_settings(), executor)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out = out_path.open("w", encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot write {out_path}: {exc.strerror or exc}") from None
    try:
        failed_out = failed_path.open("w", encoding="utf-8")
    except OSError as exc:
        out.close()
        raise InvalidInputError(f"cannot write {failed_path}: {exc.strerror or exc}") from None
    progress = ProgressLine(total_executions(seeds)) if show_progress else None
    with out, failed_out:
        summary = asyncio.run(
            _run_and_shut_down(
                runner,
                run_headless(
                    definition,
                    registry,
                    seeds,
                    out,
                    failed_out,
                    concurrency=concurrency,
                    progress=progress,
                    executor=runner,
                ),
            )
        )
    if progress is not None:
        progress.close()
    if summary.failed == 0:
        failed_path.unlink(missing_ok=True)
    return summary, failed_path
