"""The Ray executor on a real local Ray (2 CPUs, started once for the file) and the fake LLM.

Ray runs records in other processes, so these tests check what must survive the crossing:
the same results and traces as the local executor, failures as failed records, prompt
cancellation that keeps finished records and leaves no worker alive, and a worker crash that
fails the job with a readable message instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from support import cancel_once_done

ray = pytest.importorskip("ray")

from datagenflow.blocks.llm_calls import api_key_for  # noqa: E402
from datagenflow.engine.batch import Execution, expand  # noqa: E402
from datagenflow.engine.definition import parse_definition  # noqa: E402
from datagenflow.engine.executor import RecordResult  # noqa: E402
from datagenflow.engine.pipeline import Pipeline, build_pipeline  # noqa: E402
from datagenflow.engine.registry import BlockRegistry, discover  # noqa: E402
from datagenflow.engine.seeds import parse_seeds  # noqa: E402
from datagenflow.jobs.executors import LocalExecutor, make_executor  # noqa: E402
from datagenflow.jobs.manager import JobManager  # noqa: E402
from datagenflow.jobs.ray_executor import (  # noqa: E402
    RayExecutor,
    RayWorkerError,
    _ray_error_message,
    check_reachable,
    split_concurrency,
    worker_environment,
)
from datagenflow.llm import close_shared_client  # noqa: E402
from datagenflow.llm.mock_server import MockServerThread  # noqa: E402
from datagenflow.settings import Settings, get_settings, reload_settings  # noqa: E402
from datagenflow.storage import Database  # noqa: E402

CHAIN = {
    "name": "ask, check, format",
    "blocks": [
        {"id": "ask", "type": "LLMBlock", "config": {"user_prompt": "Write about {{ topic }}"}},
        {"id": "check", "type": "ValidatorBlock", "config": {"min_length": 5}},
        {"id": "out", "type": "OutputBlock", "config": {"format_template": "{{ assistant }}!"}},
    ],
}
USER_BLOCKS = '''
import os
from typing import Any
from datagenflow import BaseBlock

class OddFails(BaseBlock):
    """Fails on odd numbers, so a run has both outcomes."""
    inputs = ["n"]
    outputs = ["half"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["n"] % 2:
            raise ValueError(f"odd number {data['n']}")
        return {"half": data["n"] // 2}

class Crash(BaseBlock):
    """Kills its process, as a segfaulting extension would."""
    inputs = ["n"]
    outputs = ["never"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        os._exit(3)
'''


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def user_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BlockRegistry:
    folder = tmp_path / "user_blocks"
    folder.mkdir()
    (folder / "test_blocks.py").write_text(USER_BLOCKS, encoding="utf-8")
    monkeypatch.setenv("DATAGENFLOW_USER_BLOCKS", str(folder))
    reload_settings()
    registry = discover(folder)
    assert not registry.errors, registry.errors
    return registry


def chain(registry: BlockRegistry, definition: dict[str, Any], fields: list[str]) -> Pipeline:
    return build_pipeline(parse_definition(definition), registry, fields)


def executions(counts: list[int]) -> list[Execution]:
    data = [
        {"repetitions": n, "metadata": {"topic": f"topic {i}", "n": i}}
        for i, n in enumerate(counts)
    ]
    return list(expand(parse_seeds(json.dumps(data).encode(), "seeds.json")))


async def collect(
    executor: Any, pipeline: Pipeline, todo: list[Execution], concurrency: int
) -> dict[tuple[int, int], RecordResult]:
    results: dict[tuple[int, int], RecordResult] = {}

    def keep(execution: Execution, result: RecordResult) -> None:
        key = (execution.seed_index, execution.repetition)
        assert key not in results, f"{key} reported twice"
        results[key] = result

    try:
        await executor.run(pipeline, todo, keep, concurrency=concurrency)
    finally:
        await close_shared_client()
    return results


def comparable(result: RecordResult) -> dict[str, Any]:
    """A result without its timings, which differ from run to run."""
    trace = [
        {k: v for k, v in entry.items() if k not in ("started_at", "duration_ms")}
        for entry in result.trace()
    ]
    return {
        "status": result.status,
        "output": result.output,
        "error": result.error,
        "error_block": result.error_block,
        "usage": result.usage(),
        "trace": trace,
    }


async def no_worker_left(executor: RayExecutor) -> None:
    assert executor.last_worker_pids
    assert executor.live_workers == 0
    for _ in range(100):
        alive = [pid for pid in executor.last_worker_pids if psutil.pid_exists(pid)]
        if not alive:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"Ray worker processes still alive: {alive}")


async def test_ray_gives_the_local_results(
    fake_llm: MockServerThread, registry: BlockRegistry
) -> None:
    todo = executions([3, 1, 4, 1, 5, 9, 2, 6])  # 31 executions
    pipeline = chain(registry, CHAIN, ["topic", "n"])
    local = await collect(LocalExecutor(), pipeline, todo, concurrency=8)
    executor = RayExecutor(get_settings(), workers=2)
    remote = await collect(executor, pipeline, todo, concurrency=8)
    assert len(remote) == len(todo) == 31
    assert remote.keys() == local.keys()
    for key, result in remote.items():
        assert result.status == "succeeded"
        assert result.output == result.outputs["assistant"] + "!"
        assert [step["block_id"] for step in result.trace()] == ["ask", "check", "out"]
        assert result.usage()["total_tokens"] > 0
        assert comparable(result) == comparable(local[key])
    assert fake_llm.stats()["requests"] == 62
    await no_worker_left(executor)


async def test_a_failing_block_gives_failed_results(
    fake_llm: MockServerThread, user_blocks: BlockRegistry
) -> None:
    definition = {"name": "odd", "blocks": [{"id": "half", "type": "OddFails"}]}
    pipeline = chain(user_blocks, definition, ["topic", "n"])
    todo = executions([2] * 10)
    executor = RayExecutor(get_settings())  # one worker per free CPU
    results = await collect(executor, pipeline, todo, concurrency=6)
    assert len(results) == 20
    for (seed_index, _), result in results.items():
        if seed_index % 2:
            assert result.status == "failed"
            assert result.error == f"ValueError: odd number {seed_index}"
            assert result.error_block == "half"
            assert result.trace()[0]["error"] == result.error
        else:
            assert result.status == "succeeded"
            assert result.output == {"half": seed_index // 2}
    await no_worker_left(executor)


async def test_cancel_stops_promptly_keeps_finished_records_and_kills_workers(
    fake_llm: MockServerThread, registry: BlockRegistry
) -> None:
    fake_llm.server.state.latency_ms = 200
    pipeline = chain(registry, CHAIN, ["topic", "n"])
    todo = executions([500])
    executor = RayExecutor(get_settings(), workers=2)
    results: list[Execution] = []
    run = asyncio.create_task(
        executor.run(pipeline, todo, lambda e, r: results.append(e), concurrency=8)
    )
    for _ in range(300):
        if results or run.done():
            break
        await asyncio.sleep(0.05)
    assert results and not run.done()
    before, started = len(results), time.monotonic()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert time.monotonic() - started < 3
    # the records the workers had finished when asked to stop still arrive
    assert before <= len(results) < 500
    assert len({(e.seed_index, e.repetition) for e in results}) == len(results)
    await no_worker_left(executor)
    for _ in range(50):  # the in-flight LLM calls were cancelled, not left running
        if fake_llm.stats()["in_flight"] == 0:
            break
        await asyncio.sleep(0.05)
    assert fake_llm.stats()["in_flight"] == 0


@pytest.fixture
async def ray_manager(
    tmp_path: Path, fake_llm: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[JobManager]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'jobs.db'}")
    monkeypatch.setenv("DATAGENFLOW_EXECUTOR", "ray")
    monkeypatch.setenv("JOB_CONCURRENCY", "6")
    reload_settings()
    settings = get_settings()
    db = Database(settings.database_url)
    await db.migrate()
    jobs = JobManager(db, discover(settings.datagenflow_user_blocks), settings)
    assert isinstance(jobs.executor, RayExecutor)
    try:
        yield jobs
    finally:
        await jobs.shutdown()
        await close_shared_client()
        await db.close()
    assert ray.is_initialized()  # the manager did not start this Ray, so it leaves it running


async def wait_done(jobs: JobManager, job_id: int) -> dict[str, Any]:
    for _ in range(600):
        if not jobs.is_running(job_id):
            return await jobs.view(job_id)
        await asyncio.sleep(0.05)
    raise AssertionError("job did not finish")


def seed_file(n: int) -> bytes:
    return json.dumps([{"metadata": {"topic": f"t{i}", "n": i}} for i in range(n)]).encode()


async def test_job_manager_runs_a_job_on_ray(
    ray_manager: JobManager, fake_llm: MockServerThread
) -> None:
    fake_llm.server.state.latency_ms = 100  # 60 records, 6 at a time: over a second of LLM calls
    stored = await ray_manager.pipelines.create("chain", CHAIN)
    job = await ray_manager.start(stored.id, "seeds.json", seed_file(60))
    live = ray_manager.live(job.id)
    assert live is not None
    seen: set[str] = set()
    while ray_manager.is_running(job.id):  # the workers' running blocks reach the progress view
        seen.update(live.snapshot()["current_blocks"])
        await asyncio.sleep(0.05)
    assert "ask" in seen, seen
    assert live.snapshot()["current_blocks"] == []
    view = await wait_done(ray_manager, job.id)
    assert (view["status"], view["done"], view["succeeded"]) == ("completed", 60, 60)
    page = await ray_manager.records.page(job_id=job.id, statuses=None, limit=100, offset=0)
    assert page.total == 60
    assert sorted(r.seed_index for r in page.rows) == list(range(60))
    for row in page.rows:
        assert row.output == row.outputs["assistant"] + "!"
        assert f"t{row.seed_index}" in row.outputs["assistant"]
        assert [step["block_id"] for step in row.steps] == ["ask", "check", "out"]


async def test_cancelling_a_ray_job_keeps_what_finished(
    ray_manager: JobManager, fake_llm: MockServerThread
) -> None:
    fake_llm.server.state.latency_ms = 100
    stored = await ray_manager.pipelines.create("chain", CHAIN)
    job = await ray_manager.start(stored.id, "seeds.json", seed_file(300))
    view = await cancel_once_done(ray_manager, job.id, 10)
    page = await ray_manager.records.page(job_id=job.id, statuses=None, limit=1, offset=0)
    row = await ray_manager.jobs.get(job.id)
    assert page.total == view["done"] == row.done and 10 <= row.done < 300
    assert isinstance(ray_manager.executor, RayExecutor)
    await no_worker_left(ray_manager.executor)


async def test_two_runs_at_once_have_their_own_workers(
    fake_llm: MockServerThread, registry: BlockRegistry
) -> None:
    pipeline = chain(registry, CHAIN, ["topic", "n"])
    executor = RayExecutor(get_settings(), workers=1)
    first, second = await asyncio.gather(
        collect(executor, pipeline, executions([10]), concurrency=4),
        collect(executor, pipeline, executions([7]), concurrency=4),
    )
    assert (len(first), len(second)) == (10, 7)
    assert executor.live_workers == 0


async def test_a_crashing_worker_fails_the_job_with_a_message(
    user_blocks: BlockRegistry, ray_manager: JobManager
) -> None:
    definition = {"name": "crash", "blocks": [{"id": "boom", "type": "Crash"}]}
    stored = await ray_manager.pipelines.create("crash", definition)
    job = await ray_manager.start(stored.id, "seeds.json", seed_file(4))
    view = await asyncio.wait_for(wait_done(ray_manager, job.id), 60)
    assert view["status"] == "failed"
    assert "a Ray worker died while running records" in view["error"]
    assert "\n" not in view["error"]
    assert isinstance(ray_manager.executor, RayExecutor)
    await no_worker_left(ray_manager.executor)


async def test_a_worker_that_cannot_build_the_pipeline_is_an_error(
    fake_llm: MockServerThread, user_blocks: BlockRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = {"name": "odd", "blocks": [{"id": "half", "type": "OddFails"}]}
    pipeline = chain(user_blocks, definition, ["topic", "n"])
    monkeypatch.setenv("DATAGENFLOW_USER_BLOCKS", "/nonexistent")  # workers see no user blocks
    reload_settings()
    executor = make_executor(get_settings(), "ray")
    with pytest.raises(RayWorkerError, match=r"cannot build the pipeline: .*block 'OddFails'"):
        await executor.run(pipeline, executions([1]), lambda e, r: None, concurrency=2)
    assert isinstance(executor, RayExecutor)
    await no_worker_left(executor)


def run_cli(folder: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    """`datagenflow run pipeline.json --seeds seeds.json --quiet` plus `options`, in `folder`."""
    command = [str(Path(sys.executable).with_name("datagenflow")), "run", "pipeline.json"]
    return subprocess.run(
        [*command, "--seeds", "seeds.json", "--quiet", *options],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_cli_run_on_ray(tmp_path: Path, fake_llm: MockServerThread) -> None:
    """`datagenflow run --executor ray` attaching to this file's Ray cluster by its address."""
    (tmp_path / "pipeline.json").write_text(json.dumps(CHAIN), encoding="utf-8")
    (tmp_path / "seeds.json").write_bytes(seed_file(15))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DATAGENFLOW_"))}
    env.update(
        LLM_BASE_URL=fake_llm.base_url,
        RAY_ADDRESS=ray.get_runtime_context().gcs_address,
        DATAGENFLOW_USER_BLOCKS=str(tmp_path / "none"),
    )
    result = run_cli(tmp_path, env, "--out", "out.jsonl", "--executor", "ray", "--concurrency", "4")
    assert result.returncode == 0, result.stderr
    assert "15 succeeded, 0 failed" in result.stdout
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(lines) == 15
    assert sorted(line["seed_index"] for line in lines) == list(range(15))
    for line in lines:
        assert line["output"] == line["accumulated_state"]["assistant"] + "!"
    assert ray.is_initialized()  # the CLI disconnected from the cluster, it did not stop it


