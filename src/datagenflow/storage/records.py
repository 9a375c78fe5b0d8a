"""Records: batched upserts keyed by execution, review updates, filtered listing and export scans.

A record stores its trace compactly (each step's own output, `Step.to_dict()`); the full trace
with inputs and accumulated states is rebuilt on read by `engine.executor.full_trace`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, case, func, not_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from datagenflow.engine.executor import Step, full_trace
from datagenflow.errors import ConflictError, InvalidInputError, NotFoundError
from datagenflow.storage.database import Database
from datagenflow.storage.models import JobRow, RecordRow, utcnow

_RECORDS = cast(Table, RecordRow.__table__)

RECORD_STATUSES = ("pending", "accepted", "rejected", "edited", "failed")
REVIEW_STATUSES = ("pending", "accepted", "rejected")
_REPLACED_ON_CONFLICT = (
    "attempt",
    "status",
    "metadata",
    "outputs",
    "output",
    "original_output",
    "edited",
    "steps",
    "error",
    "error_block",
    "updated_at",
)


@dataclass
class JobDelta:
    """What one flushed batch adds to its job's counters."""

    done: int = 0
    succeeded: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    elapsed_s: float | None = None


@dataclass
class RecordPage:
    rows: list[RecordRow]
    total: int
    counts: dict[str, int]


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def accumulated_state(outputs: dict[str, Any], output: Any, edited: bool) -> dict[str, Any]:
    """Block outputs with a reviewer's edit applied where the output came from."""
    if not edited:
        return dict(outputs)
    if "output" in outputs or not isinstance(output, dict):
        return {**outputs, "output": output}
    return dict(output)


def record_dict(row: RecordRow) -> dict[str, Any]:
    metadata = row.seed_metadata or {}
    steps = [Step.from_dict(s) for s in row.steps or []]
    return {
        "id": row.id,
        "job_id": row.job_id,
        "seed_index": row.seed_index,
        "repetition": row.repetition,
        "metadata": metadata,
        "status": row.status,
        "output": row.output,
        "original_output": row.original_output if row.edited else row.output,
        "accumulated_state": accumulated_state(row.outputs or {}, row.output, row.edited),
        "trace": full_trace(metadata, steps),
        "error": row.error,
        "created_at": as_utc(row.created_at),
        "updated_at": as_utc(row.updated_at),
    }


def parse_statuses(value: str | None) -> list[str] | None:
    """`status` filters accept one status or a comma-separated list (`accepted,edited`)."""
    if value is None or not value.strip():
        return None
    statuses = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in RECORD_STATUSES]
    if unknown:
        raise InvalidInputError(
            f"unknown record status '{unknown[0]}' (expected one of {', '.join(RECORD_STATUSES)})",
            {"status": unknown[0]},
        )
    return statuses


