"""A job's records on a Ray cluster (or a local Ray): a pool of async actors running `run_many`.

Why this shape:
- Each actor is one long-lived worker process that builds the pipeline once (blocks are
  discovered there, as in any process) and runs whole batches through the engine's own
  `run_many`, so its LLM calls share one connection pool and one adaptive limiter, exactly as
  in a local job. Shipping records one by one would pay Ray's per-call cost a million times.
- The driver pulls executions lazily and keeps a fixed number of batches in flight per actor,
  so memory stays flat for any number of executions, and reports each result as its batch
  comes back (the job's writer and progress see them as they would locally).
- Stopping is cooperative first: actors are asked to cancel their records and hand back the
  ones that finished, which are reported, then killed. So a cancelled job keeps its finished
  records and no actor outlives the run.
- Block progress hooks are in-process callbacks and cannot cross to a worker: the driver reads
  each worker's running blocks twice a second and replays the changes through the job's hook.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import re
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError, RayError, RayTaskError

from datagenflow.engine.batch import Execution, ResultHook, run_many
from datagenflow.engine.definition import parse_definition
from datagenflow.engine.executor import BlockHook, RecordResult
from datagenflow.engine.pipeline import Pipeline, build_pipeline
from datagenflow.engine.registry import discover
from datagenflow.errors import DataGenFlowError
from datagenflow.jobs.progress import count_block
from datagenflow.settings import Settings, get_settings, reload_settings

log = logging.getLogger(__name__)

# The settings a worker needs to run blocks; they travel as actor arguments rather than
# `runtime_env`, which Ray shows in its dashboard (the API key is one of them).
WORKER_SETTINGS = (
    "llm_base_url",
    "llm_api_key",
    "llm_api_keys",
    "llm_model",
    "llm_max_concurrency",
    "llm_timeout_s",
    "llm_max_retries",
    "demo_mode",
    "datagenflow_user_blocks",
)
BATCHES_PER_WORKER = 2  # one runs while the other's last records finish
WAVES_PER_BATCH = 2  # records per batch = its concurrency x this: fewer Ray calls, short tails
MAX_BATCH = 1000
MIN_RECORDS_PER_WORKER = 16  # of the job's concurrency, when the worker count is automatic
READY_TIMEOUT_S = 120.0
STOP_WAIT_S = 3.0
KILL_WAIT_S = 5.0
BLOCK_POLL_S = 0.5  # how often the workers' running blocks are read, for the progress view
CONNECT_TIMEOUT_S = 5.0
# run_batch calls in flight plus ready/stop; an async actor serves them on one event loop
_ACTOR_CALLS = BATCHES_PER_WORKER + 8


class RayWorkerError(DataGenFlowError):
    """Ray could not be reached, or a worker could not start or died while running records."""


def worker_environment(settings: Settings) -> dict[str, str]:
    """The worker's settings as environment variables (a worker reads them like any process).

    The user blocks folder is made absolute: workers do not run in the driver's directory.
    """
    values: dict[str, str] = {}
    for name in WORKER_SETTINGS:
        value: Any = getattr(settings, name)
        if isinstance(value, Path):
            value = value.expanduser().resolve()
        elif isinstance(value, dict):
            value = json.dumps(value)
        values[name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


class RecordWorker:
    """One Ray actor: the pipeline built once, batches of executions run on its event loop."""

    def __init__(
        self,
        definition: dict[str, Any],
        seed_fields: list[str] | None,
        environment: dict[str, str],
    ) -> None:
        os.environ.update(environment)
        reload_settings()
        self._pipeline: Pipeline | None = None
        self._error: str | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._active: dict[str, int] = {}
        try:
            registry = discover(get_settings().datagenflow_user_blocks)
            parsed = parse_definition(definition, "the job's pipeline")
            self._pipeline = build_pipeline(parsed, registry, seed_fields)
        except DataGenFlowError as exc:  # reported by ready(): an actor that raises here dies
            self._error = exc.message
        except Exception as exc:
            self._error = f"{type(exc).__name__}: {exc}"

    async def ready(self) -> tuple[int, str | None]:
        """This worker's pid, and why it cannot run the pipeline (None when it can)."""
        return os.getpid(), self._error

    async def run_batch(
        self, batch: list[Execution], concurrency: int
    ) -> list[tuple[int, RecordResult]]:
        """(position in batch, result) of every execution; after stop(), only finished ones."""
        results: list[tuple[int, RecordResult]] = []
        if self._pipeline is None or self._stopping:
            return results
        positions = {id(execution): i for i, execution in enumerate(batch)}

        def collect(execution: Execution, result: RecordResult) -> None:
            results.append((positions[id(execution)], result))

        task = asyncio.ensure_future(
            run_many(
                self._pipeline, batch, collect, concurrency=concurrency, on_block=self._on_block
            )
        )
        self._tasks.add(task)
        try:
            await task
        except asyncio.CancelledError:
            if not self._stopping:
                raise
        finally:
            self._tasks.discard(task)
        return results

    def _on_block(self, block_id: str, started: bool) -> None:
        count_block(self._active, block_id, started)

    async def running_blocks(self) -> dict[str, int]:
        """How many records are in each block right now (the job's "current block")."""
        return dict(self._active)

    async def stop(self) -> None:
        """Cancel every record in flight; run_batch calls return what finished."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()


@dataclass
class _Slot:
    """One batch in flight at a time on one actor, with its share of the concurrency."""

    actor: Any
    concurrency: int
    batch_size: int


@dataclass
class _Flight:
    slot: _Slot
    batch: list[Execution]
    ref: Any


def split_concurrency(concurrency: int, workers: int) -> list[list[int]]:
    """For each worker, the concurrency of each of its batch slots (they sum to `concurrency`)."""
    plan: list[list[int]] = []
    for i in range(workers):
        share = concurrency // workers + (1 if i < concurrency % workers else 0)
        if share == 0:
            continue
        depth = min(BATCHES_PER_WORKER, share)
        plan.append([share // depth + (1 if j < share % depth else 0) for j in range(depth)])
    return plan


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*")


def _ray_error_message(exc: BaseException) -> str:
    """One line a user can act on, out of Ray's multi-line reports."""
    if isinstance(exc, RayTaskError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            return f"a Ray worker raised {type(cause).__name__}: {cause}"
    text = _ANSI.sub("", str(exc)).strip()
    lines = text.splitlines()
    if isinstance(exc, RayActorError):
        if "creation task" in text:  # the worker process could not even build the actor
            raised = [line for line in lines if _EXCEPTION_LINE.match(line)]
            reason = raised[-1] if raised else lines[0] if lines else "unknown error"
            return f"a Ray worker could not start: {reason}"
        first = lines[0].rstrip(".") if lines else "the actor died"
        detail = ""
        marker = "Worker exit detail: "
        if marker in text:
            detail = text.split(marker, 1)[1].split(". ", 1)[0].strip().rstrip(".")
            detail = f" ({detail})"
        return f"a Ray worker died while running records: {first}{detail}"
    return f"Ray failed: {type(exc).__name__}: {lines[0] if lines else ''}"


def check_reachable(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast on a cluster address nothing answers at: Ray itself retries for ever.

    Only `host:port` addresses (with or without `ray://`) are checked; `auto` and `local` are
    Ray's own words and an empty address starts a local Ray.
    """
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise RayWorkerError(
            f"cannot reach Ray at {address} (setting RAY_ADDRESS): {exc.strerror or exc}"
        ) from None


def _cluster_cpus(*, total: bool) -> int:
    """The cluster's CPUs (all, or the free ones); Ray leaves these calls untyped."""
    api: Any = ray
    resources = api.cluster_resources() if total else api.available_resources()
    return int(resources.get("CPU", 0))


def _future(ref: Any) -> asyncio.Future[Any]:
    return asyncio.wrap_future(ref.future())


def _forget(future: asyncio.Future[Any]) -> None:
    """Mark a future's outcome as seen, so an abandoned one logs nothing when it ends."""
    future.add_done_callback(lambda f: f.cancelled() or f.exception())


class RayExecutor:
    """Runs a job's records on Ray actors; connects to (or starts) Ray on first use."""

    name = "ray"

    def __init__(self, settings: Settings, *, workers: int | None = None) -> None:
        self.settings = settings
        self.workers = workers
        self.last_worker_pids: list[int] = []
        self._started_ray = False
        self._connecting = asyncio.Lock()
        self._pools: dict[int, list[Any]] = {}  # the actors of each run in progress

    @property
    def live_workers(self) -> int:
        return sum(len(pool) for pool in self._pools.values())

    # -- Ray and the actor pool -----------------------------------------------------------

    def _init_ray(self) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        address = self.settings.ray_address.strip()
        check_reachable(address)
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(
                    address="local",
                    num_cpus=self.settings.ray_num_cpus,
                    include_dashboard=False,
                    log_to_driver=False,
                )
        except Exception as exc:
            where = f"at {address}" if address else "locally"
            raise RayWorkerError(
                f"cannot start or reach Ray {where} (setting RAY_ADDRESS): "
                f"{type(exc).__name__}: {exc}"
            ) from None
        self._started_ray = True
        log.info("Ray ready: %s CPUs", _cluster_cpus(total=True))

    async def _connect(self) -> None:
        async with self._connecting:  # two jobs starting together must not both start Ray
            if not ray.is_initialized():
                await asyncio.to_thread(self._init_ray)

    def _worker_count(self, concurrency: int) -> int:
        """By default one worker per free CPU, but no more than the concurrency keeps busy: a
        worker waiting on the LLM for a handful of records costs a process for nothing."""
        if self.workers:
            return max(1, min(self.workers, concurrency))
        useful = -(-concurrency // MIN_RECORDS_PER_WORKER)
        return max(1, min(_cluster_cpus(total=False), useful))

    async def _start_workers(
        self, pipeline: Pipeline, concurrency: int, pool: list[Any]
    ) -> list[_Slot]:
        """Start this run's actors (into `pool`, so they are killed whatever happens next)."""
        plan = split_concurrency(max(1, concurrency), self._worker_count(concurrency))
        definition = pipeline.definition.model_dump(mode="json", exclude_none=True)
        environment = worker_environment(self.settings)
        actor_class = ray.remote(RecordWorker).options(
            num_cpus=1,
            max_concurrency=_ACTOR_CALLS,
            max_restarts=0,
            scheduling_strategy="SPREAD",
        )
        for _ in plan:
            pool.append(actor_class.remote(definition, pipeline.seed_fields, environment))
        started = time.perf_counter()
        waits = [_future(actor.ready.remote()) for actor in pool]
        try:
            answers = await asyncio.wait_for(asyncio.gather(*waits), READY_TIMEOUT_S)
        except TimeoutError:
            raise RayWorkerError(
                f"{len(plan)} Ray worker(s) did not start within {READY_TIMEOUT_S:.0f} s "
                "(does the cluster have a free CPU?)"
            ) from None
        except RayError as exc:
            raise RayWorkerError(_ray_error_message(exc)) from None
        finally:
            for wait in waits:
                _forget(wait)
        self.last_worker_pids = [pid for pid, _ in answers]
        for _, error in answers:
            if error is not None:
                raise RayWorkerError(f"a Ray worker cannot build the pipeline: {error}")
        log.info(
            "running on %s Ray worker(s) (pids %s), started in %.2f s",
            len(plan),
            ", ".join(map(str, self.last_worker_pids)),
            time.perf_counter() - started,
        )
        return [
            _Slot(actor, share, max(share, min(share * WAVES_PER_BATCH, MAX_BATCH)))
            for actor, shares in zip(pool, plan, strict=True)
            for share in shares
        ]

    async def _kill_workers(self, pool: list[Any]) -> None:
        """Kill a run's workers and wait until Ray knows they are dead, so their CPUs are free
        for the next job (a call to a dead actor fails once its death is known)."""
        actors = list(pool)
        pool.clear()
        for actor in actors:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        probes = []
        for actor in actors:
            with contextlib.suppress(Exception):
                probes.append(_future(actor.ready.remote()))
        if probes:
            await asyncio.wait(probes, timeout=KILL_WAIT_S)
            for probe in probes:
                _forget(probe)

    # -- running --------------------------------------------------------------------------

    async def run(
        self,
        pipeline: Pipeline,
        executions: Iterable[Execution],
        on_result: ResultHook,
        *,
        concurrency: int,
        on_block: BlockHook | None = None,
    ) -> None:
        await self._connect()
        source = iter(executions)
        flights: dict[asyncio.Future[Any], _Flight] = {}
        pool: list[Any] = []
        self._pools[id(pool)] = pool
        mirror = _BlockMirror(on_block)
        try:
            slots = await self._start_workers(pipeline, concurrency, pool)
            if on_block is not None:
                mirror.follow(pool)
            for slot in slots:
                self._launch(slot, source, flights)
            while flights:
                done, _ = await asyncio.wait(flights, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    flight = flights.pop(future)
                    try:
                        results = future.result()
                    except RayError as exc:
                        raise RayWorkerError(_ray_error_message(exc)) from None
                    self._launch(flight.slot, source, flights)  # keep the actor busy first
                    await _deliver(flight.batch, results, on_result)
        except (asyncio.CancelledError, RayWorkerError):
            await self._collect_finished(pool, flights, on_result)
            raise
        finally:
            await mirror.stop()
            for future in flights:
                _forget(future)
                with contextlib.suppress(Exception):
                    ray.cancel(flights[future].ref)
            await self._kill_workers(pool)
            del self._pools[id(pool)]

    def _launch(
        self, slot: _Slot, source: Iterator[Execution], flights: dict[asyncio.Future[Any], _Flight]
    ) -> None:
        batch = list(islice(source, slot.batch_size))
        if batch:
            ref = slot.actor.run_batch.remote(batch, slot.concurrency)
            flights[_future(ref)] = _Flight(slot, batch, ref)

    async def _collect_finished(
        self, pool: list[Any], flights: dict[asyncio.Future[Any], _Flight], on_result: ResultHook
    ) -> None:
        """Stop a run's workers and report the records they finished, waiting a few seconds."""
        stops = [_future(actor.stop.remote()) for actor in pool]
        for stop in stops:
            _forget(stop)
        if not flights:
            return
        done, _ = await asyncio.wait(flights, timeout=STOP_WAIT_S)
        for future in done:
            flight = flights.pop(future)
            if future.cancelled() or future.exception() is not None:
                continue
            try:
                await _deliver(flight.batch, future.result(), on_result)
            except Exception:
                log.exception("cannot report the records a stopped Ray worker finished")
                return

    async def shutdown(self) -> None:
        """Kill leftover workers; shut Ray down (or disconnect) if this executor started it."""
        for pool in list(self._pools.values()):
            await self._kill_workers(pool)
        if self._started_ray and ray.is_initialized():
            await asyncio.to_thread(ray.shutdown)
        self._started_ray = False


class _BlockMirror:
    """Replays, through the job's block hook, what the workers report running: the hook is
    called in this process, the blocks run in the workers'."""

    def __init__(self, on_block: BlockHook | None) -> None:
        self._on_block = on_block
        self._shown: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def follow(self, pool: list[Any]) -> None:
        self._task = asyncio.ensure_future(self._poll(pool))

    async def _poll(self, pool: list[Any]) -> None:
        while True:
            await asyncio.sleep(BLOCK_POLL_S)
            reads = [_future(actor.running_blocks.remote()) for actor in list(pool)]
            for read in reads:
                _forget(read)
            answers = await asyncio.gather(*reads, return_exceptions=True)
            total: dict[str, int] = {}
            for answer in answers:
                if isinstance(answer, dict):  # a worker that died reports nothing
                    for block_id, count in answer.items():
                        total[block_id] = total.get(block_id, 0) + int(count)
            self._show(total)

    def _show(self, total: dict[str, int]) -> None:
        if self._on_block is None:
            return
        for block_id in set(total) | set(self._shown):
            change = total.get(block_id, 0) - self._shown.get(block_id, 0)
            for _ in range(abs(change)):
                self._on_block(block_id, change > 0)
        self._shown = {b: n for b, n in total.items() if n > 0}

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._show({})


async def _deliver(
    batch: list[Execution], results: list[tuple[int, RecordResult]], on_result: ResultHook
) -> None:
    for position, result in results:
        outcome = on_result(batch[position], result)
        if inspect.isawaitable(outcome):
            await outcome
