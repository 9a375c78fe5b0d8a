"""Saved pipeline definitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from datagenflow.errors import NotFoundError
from datagenflow.storage.database import Database
from datagenflow.storage.jsonsafe import clean_text
from datagenflow.storage.models import PipelineRow, utcnow


class PipelineStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, definition: dict[str, Any]) -> PipelineRow:
        now = utcnow()
        name = clean_text(name) or "Untitled pipeline"
        row = PipelineRow(name=name, definition=definition, created_at=now, updated_at=now)
        async with self.db.sessions() as session:
            session.add(row)
            await session.commit()
        return row

    async def all(self) -> list[PipelineRow]:
        async with self.db.sessions() as session:
            result = await session.scalars(select(PipelineRow).order_by(PipelineRow.id.desc()))
            return list(result)

    async def get(self, pipeline_id: int) -> PipelineRow:
        async with self.db.sessions() as session:
            row = await session.get(PipelineRow, pipeline_id)
        if row is None:
            raise NotFoundError(f"pipeline {pipeline_id} does not exist", {"id": pipeline_id})
        return row

    async def update(self, pipeline_id: int, name: str, definition: dict[str, Any]) -> PipelineRow:
        async with self.db.sessions() as session:
            row = await session.get(PipelineRow, pipeline_id)
            if row is None:
                raise NotFoundError(f"pipeline {pipeline_id} does not exist", {"id": pipeline_id})
            row.name = clean_text(name) or "Untitled pipeline"
            row.definition = definition
            row.updated_at = utcnow()
            await session.commit()
        return row

    async def delete(self, pipeline_id: int) -> None:
        async with self.db.sessions() as session:
            result = await session.execute(delete(PipelineRow).where(PipelineRow.id == pipeline_id))
            await session.commit()
        if getattr(result, "rowcount", 0) == 0:
            raise NotFoundError(f"pipeline {pipeline_id} does not exist", {"id": pipeline_id})
