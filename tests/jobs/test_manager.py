"""The job runner without HTTP: resume skips stored keys, cancel flushes, capacity is enforced."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support import cancel_once_done

from datagenflow.engine.registry import discover
from datagenflow.errors import ConflictError
from datagenflow.jobs.manager import JobManager
from datagenflow.llm import close_shared_client
from datagenflow.llm.mock_server import MockServerThread
from datagenflow.settings import Settings, get_settings, reload_settings
from datagenflow.storage import Database, JobDelta
from datagenflow.storage.models import utcnow

PIPELINE = {
    "name": "ask",
    "blocks": [{"id": "ask", "type": "LLMBlock", "config": {"user_prompt": "{{ topic }}"}}],
}


def seed_file(n: int) -> bytes:
    return json.dumps([{"metadata": {"topic": f"t{i}"}} for i in range(n)]).encode()


@pytest.fixture
async def manager(
    tmp_path: Path, fake_llm: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[JobManager]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'jobs.db'}")
    monkeypatch.setenv("JOB_CONCURRENCY", "4")
    reload_settings()
    settings: Settings = get_settings()
    db = Database(settings.database_url)
    await db.migrate()
    jobs = JobManager(db, discover(None), settings)
    try:
        yield jobs
    finally:
        await jobs.shutdown()
        await close_shared_client()
        await db.close()


async def wait_done(jobs: JobManager, job_id: int) -> dict[str, object]:
    for _ in range(1000):
        if not jobs.is_running(job_id):
            return await jobs.view(job_id)
        await asyncio.sleep(0.01)
    raise AssertionError("job did not finish")


async def test_job_runs_every_execution_and_refuses_a_second(
    manager: JobManager, fake_llm: MockServerThread
) -> None:
    fake_llm.server.state.latency_ms = 20
    pipeline = await manager.pipelines.create("ask", PIPELINE)
    job = await manager.start(pipeline.id, "seeds.json", seed_file(12))
    with pytest.raises(ConflictError) as refused:
        await manager.start(pipeline.id, "seeds.json", seed_file(1))
    assert refused.value.detail == {"job_id": job.id}
    view = await wait_done(manager, job.id)
    assert (view["status"], view["done"], view["succeeded"]) == ("completed", 12, 12)
    page = await manager.records.page(job_id=job.id, statuses=None, limit=50, offset=0)
    assert page.total == 12


async def test_resume_skips_the_executions_already_stored(
    manager: JobManager, fake_llm: MockServerThread
) -> None:
    pipeline = await manager.pipelines.create("ask", PIPELINE)
    row = await manager.jobs.create(
        pipeline_id=pipeline.id,
        pipeline_name="ask",
        definition=PIPELINE,
        total=10,
        concurrency=4,
        seed_filename="seeds.json",
        seed_data=seed_file(10),
    )
    now = utcnow()
    stored = [
        {
            "job_id": row.id,
            "seed_index": i,
            "repetition": 0,
            "attempt": 0,
            "status": "pending",
            "metadata": {"topic": f"t{i}"},
            "outputs": {"assistant": "before the crash"},
            "output": {"assistant": "before the crash"},
            "original_output": None,
            "edited": False,
            "steps": [],
            "error": None,
            "error_block": None,
            "created_at": now,
            "updated_at": now,
        }
        for i in (0, 3, 7)
    ]
    await manager.records.save_batch(row.id, stored, JobDelta())
    fake_llm.reset()
    await manager.resume_all()
    view = await wait_done(manager, row.id)
    assert (view["status"], view["done"]) == ("completed", 10)
    assert fake_llm.stats()["requests"] == 7
    page = await manager.records.page(job_id=row.id, statuses=None, limit=50, offset=0)
    kept = [r for r in page.rows if r.output == {"assistant": "before the crash"}]
    assert page.total == 10 and sorted(r.seed_index for r in kept) == [0, 3, 7]


async def test_cancel_writes_every_finished_record(
    manager: JobManager, fake_llm: MockServerThread
) -> None:
    fake_llm.server.state.latency_ms = 50
    pipeline = await manager.pipelines.create("ask", PIPELINE)
    job = await manager.start(pipeline.id, "seeds.json", seed_file(200))
    view = await cancel_once_done(manager, job.id, 10)
    page = await manager.records.page(job_id=job.id, statuses=None, limit=1, offset=0)
    stored = await manager.jobs.get(job.id)
    assert page.total == view["done"] == stored.done and 10 <= stored.done < 200


async def test_a_job_whose_first_executions_all_fail_stops_early(
    manager: JobManager, fake_llm: MockServerThread
) -> None:
    manager.settings.llm_max_retries = 0  # the settings the LLM blocks read too
    fake_llm.configure(error_rate=1.0)
    pipeline = await manager.pipelines.create("ask", PIPELINE)
    job = await manager.start(pipeline.id, "seeds.json", seed_file(500))
    view = await wait_done(manager, job.id)
    assert view["status"] == "failed"
    assert "the first 25 executions all failed" in str(view["error"]), view["error"]
    assert "JOB_FAIL_FAST" in str(view["error"])
    done = int(str(view["done"]))
    assert 25 <= done < 500 and view["failed"] == done  # every finished record kept, as failed
    page = await manager.records.page(job_id=job.id, statuses=None, limit=1, offset=0)
    assert page.total == done


async def test_fail_fast_spares_a_job_with_some_successes_and_can_be_turned_off(
    manager: JobManager, fake_llm: MockServerThread
) -> None:
    manager.settings.llm_max_retries = 0
    fake_llm.script([{"content": "fine"}] + [{"status": 500}] * 10_000)
    pipeline = await manager.pipelines.create("ask", PIPELINE)
    job = await manager.start(pipeline.id, "seeds.json", seed_file(100))
    view = await wait_done(manager, job.id)
    assert (view["status"], view["done"], view["succeeded"]) == ("completed", 100, 1)

    manager.settings.job_fail_fast = 0
    fake_llm.reset()
    fake_llm.configure(error_rate=1.0)
    job = await manager.start(pipeline.id, "seeds.json", seed_file(60))
    view = await wait_done(manager, job.id)
    assert (view["status"], view["done"], view["failed"]) == ("failed", 60, 60)
    assert str(view["error"]).startswith("every execution failed")


async def test_a_retry_of_an_early_stop_resumes_after_a_restart_with_the_unrun_too(
    manager: JobManager, fake_llm: MockServerThread
) -> None:
    manager.settings.llm_max_retries = 0
    fake_llm.configure(error_rate=1.0)
    pipeline = await manager.pipelines.create("ask", PIPELINE)
    job = await manager.start(pipeline.id, "seeds.json", seed_file(300))
    stopped = await wait_done(manager, job.id)
    assert stopped["status"] == "failed" and int(str(stopped["done"])) < 300

    fake_llm.configure(error_rate=0.0, latency_ms=30)
    await manager.retry_failed(job.id)
    for _ in range(500):  # part of the retry round is stored, then the server stops
        if (await manager.view(job.id))["succeeded"] >= 20:
            break
        await asyncio.sleep(0.01)
    await manager.shutdown()
    assert (await manager.jobs.get(job.id)).status == "running"

    restarted = JobManager(manager.db, manager.registry, manager.settings)
    try:
        await restarted.resume_all()
        view = await wait_done(restarted, job.id)
        assert (view["status"], view["done"], view["succeeded"]) == ("completed", 300, 300)
        page = await restarted.records.page(job_id=job.id, statuses=None, limit=500, offset=0)
        assert sorted(r.seed_index for r in page.rows) == list(range(300))
    finally:
        await restarted.shutdown()