def test_cli_reports_an_unreachable_cluster_at_once(tmp_path: Path) -> None:
    (tmp_path / "pipeline.json").write_text(json.dumps(CHAIN), encoding="utf-8")
    (tmp_path / "seeds.json").write_bytes(seed_file(1))
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "RAY_ADDRESS": f"127.0.0.1:{port}", "DATAGENFLOW_EXECUTOR": "ray"}
    started = time.monotonic()
    result = run_cli(tmp_path, env)
    assert result.returncode == 2, result.stderr
    assert f"error: cannot reach Ray at 127.0.0.1:{port} (setting RAY_ADDRESS)" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 20


def test_check_reachable_checks_host_port_addresses_only() -> None:
    check_reachable("auto")
    check_reachable("local")
    check_reachable(ray.get_runtime_context().gcs_address)
    with pytest.raises(RayWorkerError, match=r"cannot reach Ray at ray://127\.0\.0\.1:1 "):
        check_reachable("ray://127.0.0.1:1", timeout_s=2)


@pytest.mark.parametrize(
    ("concurrency", "workers", "plan"),
    [(200, 2, [[50, 50], [50, 50]]), (5, 2, [[2, 1], [1, 1]]), (1, 4, [[1]]), (3, 1, [[2, 1]])],
)
def test_split_concurrency_never_exceeds_the_total(
    concurrency: int, workers: int, plan: list[list[int]]
) -> None:
    assert split_concurrency(concurrency, workers) == plan
    assert sum(map(sum, plan)) == concurrency


