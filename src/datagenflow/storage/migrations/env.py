"""Alembic environment: the server passes its connection in; the `alembic` CLI uses DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from datagenflow.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    from datagenflow.settings import get_settings
    from datagenflow.storage.database import Database

    database = Database(get_settings().database_url)
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await database.close()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_settings())
