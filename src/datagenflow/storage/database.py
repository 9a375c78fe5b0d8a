"""One async engine for SQLite or PostgreSQL, chosen by DATABASE_URL; the same code above it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from datagenflow.errors import DataGenFlowError
from datagenflow.storage.jsonsafe import json_dumps

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
}


class DatabaseURLError(DataGenFlowError):
    pass


def async_url(database_url: str) -> URL:
    """Users write plain `sqlite:///` or `postgresql://` URLs; the server needs async drivers."""
    try:
        url = make_url(database_url)
    except Exception:
        raise DatabaseURLError(
            f"DATABASE_URL {database_url!r} is not a database URL "
            "(expected sqlite:///path/to/file.db or postgresql://user:pass@host/db)"
        ) from None
    driver = _DRIVERS.get(url.drivername, url.drivername)
    if driver not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise DatabaseURLError(
            f"DATABASE_URL uses {url.drivername!r}; only sqlite:/// and postgresql:// are supported"
        )
    return url.set(drivername=driver)


def display_url(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:
        return "(invalid DATABASE_URL)"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """The engine and session factory of one database; `dialect` lets queries pick an upsert."""

    def __init__(self, database_url: str, *, echo: bool = False) -> None:
        url = async_url(database_url)
        self.url = url
        self.dialect = "sqlite" if url.drivername.startswith("sqlite") else "postgresql"
        kwargs: dict[str, Any] = {"echo": echo, "json_serializer": json_dumps}
        if self.dialect == "sqlite":
            path = url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    async def migrate(self) -> None:
        from datagenflow.storage.migrate import upgrade

        await upgrade(self.engine)

    async def ping(self) -> bool:
        from sqlalchemy import text

        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()