def test_worker_count_follows_free_cpus_and_concurrency() -> None:
    automatic = RayExecutor(get_settings())
    assert [automatic._worker_count(c) for c in (1, 16, 17, 200)] == [1, 1, 2, 2]  # 2 CPUs
    fixed = RayExecutor(get_settings(), workers=3)
    assert [fixed._worker_count(c) for c in (1, 2, 200)] == [1, 2, 3]


def test_a_worker_that_cannot_start_is_reported_in_one_line() -> None:
    """As when a node lacks DataGenFlow: the actor's creation fails in the worker process."""

    class NeedsAMissingModule:  # defined here, so Ray ships it by value
        def __init__(self) -> None:
            import datagenflow_not_installed  # type: ignore[import-not-found]  # noqa: F401

        def ready(self) -> None:
            return None

    actor = ray.remote(num_cpus=0)(NeedsAMissingModule).remote()
    with pytest.raises(ray.exceptions.RayActorError) as died:
        ray.get(actor.ready.remote(), timeout=30)
    assert _ray_error_message(died.value) == (
        "a Ray worker could not start: "
        "ModuleNotFoundError: No module named 'datagenflow_not_installed'"
    )


def test_workers_get_the_settings_blocks_read(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"https://api.example.com/v1": "sk-other"}
    settings = Settings(llm_api_key="sk-main", llm_api_keys=keys, demo_mode=True)
    environment = worker_environment(settings)
    assert environment["LLM_API_KEY"] == "sk-main" and environment["DEMO_MODE"] == "true"
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    worker = reload_settings()  # what a worker process reads
    assert (
        worker.llm_api_keys == keys
        and api_key_for(worker, "https://api.example.com/v1/") == "sk-other"
    )
    assert worker.datagenflow_user_blocks.is_absolute()
