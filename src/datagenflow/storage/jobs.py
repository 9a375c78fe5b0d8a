"""Job rows: created with their seed file, counters moved by the record writer, finished once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from datagenflow.errors import NotFoundError
from datagenflow.storage.database import Database
from datagenflow.storage.jsonsafe import clean_text
from datagenflow.storage.models import JobRow, JobSeedsRow, RecordRow, utcnow

ACTIVE_STATUSES = ("queued", "running")
FINAL_STATUSES = ("completed", "failed", "cancelled")


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        pipeline_id: int | None,
        pipeline_name: str,
        definition: dict[str, Any],
        total: int,
        concurrency: int,
        seed_filename: str,
        seed_data: bytes,
    ) -> JobRow:
        """The job and its seeds in one transaction, so a job never exists without its seeds."""
        now = utcnow()
        row = JobRow(
            pipeline_id=pipeline_id,
            pipeline_name=clean_text(pipeline_name) or "",
            definition=definition,
            status="running",
            total=total,
            done=0,
            succeeded=0,
            failed=0,
            retry_round=0,
            concurrency=concurrency,
            elapsed_s=0.0,
            prompt_tokens=0,
            completion_tokens=0,
            total_tokens=0,
            seed_filename=clean_text(seed_filename) or "",
            created_at=now,
            started_at=now,
        )
        async with self.db.sessions() as session:
            session.add(row)
            await session.flush()
            session.add(JobSeedsRow(job_id=row.id, filename=row.seed_filename, data=seed_data))
            await session.commit()
        return row

    async def get(self, job_id: int) -> JobRow:
        async with self.db.sessions() as session:
            row = await session.get(JobRow, job_id)
        if row is None:
            raise NotFoundError(f"job {job_id} does not exist", {"id": job_id})
        return row

    async def recent(self, limit: int = 200) -> list[JobRow]:
        async with self.db.sessions() as session:
            result = await session.scalars(select(JobRow).order_by(JobRow.id.desc()).limit(limit))
            return list(result)

    async def active(self) -> list[JobRow]:
        async with self.db.sessions() as session:
            result = await session.scalars(
                select(JobRow).where(JobRow.status.in_(ACTIVE_STATUSES)).order_by(JobRow.id)
            )
            return list(result)

    async def seeds(self, job_id: int) -> tuple[str, bytes]:
        async with self.db.sessions() as session:
            row = await session.get(JobSeedsRow, job_id)
        if row is None:
            raise NotFoundError(f"job {job_id} has no stored seeds", {"id": job_id})
        return row.filename, row.data

    async def set_fields(self, job_id: int, **values: Any) -> None:
        async with self.db.sessions() as session:
            await session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))
            await session.commit()

    async def finish(
        self, job_id: int, status: str, *, error: str | None, elapsed_s: float
    ) -> None:
        await self.set_fields(
            job_id,
            status=status,
            error=clean_text(error),
            elapsed_s=elapsed_s,
            finished_at=utcnow(),
        )

    async def start_round(
        self,
        job_id: int,
        *,
        retry_round: int,
        retry_unrun: bool = False,
        started_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": "running",
            "retry_round": retry_round,
            "retry_unrun": retry_unrun,
            "error": None,
            "finished_at": None,
        }
        if started_at is not None:
            values["started_at"] = started_at
        await self.set_fields(job_id, **values)

    async def delete(self, job_ids: Sequence[int]) -> int:
        """Remove jobs with their seeds and records; returns how many records went with them."""
        async with self.db.sessions() as session:
            result = await session.execute(delete(RecordRow).where(RecordRow.job_id.in_(job_ids)))
            await session.execute(delete(JobSeedsRow).where(JobSeedsRow.job_id.in_(job_ids)))
            await session.execute(delete(JobRow).where(JobRow.id.in_(job_ids)))
            await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
