"""Runs jobs from the server process, one supervisor task each; records run on the executor the
settings choose (this process's event loop, or Ray workers).

Capacity (settings.max_running_jobs) is checked and the job row created under one lock, so two
requests arriving together cannot both start. A job stopped by a shutdown or a crash stays
`running` in the database and is resumed at the next start, skipping the executions it stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from datagenflow.engine.batch import Execution, FailFast, expand
from datagenflow.engine.definition import parse_definition
from datagenflow.engine.executor import RecordResult
from datagenflow.engine.pipeline import Pipeline, build_pipeline
from datagenflow.engine.registry import BlockRegistry
from datagenflow.engine.seeds import Seed, parse_seeds, seed_fields, total_executions
from datagenflow.errors import ConflictError, DataGenFlowError
from datagenflow.jobs.executors import RecordExecutor, make_executor
from datagenflow.jobs.progress import LiveProgress
from datagenflow.jobs.views import job_view
from datagenflow.jobs.writer import RecordWriter
from datagenflow.settings import Settings
from datagenflow.storage.database import Database
from datagenflow.storage.jobs import ACTIVE_STATUSES, JobStore
from datagenflow.storage.models import JobRow, utcnow
from datagenflow.storage.pipelines import PipelineStore
from datagenflow.storage.records import RecordStore

log = logging.getLogger(__name__)

CANCEL_WAIT_S = 10.0


@dataclass
class _Active:
    row: JobRow
    progress: LiveProgress
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class JobManager:
    def __init__(self, db: Database, registry: BlockRegistry, settings: Settings) -> None:
        self.db = db
        self.registry = registry
        self.settings = settings
        self.executor: RecordExecutor = make_executor(settings)
        self.jobs = JobStore(db)
        self.records = RecordStore(db)
        self.pipelines = PipelineStore(db)
        self._active: dict[int, _Active] = {}
        self._lock = asyncio.Lock()
        self._shutting_down = False

    # -- starting -------------------------------------------------------------------------

    def parse_seed_file(self, data: bytes, filename: str) -> list[Seed]:
        return parse_seeds(data, filename, self.settings.max_executions)

    async def start(self, pipeline_id: int, filename: str, data: bytes) -> JobRow:
        """Check everything, then start; a bad seed file or pipeline raises and nothing starts."""
        self._check_capacity()
        stored = await self.pipelines.get(pipeline_id)
        definition = parse_definition(stored.definition, f"pipeline {pipeline_id}")
        seeds = await asyncio.to_thread(self.parse_seed_file, data, filename)
        pipeline = build_pipeline(definition, self.registry, seed_fields(seeds))
        async with self._lock:
            self._check_capacity()
            row = await self.jobs.create(
                pipeline_id=stored.id,
                pipeline_name=definition.name,
                definition=definition.model_dump(mode="json", exclude_none=True),
                total=total_executions(seeds),
                concurrency=self.settings.job_concurrency,
                seed_filename=filename,
                seed_data=data,
            )
            await self._launch(row, pipeline, seeds)
        log.info("job %s started: %s executions of '%s'", row.id, row.total, row.pipeline_name)
        return row

    async def retry_failed(self, job_id: int) -> JobRow:
        async with self._lock:
            if job_id in self._active:
                raise ConflictError(
                    f"job {job_id} is running; wait for it to finish or cancel it before "
                    "retrying its failed records",
                    {"job_id": job_id},
                )
            self._check_capacity()
            row = await self.jobs.get(job_id)
            failed = await self.records.count_failed(job_id)
            # a job an error stopped early (JOB_FAIL_FAST, a dead worker) also runs what it never
            # reached; a cancelled one does not: cancelling was the user's choice
            unrun = row.total - row.done if row.status == "failed" else 0
            if failed == 0 and unrun <= 0:
                raise ConflictError(
                    f"job {job_id} has no failed records to retry", {"job_id": job_id}
                )
            pipeline, seeds = await self._rebuild(row)
            row.retry_round += 1
            row.retry_unrun = unrun > 0
            row.status = "running"
            row.error = None
            row.finished_at = None
            await self.jobs.start_round(
                job_id, retry_round=row.retry_round, retry_unrun=row.retry_unrun
            )
            await self._launch(row, pipeline, seeds)
        log.info("job %s: retrying %s failed records and %s that never ran", job_id, failed, unrun)
        return row

    async def resume_all(self) -> None:
        """Pick up the jobs a stopped or crashed server left running."""
        for row in await self.jobs.active():
            try:
                pipeline, seeds = await self._rebuild(row)
            except DataGenFlowError as exc:
                log.error("job %s cannot resume: %s", row.id, exc.message)
                await self.jobs.finish(row.id, "failed", error=exc.message, elapsed_s=row.elapsed_s)
                continue
            async with self._lock:
                await self._launch(row, pipeline, seeds)
            log.info(
                "job %s resumed (%s of %s executions already stored)", row.id, row.done, row.total
            )

    def _check_capacity(self) -> None:
        if len(self._active) >= self.settings.max_running_jobs:
            running = min(self._active)
            raise ConflictError(
                f"job {running} is running; wait for it to finish or cancel it "
                f"(at most {self.settings.max_running_jobs} running job"
                f"{'s' if self.settings.max_running_jobs != 1 else ''}, setting MAX_RUNNING_JOBS)",
                {"job_id": running},
            )

    async def _rebuild(self, row: JobRow) -> tuple[Pipeline, list[Seed]]:
        filename, data = await self.jobs.seeds(row.id)
        seeds = await asyncio.to_thread(self.parse_seed_file, data, filename)
        definition = parse_definition(row.definition, f"job {row.id}'s pipeline")
        return build_pipeline(definition, self.registry, seed_fields(seeds)), seeds

    async def _launch(self, row: JobRow, pipeline: Pipeline, seeds: list[Seed]) -> None:
        retry_round = row.retry_round
        done, failed = await self.records.progress_counts(row.id, retry_round)
        await self.jobs.set_fields(
            row.id, status="running", done=done, succeeded=done - failed, failed=failed
        )
        row.status, row.done, row.failed, row.succeeded = "running", done, failed, done - failed
        executions: Iterable[Execution]
        if retry_round == 0 or row.retry_unrun:
            # every execution not stored for good: on a retry, the failed ones and the unrun
            skip = await self.records.stored_keys(row.id, retry_round) if done else None
            executions = expand(seeds, skip)
        else:
            by_index = {seed.index: seed for seed in seeds}
            keys = await self.records.rerun_keys(row.id, retry_round)
            executions = [Execution(s, r, by_index[s].metadata) for s, r in keys if s in by_index]
        progress = LiveProgress(
            total=row.total,
            done=done,
            failed=failed,
            elapsed_before=row.elapsed_s,
            usage={
                "prompt_tokens": row.prompt_tokens,
                "completion_tokens": row.completion_tokens,
                "total_tokens": row.total_tokens,
            },
            block_order=list(pipeline.order),
        )
        active = _Active(row, progress)
        self._active[row.id] = active
        active.task = asyncio.create_task(
            self._supervise(active, pipeline, executions), name=f"job-{row.id}"
        )

    # -- running --------------------------------------------------------------------------

    async def _supervise(
        self, active: _Active, pipeline: Pipeline, executions: Iterable[Execution]
    ) -> None:
        row, progress = active.row, active.progress
        writer = RecordWriter(self.records, row.id, row.retry_round, progress)
        writer.start()
        status, error = "completed", None
        guard = FailFast(self.settings.job_fail_fast, active.stop.set)

        async def on_result(execution: Execution, result: RecordResult) -> None:
            await writer.add(execution, result)
            guard.see(result)

        run = asyncio.create_task(
            self.executor.run(
                pipeline,
                executions,
                on_result,
                concurrency=row.concurrency or self.settings.job_concurrency,
                on_block=progress.on_block,
            ),
            name=f"job-{row.id}-run",
        )
        stop = asyncio.create_task(active.stop.wait())
        try:
            await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not run.done():
                run.cancel()
                status = "cancelled"
                if guard.reason is not None:
                    status, error = "failed", guard.reason
            with contextlib.suppress(asyncio.CancelledError):
                await run
        except Exception as exc:
            log.exception("job %s failed", row.id)
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            stop.cancel()
        try:
            await writer.close()
        except Exception as exc:
            status, error = "failed", str(exc)
        progress.stop_clock()
        elapsed = round(progress.elapsed(), 3)
        if status == "completed" and progress.done > 0 and progress.succeeded == 0:
            status, error = "failed", f"every execution failed; first error: {progress.first_error}"
        try:
            if self._shutting_down and status == "cancelled":
                await self.jobs.set_fields(row.id, elapsed_s=elapsed)
                status = "running"
            else:
                await self.jobs.finish(row.id, status, error=error, elapsed_s=elapsed)
                row.finished_at = utcnow()
        except Exception:
            log.exception("job %s: cannot store its final status", row.id)
        row.status, row.error, row.elapsed_s = status, error, elapsed
        snapshot = progress.snapshot()
        row.done, row.failed, row.succeeded = progress.done, progress.failed, progress.succeeded
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            setattr(row, key, snapshot["usage"].get(key, 0))
        self._active.pop(row.id, None)
        progress.bump()
        log.info(
            "job %s %s: %s done (%s failed) in %.1f s",
            row.id,
            status,
            progress.done,
            progress.failed,
            elapsed,
        )

    # -- reading and stopping ------------------------------------------------------------

    def is_running(self, job_id: int) -> bool:
        return job_id in self._active

    def live(self, job_id: int) -> LiveProgress | None:
        active = self._active.get(job_id)
        return active.progress if active else None

    async def view(self, job_id: int) -> dict[str, Any]:
        active = self._active.get(job_id)
        if active is not None:
            return job_view(active.row, active.progress)
        return job_view(await self.jobs.get(job_id))

    async def list_views(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = await self.jobs.recent(limit)
        views = []
        for row in rows:
            active = self._active.get(row.id)
            views.append(job_view(active.row, active.progress) if active else job_view(row))
        return views

    async def active_view(self) -> dict[str, Any] | None:
        if self._active:
            active = self._active[min(self._active)]
            return job_view(active.row, active.progress)
        return None

    async def cancel(self, job_id: int) -> dict[str, Any]:
        active = self._active.get(job_id)
        if active is None:
            row = await self.jobs.get(job_id)
            if row.status in ACTIVE_STATUSES:
                await self.jobs.finish(job_id, "cancelled", error=None, elapsed_s=row.elapsed_s)
                return job_view(await self.jobs.get(job_id))
            raise ConflictError(
                f"job {job_id} is not running (it is {row.status})",
                {"job_id": job_id, "status": row.status},
            )
        active.stop.set()
        if active.task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(active.task), CANCEL_WAIT_S)
        return job_view(active.row, None if active.task and active.task.done() else active.progress)

    async def delete_job(self, job_id: int) -> int:
        row = await self.jobs.get(job_id)
        if job_id in self._active or row.status in ACTIVE_STATUSES:
            raise ConflictError(
                f"job {job_id} is running; cancel it (DELETE /api/jobs/{job_id}) before "
                "deleting its records",
                {"job_id": job_id},
            )
        return await self.jobs.delete([job_id])

    async def shutdown(self) -> None:
        """Stop every job, writing its finished records; the jobs stay resumable."""
        self._shutting_down = True
        tasks = []
        for active in list(self._active.values()):
            active.stop.set()
            if active.task is not None:
                tasks.append(active.task)
        if tasks:
            await asyncio.wait(tasks, timeout=CANCEL_WAIT_S)
        try:
            await self.executor.shutdown()
        except Exception:
            log.exception("cannot shut the %s executor down", self.executor.name)