def _filters(job_id: int | None, statuses: Sequence[str] | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if job_id is not None:
        clauses.append(RecordRow.job_id == job_id)
    if statuses:
        clauses.append(RecordRow.status.in_(statuses))
    return clauses


def _rerun_clause(retry_round: int) -> ColumnElement[bool]:
    return and_(RecordRow.status == "failed", RecordRow.attempt < retry_round)


class RecordStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = pg_insert if db.dialect == "postgresql" else sqlite_insert

    async def save_batch(self, job_id: int, rows: list[dict[str, Any]], delta: JobDelta) -> None:
        """Upsert by (job, seed, repetition) and move the job's counters in one transaction."""
        values: dict[str, Any] = {
            "done": JobRow.done + delta.done,
            "succeeded": JobRow.succeeded + delta.succeeded,
            "failed": JobRow.failed + delta.failed,
            "prompt_tokens": JobRow.prompt_tokens + delta.prompt_tokens,
            "completion_tokens": JobRow.completion_tokens + delta.completion_tokens,
            "total_tokens": JobRow.total_tokens + delta.total_tokens,
        }
        if delta.elapsed_s is not None:
            values["elapsed_s"] = delta.elapsed_s
        async with self.db.sessions() as session:
            if rows:
                stmt = self._insert(_RECORDS)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["job_id", "seed_index", "repetition"],
                    set_={name: stmt.excluded[name] for name in _REPLACED_ON_CONFLICT},
                )
                await session.execute(stmt, rows)
            await session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))
            await session.commit()

    async def bulk_insert(self, rows: list[dict[str, Any]]) -> None:
        """Plain inserts for seeding a database (benchmarks, imports); no conflict handling."""
        async with self.db.sessions() as session:
            await session.execute(_RECORDS.insert(), rows)
            await session.commit()

    async def progress_counts(self, job_id: int, retry_round: int) -> tuple[int, int]:
        """(done, failed) of a job, leaving out the failed records this round runs again."""
        async with self.db.sessions() as session:
            result = await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((RecordRow.status == "failed", 1), else_=0)), 0),
                ).where(RecordRow.job_id == job_id, not_(_rerun_clause(retry_round)))
            )
            done, failed = result.one()
        return int(done), int(failed)

    async def stored_keys(self, job_id: int, retry_round: int) -> set[tuple[int, int]]:
        """Executions already recorded for good, which a resumed job must skip."""
        async with self.db.sessions() as session:
            result = await session.stream(
                select(RecordRow.seed_index, RecordRow.repetition).where(
                    RecordRow.job_id == job_id, not_(_rerun_clause(retry_round))
                )
            )
            return {(int(s), int(r)) async for s, r in result}

    async def rerun_keys(self, job_id: int, retry_round: int) -> list[tuple[int, int]]:
        async with self.db.sessions() as session:
            result = await session.execute(
                select(RecordRow.seed_index, RecordRow.repetition)
                .where(RecordRow.job_id == job_id, _rerun_clause(retry_round))
                .order_by(RecordRow.seed_index, RecordRow.repetition)
            )
            return [(int(s), int(r)) for s, r in result.all()]

    async def count_failed(self, job_id: int) -> int:
        async with self.db.sessions() as session:
            value = await session.scalar(
                select(func.count()).where(RecordRow.job_id == job_id, RecordRow.status == "failed")
            )
        return int(value or 0)

    async def page(
        self,
        *,
        job_id: int | None,
        statuses: Sequence[str] | None,
        limit: int,
        offset: int,
    ) -> RecordPage:
        where = _filters(job_id, statuses)
        async with self.db.sessions() as session:
            rows = list(
                await session.scalars(
                    select(RecordRow)
                    .where(*where)
                    .order_by(RecordRow.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            total = await session.scalar(select(func.count()).select_from(RecordRow).where(*where))
            grouped = await session.execute(
                select(RecordRow.status, func.count())
                .where(*_filters(job_id, None))
                .group_by(RecordRow.status)
            )
            counts = dict.fromkeys(RECORD_STATUSES, 0)
            for status, count in grouped.all():
                counts[str(status)] = int(count)
        return RecordPage(rows, int(total or 0), counts)

    async def get(self, record_id: int) -> RecordRow:
        async with self.db.sessions() as session:
            row = await session.get(RecordRow, record_id)
        if row is None:
            raise NotFoundError(f"record {record_id} does not exist", {"id": record_id})
        return row

    async def review(
        self, record_id: int, *, status: str | None, output: Any, has_output: bool
    ) -> RecordRow:
        """One reviewer decision; an edited output keeps the generated one as `original_output`."""
        async with self.db.sessions() as session:
            row = await session.get(RecordRow, record_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"record {record_id} does not exist", {"id": record_id})
            if has_output:
                if not row.edited:
                    row.original_output = row.output
                    row.edited = True
                row.output = output
                row.status = "edited"
            elif status is not None:
                if row.status == "failed":
                    raise ConflictError(
                        f"record {record_id} failed ({row.error}); retry the job's failed "
                        "records or edit its output instead",
                        {"id": record_id, "status": row.status},
                    )
                if status == "edited" and not row.edited:
                    raise InvalidInputError(
                        "to mark a record 'edited', send its new 'output'",
                        {"field": "status"},
                    )
                row.status = status
            row.updated_at = utcnow()
            await session.commit()
        return row

    async def bulk_review(
        self,
        *,
        status: str,
        job_id: int | None,
        ids: Sequence[int] | None,
        filter_status: str | None,
    ) -> int:
        where = [RecordRow.status != "failed"]
        if job_id is not None:
            where.append(RecordRow.job_id == job_id)
        if ids is not None:
            where.append(RecordRow.id.in_(list(ids)))
        if filter_status is not None:
            where.append(RecordRow.status == filter_status)
        async with self.db.sessions() as session:
            result = await session.execute(
                update(RecordRow).where(*where).values(status=status, updated_at=utcnow())
            )
            await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    async def export_chunks(
        self, *, job_id: int | None, statuses: Sequence[str] | None, chunk_size: int = 1000
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Export lines in id order, one short query per chunk (keyset), so memory stays flat."""
        columns = (
            RecordRow.id,
            RecordRow.job_id,
            RecordRow.seed_metadata,
            RecordRow.status,
            RecordRow.output,
            RecordRow.outputs,
            RecordRow.edited,
            RecordRow.created_at,
            RecordRow.updated_at,
        )
        where = _filters(job_id, statuses)
        last_id = 0
        while True:
            async with self.db.sessions() as session:
                result = await session.execute(
                    select(*columns)
                    .where(RecordRow.id > last_id, *where)
                    .order_by(RecordRow.id)
                    .limit(chunk_size)
                )
                rows = result.all()
            if not rows:
                return
            last_id = int(rows[-1][0])
            yield [
                {
                    "id": rid,
                    "job_id": jid,
                    "metadata": metadata,
                    "status": status,
                    "output": output,
                    "accumulated_state": accumulated_state(outputs or {}, output, edited),
                    "created_at": _iso(created),
                    "updated_at": _iso(updated),
                }
                for rid, jid, metadata, status, output, outputs, edited, created, updated in rows
            ]
            if len(rows) < chunk_size:
                return


def _iso(value: datetime | None) -> str | None:
    aware = as_utc(value)
    return aware.isoformat().replace("+00:00", "Z") if aware else None
