from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from datagenflow.errors import ConflictError, DataGenFlowError
from datagenflow.storage import Database, JobDelta, JobStore, PipelineStore, RecordStore
from datagenflow.storage.database import async_url
from datagenflow.storage.migrate import alembic_config
from datagenflow.storage.models import utcnow
from datagenflow.storage.records import record_dict


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'test.db'}")
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


def row(job_id: int, seed: int, status: str = "pending", **extra: Any) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {
        "job_id": job_id,
        "seed_index": seed,
        "repetition": 0,
        "attempt": 0,
        "status": status,
        "metadata": {"n": seed},
        "outputs": {"output": f"text {seed}"},
        "output": f"text {seed}" if status != "failed" else None,
        "original_output": None,
        "edited": False,
        "steps": [],
        "error": "boom" if status == "failed" else None,
        "error_block": None,
        "created_at": now,
        "updated_at": now,
    }
    values.update(extra)
    return values


async def new_job(db: Database, total: int = 10) -> int:
    job = await JobStore(db).create(
        pipeline_id=None,
        pipeline_name="p",
        definition={"name": "p", "blocks": []},
        total=total,
        concurrency=2,
        seed_filename="seeds.json",
        seed_data=b"[]",
    )
    return job.id


def test_database_urls_map_to_async_drivers() -> None:
    assert async_url("sqlite:///./data/x.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u:p@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgres://u:p@h/db").drivername == "postgresql+asyncpg"
    with pytest.raises(DataGenFlowError, match="only sqlite"):
        async_url("mysql://u:p@h/db")
    with pytest.raises(DataGenFlowError, match="not a database URL"):
        async_url("nonsense")


async def test_migrations_are_idempotent_and_sqlite_uses_wal(db: Database) -> None:
    await db.migrate()
    async with db.engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert mode == "wal" and version == HEAD


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_a_database_from_the_first_release_is_upgraded_keeping_its_jobs(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
            await conn.execute(
                text(
                    "INSERT INTO jobs (pipeline_name, definition, status, total, done, succeeded,"
                    " failed, retry_round, concurrency, elapsed_s, prompt_tokens,"
                    " completion_tokens, total_tokens, seed_filename, created_at) VALUES ('old',"
                    " '{}', 'failed', 9, 3, 0, 3, 0, 4, 1.5, 0, 0, 0, 's.json', CURRENT_TIMESTAMP)"
                )
            )
        await db.migrate()
        job = await JobStore(db).get(1)
        assert (job.pipeline_name, job.status, job.done, job.retry_unrun) == (
            "old",
            "failed",
            3,
            False,
        )
        async with db.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == HEAD != "0001"
    finally:
        await db.close()


async def test_upsert_by_execution_key_replaces_in_place(db: Database) -> None:
    records = RecordStore(db)
    job_id = await new_job(db)
    await records.save_batch(
        job_id, [row(job_id, 0), row(job_id, 1, "failed")], JobDelta(done=2, succeeded=1, failed=1)
    )
    failed_id = (
        (await records.page(job_id=job_id, statuses=["failed"], limit=5, offset=0)).rows[0].id
    )
    assert await records.progress_counts(job_id, 0) == (2, 1)
    assert await records.rerun_keys(job_id, 1) == [(1, 0)]
    assert await records.stored_keys(job_id, 1) == {(0, 0)}

    await records.save_batch(job_id, [row(job_id, 1, attempt=1)], JobDelta(done=1, succeeded=1))
    page = await records.page(job_id=job_id, statuses=None, limit=5, offset=0)
    assert page.total == 2 and page.counts["failed"] == 0 and page.counts["pending"] == 2
    assert {r.id for r in page.rows} == {failed_id, page.rows[0].id}
    job = await JobStore(db).get(job_id)
    assert (job.done, job.succeeded, job.failed) == (3, 2, 1)


async def test_review_keeps_the_original_output(db: Database) -> None:
    records = RecordStore(db)
    job_id = await new_job(db)
    await records.save_batch(job_id, [row(job_id, 0), row(job_id, 1, "failed")], JobDelta())
    good, bad = (await records.page(job_id=job_id, statuses=None, limit=5, offset=0)).rows
    edited = await records.review(good.id, status=None, output={"q": 1}, has_output=True)
    again = await records.review(good.id, status=None, output={"q": 2}, has_output=True)
    view = record_dict(again)
    assert edited.status == "edited" and view["output"] == {"q": 2}
    assert view["original_output"] == "text 0"
    assert view["accumulated_state"] == {"output": {"q": 2}}
    accepted = await records.review(good.id, status="accepted", output=None, has_output=False)
    assert record_dict(accepted)["original_output"] == "text 0"
    with pytest.raises(ConflictError, match="failed"):
        await records.review(bad.id, status="accepted", output=None, has_output=False)
    assert (
        await records.bulk_review(status="rejected", job_id=job_id, ids=None, filter_status=None)
        == 1
    )


async def test_export_scans_in_id_order_by_chunks(db: Database) -> None:
    records = RecordStore(db)
    job_id = await new_job(db)
    other = await new_job(db)
    await records.save_batch(job_id, [row(job_id, i) for i in range(25)], JobDelta())
    await records.save_batch(other, [row(other, 0)], JobDelta())
    chunks = [
        chunk async for chunk in records.export_chunks(job_id=job_id, statuses=None, chunk_size=10)
    ]
    assert [len(c) for c in chunks] == [10, 10, 5]
    ids = [line["id"] for chunk in chunks for line in chunk]
    assert ids == sorted(ids) and len(set(ids)) == 25
    assert chunks[0][0]["metadata"] == {"n": 0} and chunks[0][0]["created_at"].endswith("Z")


async def test_values_databases_refuse_are_cleaned(db: Database) -> None:
    pipelines = PipelineStore(db)
    saved = await pipelines.create("bad\x00name", {"score": float("nan"), "text": "\ud800"})
    again = await pipelines.get(saved.id)
    assert again.name == "badname"
    assert again.definition["score"] is None
    await pipelines.delete(saved.id)
    assert await pipelines.all() == []
